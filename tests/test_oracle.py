"""Oracles: every installed space's oracles pass check_oracle; published figures; BudgetedOracle semantics.

The contract test is parametrized over the ``archgen.spaces`` entry points (timm style), so a
newly installed space is checked at once; a space whose data is not staged in ../shared/data
is skipped with the pointer to that folder's PROVENANCE.md, and a third-party space whose oracle
needs no data is checked on its own samples. Rules applied to installed third-party spaces are
``check_oracle``'s only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import archgen
from archgen.architecture import Architecture
from archgen.errors import BudgetExhaustedError, ConfigError, DataFileError, InvalidArchitectureError
from archgen.oracle import BudgetedOracle, ComputedOracle, MetricSpec, TableOracle
from archgen.protocols import Oracle
from archgen.registry import installed
from archgen.testing import check_oracle, require_shared_data

SPACES = installed("space")
FIRST_PARTY_SPACES = [info for info in SPACES if info.distribution == "archgen"]

#: NAS-Bench-201's best cells as its paper reports them (Dong & Yang, ICLR 2020, Table 5, row "optimal":
#: CIFAR-10 test 94.37, CIFAR-100 test 73.51, ImageNet16-120 test 47.31); the cells are named in
#: ../shared/data/nasbench201/PROVENANCE.md (indexes 6111, 9930, 857). 6111 shares its isomorphism class
#: with 13714, which the table gives the same figure, so the class mean is the published optimum too.
NB201_OPTIMA = {"cifar10/test@200": 94.37, "cifar100/test@200": 73.51, "imagenet16-120/test@200": 47.31}
NB201_BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@dataclass(frozen=True)
class Staged:
    """Where a first-party space's oracle data is staged, and architectures it has entries for."""

    folder: str
    options: dict[str, str]
    archs: Callable[[object], list[Architecture]]


def _from_table_keys(space) -> list[Architecture]:
    return [space.from_string(key) for key in space.benchmark().keys[:8]]


def _nb101_cells(space) -> list[Architecture]:
    from archgen.spaces.nb101.tables import load_naslib_csv

    # NASLib's rows are unpruned specs: several are other forms of one cell, which the oracle must unify.
    return load_naslib_csv(space.options.benchmark)[0][:8]


STAGED = {
    "nb201": Staged(
        "nasbench201",
        {"benchmark": "nb201_accuracies.csv.gz", "hw_benchmark": "nb201_hw360_latency_energy.csv.gz"},
        lambda space: space.sample(8, seed=3),
    ),
    "nb101": Staged("nasbench101", {"benchmark": "nb101_zc_naslib_500.csv.gz"}, _nb101_cells),
    "darts": Staged("nasbench301", {"benchmark": "nb301_zc_naslib_725.csv.gz"}, _from_table_keys),
    "mbv3": Staged(
        "ofa_mbv3",
        {"predictor": "acc_predictor.npz", "latency_tables": "latency_table_note10"},
        lambda space: space.sample(6, seed=3),
    ),
    "autoformer": Staged("autoformer", {"benchmark": "."}, _from_table_keys),
}


def _staged_space(name: str):
    staged = STAGED.get(name)
    if staged is None:
        space = archgen.load("space", name)
        if not hasattr(space, "oracle"):
            pytest.skip(f"space {name!r} offers no oracle")
        try:
            space.oracle_metrics()
        except DataFileError as error:
            pytest.skip(f"space {name!r} has no oracle data configured by default: {error}")
        # An oracle that needs no data (a computed one, say) answers for the space's own samples.
        return space, space.sample(8, seed=3)
    options = {key: str(require_shared_data(staged.folder, file)) for key, file in staged.options.items()}
    space = archgen.load("space", name, **options)
    return space, staged.archs(space)


@pytest.fixture(scope="module")
def nb201():
    path = require_shared_data("nasbench201", "nb201_accuracies.csv.gz")
    hw = require_shared_data("nasbench201", "nb201_hw360_latency_energy.csv.gz")
    return archgen.load("space", "nb201", benchmark=str(path), hw_benchmark=str(hw))


# -- every installed space --------------------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
def test_every_oracle_of_every_installed_space_passes_check_oracle(name):
    # Every rule here is check_oracle's or check_search_space's (space_capabilities: OffersOracles),
    # but the error's wording, asked of first-party spaces only.
    space, archs = _staged_space(name)
    metrics = space.oracle_metrics()
    assert metrics and all(isinstance(unit, str) and unit for unit in metrics.values())
    assert space.oracle().metric == next(iter(metrics))
    for metric, unit in metrics.items():
        oracle = space.oracle(metric)
        assert isinstance(oracle, Oracle) and (oracle.metric, oracle.unit) == (metric, unit)
        check_oracle(oracle, space, archs)
    with pytest.raises(ConfigError) as error:  # check_oracle's rule for any space: a ConfigError
        space.oracle("no-such-metric")
    if name in {info.name for info in FIRST_PARTY_SPACES}:  # the wording is ours (GraphSpaceBase's)
        assert re.search(r"unknown metric 'no-such-metric'.*accepted: {", str(error.value))


# First-party spaces only: their oracles all read data files, so without one each must name the
# option to set. A third-party space may compute its oracle (no file at all): the kit asks only that
# a DataFileError, where raised, carries a message (issue 27).
@pytest.mark.parametrize(
    "name", [i.name for i in FIRST_PARTY_SPACES], ids=[f"{i.name}[{i.distribution}]" for i in FIRST_PARTY_SPACES]
)
def test_a_space_without_data_names_the_option_to_set(name):
    space = archgen.load("space", name)
    if not hasattr(space, "oracle_metrics"):
        pytest.skip(f"space {name!r} offers no oracle")
    for ask in (space.oracle_metrics, space.oracle):
        with pytest.raises(DataFileError, match=r"set \[space.options\]"):
            ask()


# -- published figures -------------------------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize(("metric", "published"), NB201_OPTIMA.items())
def test_nb201_best_cells_match_the_paper(nb201, metric, published):
    oracle = nb201.oracle(metric)
    values = {nb201.to_string(arch): oracle.query(arch) for arch in nb201.enumerate()}
    best = max(values.values())
    assert best == pytest.approx(published, abs=0.005)
    if metric == "cifar10/test@200":
        assert values[NB201_BEST_CIFAR10] == best


@pytest.mark.data
def test_nb201_isomorphic_cells_share_the_mean_of_their_rows(nb201):
    table, oracle = nb201.benchmark(), nb201.oracle("cifar10/test@200")
    column = table.column("cifar10/test@200")
    # With 2->3 'none', node 2 cannot reach the output: the ops of 0->2 and 1->2 do not matter.
    members = [
        f"|nor_conv_3x3~0|+|{a}~0|{b}~1|+|skip_connect~0|nor_conv_1x1~1|none~2|"
        for a in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
        for b in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    ]
    rows = [column[table.keys.index(member)] for member in members]
    assert np.ptp(rows) > 0  # the benchmark trained them separately
    assert all(oracle.query(nb201.from_string(member)) == pytest.approx(np.mean(rows)) for member in members)


@pytest.mark.data
def test_nb201_hw_latency_and_energy_are_read_from_the_hw360_rows(nb201):
    # First data row of nb201_hw360_latency_energy.csv.gz: index 0 on a Raspberry Pi 5, LiteRT, CIFAR-100.
    index_0 = nb201.from_string(nb201.benchmark().keys[0])
    assert nb201.oracle("hw360/pi5-litert/cifar100/latency").query(index_0) == pytest.approx(1.48767)
    assert nb201.oracle("hw360/pi5-litert/cifar100/energy").query(index_0) == pytest.approx(2.57532)
    assert nb201.oracle_metrics()["hw360/pixel-litert/cifar100/latency"] == "ms"
    assert "hw360/pixel-litert/cifar100/energy" not in nb201.oracle_metrics()  # not measured on the Pixel
    assert nb201.oracle("hw360/pi5-onnx/darcy/latency").higher_is_better is False


@pytest.mark.data
def test_nb201_ninapro_accuracy_is_read_from_the_hw360_accuracy_column(nb201):
    # nb201_hw360_latency_energy.csv.gz, rows of arch_idx 0 and 6111 with task ninapro: 90.7436 and
    # 91.047 on all four device rows (NAS-Bench-360's NinaPro test accuracy, ori-test@199, seed 777).
    oracle = nb201.oracle("ninapro/test@200")
    assert (oracle.unit, oracle.higher_is_better) == ("%", True)
    keys = nb201.benchmark().keys
    table = next(table for table in nb201.oracle_tables() if "ninapro/test@200" in table.metrics)
    column = table.column("ninapro/test@200")
    assert (column[table.keys.index(keys[0])], column[table.keys.index(keys[6111])]) == (90.7436, 91.047)
    # The oracle answers the mean over a cell's isomorphism class, as for every NB201 table.
    index_0 = nb201.from_string(keys[0])
    members = [i for i, key in enumerate(table.keys) if nb201.table_row_key(key) == nb201.canonical_key(index_0)]
    assert len(members) > 1
    assert oracle.query(index_0) == pytest.approx(np.mean(column[members]))
    assert not any(metric.startswith("darcy") or metric.endswith("darcy/accuracy") for metric in nb201.oracle_metrics())


def test_nb201_hw_table_refuses_a_task_accuracy_that_differs_by_device(tmp_path):
    from archgen.spaces.nb201.hw_tables import load_hw_benchmark

    path = tmp_path / "hw.csv"
    path.write_text(
        "arch_idx,device,framework,task,lat_ms_median,energy_mj,accuracy,status\n"
        "0,pi5,litert,ninapro,1.0,2.0,90.5,ok\n"
        "0,pixel,litert,ninapro,1.0,,90.7,ok\n"
    )
    with pytest.raises(DataFileError, match=r"line 3 gives ninapro accuracy 90.7 for arch_idx 0, another row 90.5"):
        load_hw_benchmark(path, {0: "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"})
    path.write_text(
        "arch_idx,device,framework,task,lat_ms_median,energy_mj,accuracy,status\n"
        "0,pi5,litert,ninapro,1.0,2.0,90.5,ok\n"
        "0,pixel,litert,ninapro,1.0,,90.5,ok\n"
    )
    table = load_hw_benchmark(path, {0: "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"})
    assert table.column("ninapro/test@200")[0] == 90.5


def test_nb201_hw_table_needs_the_accuracy_table(tmp_path):
    space = archgen.load("space", "nb201", hw_benchmark=str(tmp_path / "hw.csv"))
    with pytest.raises(DataFileError, match=r"set \[space.options\] benchmark"):
        space.oracle_metrics()


# -- TableOracle -----------------------------------------------------------------------------------------------


def _tiny_table_oracle():
    space = archgen.load("space", "nb201")
    archs = space.sample(3, seed=0)
    values = {space.canonical_key(archs[0]): 0.5, space.canonical_key(archs[1]): math.nan}
    return space, archs, TableOracle(space, "acc", MetricSpec("%", scale=100.0), values, source="tiny.csv")


def test_table_oracle_scales_and_names_the_missing_architecture():
    space, archs, oracle = _tiny_table_oracle()
    assert oracle.query(archs[0]) == 50.0 and len(oracle) == 1
    for arch in archs[1:]:  # NaN rows are no entry at all
        with pytest.raises(InvalidArchitectureError, match=r"no 'acc' entry for '\|[^ ]*(\.\.\.|') in 'tiny.csv'"):
            oracle.query(arch)
    broken = Architecture("nb201", archs[0].adjacency, ("input", *("conv",) * 6, "output"))
    with pytest.raises(InvalidArchitectureError, match=r"cannot query 'acc' of <nb201 graph, ops \['input', 'conv'"):
        oracle.query(broken)


# -- BudgetedOracle -------------------------------------------------------------------------------------------


def _conv_count_oracle(higher_is_better: bool = True) -> tuple[object, ComputedOracle, list[int]]:
    """An oracle over NB201 that counts its calls: the number of 3x3 convs of a cell (no data needed)."""
    space = archgen.load("space", "nb201")
    calls: list[int] = []

    def convs(arch: Architecture) -> float:
        calls.append(1)
        return float(arch.ops.count("nor_conv_3x3"))

    return space, ComputedOracle(space, "convs", MetricSpec("count", higher_is_better), convs), calls


def test_budget_counts_distinct_canonical_keys_and_repeats_are_free():
    space, oracle, calls = _conv_count_oracle()
    budgeted = BudgetedOracle(oracle, space, budget=2)
    first = space.from_string("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    # The same cell up to edges that cannot reach the output: the same canonical key, so free.
    same = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    assert space.canonical_key(first) == space.canonical_key(same)
    assert budgeted.query(first) == 2.0
    assert budgeted.query(first) == budgeted.query(same) == 2.0
    assert (budgeted.num_queries, budgeted.remaining, len(calls)) == (1, 1, 1)
    second = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert budgeted.query(second) == 6.0
    assert budgeted.remaining == 0
    assert budgeted.query(same) == 2.0  # still free after the budget is spent


def test_budget_refuses_past_its_end_naming_budget_and_metric():
    space, oracle, calls = _conv_count_oracle()
    budgeted = BudgetedOracle(oracle, space, budget=3)
    archs = list(dict((space.canonical_key(a), a) for a in space.sample(20, seed=1)).values())
    for arch in archs[:3]:
        budgeted.query(arch)
    with pytest.raises(BudgetExhaustedError, match=r"budget of 3 distinct architectures for metric 'convs' is spent; '\|"):
        budgeted.query(archs[3])
    assert budgeted.num_queries == 3 and len(calls) == 3  # the refused one was never evaluated
    assert isinstance(BudgetExhaustedError("x"), archgen.ArchgenError)


def test_failed_queries_cost_nothing():
    space, archs, table = _tiny_table_oracle()
    budgeted = BudgetedOracle(table, space, budget=1)
    with pytest.raises(InvalidArchitectureError):
        budgeted.query(archs[1])
    assert budgeted.num_queries == 0 and budgeted.trajectory == () and budgeted.best() is None
    assert budgeted.query(archs[0]) == 50.0


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_trajectory_best_so_far_is_monotone_and_best_is_its_end(higher_is_better):
    space, oracle, _ = _conv_count_oracle(higher_is_better)
    archs = space.sample(60, seed=7)
    budgeted = BudgetedOracle(oracle, space, budget=1000)
    for arch in archs:
        budgeted.query(arch)
    trajectory = budgeted.trajectory
    assert len(trajectory) == len({space.canonical_key(a) for a in archs}) == budgeted.num_queries
    assert [entry.number for entry in trajectory] == list(range(1, len(trajectory) + 1))
    bests = [entry.best for entry in trajectory]
    assert bests == sorted(bests, reverse=not higher_is_better)
    pick = max if higher_is_better else min
    assert bests[-1] == pick(entry.value for entry in trajectory) == budgeted.best().value
    assert budgeted.best() == next(entry for entry in trajectory if entry.value == bests[-1])  # the earliest best
    assert all(space.from_string(entry.arch) for entry in trajectory)


@pytest.mark.parametrize("budget", [-1, 1.5, "3"])
def test_bad_budgets_and_foreign_oracles_are_config_errors(budget):
    space, oracle, _ = _conv_count_oracle()
    with pytest.raises(ConfigError, match="budget must be a non-negative integer"):
        BudgetedOracle(oracle, space, budget)
    with pytest.raises(ConfigError, match="oracle of space 'nb201' cannot serve space 'mbv3'"):
        BudgetedOracle(oracle, archgen.load("space", "mbv3"), 1)


def test_zero_budget_refuses_the_first_query():
    space, oracle, calls = _conv_count_oracle()
    with pytest.raises(BudgetExhaustedError):
        BudgetedOracle(oracle, space, 0).query(space.sample(1)[0])
    assert calls == []
