"""``[search] pool = "labelled"``: searching only the architectures an oracle table labels.

The toy table (written by the test) labels 8 AutoFormer-T subnets of 10^9; the
accuracy of subnet ``i`` is ``70 + i``, so the pool's optimum is known exactly.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import archgen
from archgen.cli.main import main
from archgen.config import load_config
from archgen.errors import ConfigError
from archgen.pipeline.search_command import LabelledPool, labelled_pool, run_search, with_overrides
from archgen.spaces.autoformer.counters import count_flops_release
from archgen.testing import require_shared_data

SPACE = archgen.load("space", "autoformer")
SUBNETS = SPACE.sample(8, seed=11)
ACCURACY = {SPACE.canonical_key(arch): 70.0 + i for i, arch in enumerate(SUBNETS)}
EXPERIMENT = "imagenet_super_acc--imagenet_super_acc--labelled"


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("autoformer") / "gt_toy.json"
    records = [{"arch": SPACE.to_native(arch), "imagenet_super_acc": 70.0 + i} for i, arch in enumerate(SUBNETS)]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture
def space(table):
    return archgen.load("space", "autoformer", benchmark=str(table))


def registry(tmp_path: Path, table: Path, searcher: str, search: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(
        f'[run]\nname = "p"\nruns_dir = "{tmp_path / "runs"}"\ndevice = "cpu"\nthreads = 1\n'
        f'[space]\nname = "autoformer"\n[space.options]\nbenchmark = "{table}"\n'
        f'[searcher]\nname = "{searcher}"\n[search]\nreport = "imagenet_super_acc"\ntrials = 2\n'
        f'pool = "labelled"\n{search}',
        encoding="utf-8",
    )
    return path


def test_the_pool_is_exactly_the_labelled_subnets_and_samples_only_them(space):
    pool = labelled_pool(space, [space.oracle()])
    assert len(pool) == pool.size() == 8
    assert {space.canonical_key(a) for a in pool.enumerate()} == set(ACCURACY)
    assert {space.canonical_key(a) for a in pool.sample(200, seed=0)} == set(ACCURACY)
    outsider = space.sample(1, seed=99)[0]
    assert pool.why_invalid(outsider) == "not one of the 8 labelled architectures of the search pool"
    assert pool.why_invalid(SUBNETS[3]) is None


def test_a_mutation_is_another_member_projected_when_it_leaves_the_pool(space):
    pool = labelled_pool(space, [space.oracle()])
    rng = random.Random(0)
    for parent in SUBNETS * 5:
        child = pool.mutate(parent, rng)
        assert space.canonical_key(child) in ACCURACY and space.canonical_key(child) != space.canonical_key(parent)
    # 8 subnets among 10^9: the release's mutation never lands on one, every child was projected.
    assert pool.stats() == {"pool_size": 8, "mutations": 40, "projected": 40}


def test_projection_picks_the_smallest_hamming_distance(space):
    base = space.to_config(SUBNETS[0]).to_dict()

    def with_heads(changed: int) -> archgen.Architecture:
        heads = list(base["num_heads"])
        for layer in range(changed):
            heads[layer] = 7 - heads[layer]  # 3 <-> 4
        return space.from_native({**base, "num_heads": heads})

    one, two, three = with_heads(1), with_heads(2), with_heads(3)
    pool = LabelledPool(space, [three, one, two])
    rng = random.Random(0)
    assert pool.nearest(SUBNETS[0], rng) == one
    assert pool.nearest(one, rng, exclude=space.canonical_key(one)) == two  # 1 label from one, three is 2


def test_search_on_the_pool_says_so_and_exhausts_it(tmp_path, table, capsys):
    assert main(["search", "--config", str(registry(tmp_path, table, "random", "budget = 8\ncheckpoints = [4, 8]\n"))]) == 0
    out = capsys.readouterr().out
    assert 'pool: only the 8 architectures with a \'imagenet_super_acc\' entry in the table (pool = "labelled"), NOT the full autoformer space' in out
    folder = tmp_path / "runs" / "p" / "search" / EXPERIMENT
    for seed in (0, 1):
        trial = json.loads((folder / "random" / f"trial-{seed}.json").read_text())
        assert sorted(q["signal"] for q in trial["queries"]) == [70.0 + i for i in range(8)]  # each member once
        assert trial["best"]["report"] == 77.0 and trial["pool"] == {"pool_size": 8, "mutations": 0, "projected": 0}
    settings = json.loads((folder / "random" / "settings.json").read_text())
    assert settings["pool"] == {"kind": "labelled", "size": 8}
    assert json.loads((folder / "search.json").read_text())["searchers"]["random"]["at"]["8"]["mean"] == 77.0


def test_evolution_on_the_pool_queries_members_only(tmp_path, table):
    config = load_config(registry(tmp_path, table, "evolution", "budget = 6\ncheckpoints = [6]\n"))
    config = with_overrides(config)
    config.searcher.options.update({"population": 3, "sample_size": 2})
    run_search(config, run_dir=tmp_path / "runs" / "p")
    trial = json.loads((tmp_path / "runs" / "p" / "search" / EXPERIMENT / "evolution" / "trial-0.json").read_text())
    assert trial["evaluated"] == 6 and all(SPACE.canonical_key(SPACE.from_string(q["arch"])) in ACCURACY for q in trial["queries"])
    assert trial["pool"]["mutations"] >= 3 and trial["pool"]["projected"] == trial["pool"]["mutations"]


def test_a_constraint_narrows_the_pool(tmp_path, table):
    flops = sorted(count_flops_release(SPACE.to_config(a)) / 1e9 for a in SUBNETS)
    limit = (flops[2] + flops[3]) / 2  # exactly three subnets within
    config = load_config(registry(tmp_path, table, "random", f'budget = 3\ncheckpoints = [3]\nconstraint = {{ metric = "flops_release", max = {limit} }}\n'))
    summary = run_search(config, run_dir=tmp_path / "runs" / "p")
    assert "only the 3 architectures" in summary["note"] and f"within flops_release <= {limit:g}" in summary["note"]
    with pytest.raises(ConfigError, match=r"budget 4 exceeds the labelled pool of 3 architectures; lower it to at most 3"):
        run_search(with_overrides(config, budget=4), run_dir=tmp_path / "runs" / "q")


def test_budget_past_the_pool_is_one_line_exit_2(tmp_path, table, capsys):
    assert main(["search", "--config", str(registry(tmp_path, table, "random", "budget = 9\n"))]) == 2
    err = capsys.readouterr().err
    assert "budget 9 exceeds the labelled pool of 8 architectures" in err and err.count("\n") == 1


def test_a_space_without_a_table_has_no_labelled_pool():
    with pytest.raises(ConfigError, match=r"space 'autoformer' has no table of labelled architectures .*use pool = \"space\""):
        labelled_pool(SPACE, [SPACE.oracle("flops_release")])


def test_nb101_labelled_pool_is_the_292_cells_of_the_500_rows():
    path = require_shared_data("nasbench101", "nb101_zc_naslib_500.csv.gz")
    space = archgen.load("space", "nb101", benchmark=str(path))
    cells = space.labelled_architectures()
    assert len(cells) == len({space.canonical_key(c) for c in cells}) == 292  # PROVENANCE.md: 292 distinct cells
    assert all(space.prune(c) == c for c in cells)
    pool = labelled_pool(space, [space.oracle("val_accuracy")])
    assert len(pool) == 292
    child = pool.mutate(cells[0], random.Random(1))
    assert space.canonical_key(child) in {space.canonical_key(c) for c in cells} - {space.canonical_key(cells[0])}


def test_the_pool_flag_overrides_the_registry(tmp_path, table, capsys):
    path = registry(tmp_path, table, "random", "budget = 8\ncheckpoints = [8]\n")
    path.write_text(path.read_text().replace('pool = "labelled"\n', ""), encoding="utf-8")
    # Without the flag the whole space is searched: not the labelled experiment folder.
    assert main(["search", "--config", str(path), "--pool", "labelled", "--trials", "1"]) == 0
    assert "NOT the full autoformer space" in capsys.readouterr().out
    trial = json.loads((tmp_path / "runs" / "p" / "search" / EXPERIMENT / "random" / "trial-0.json").read_text())
    assert trial["pool"]["pool_size"] == 8
    with pytest.raises(SystemExit):
        main(["search", "--config", str(path), "--pool", "all"])
    assert "invalid choice: 'all'" in capsys.readouterr().err


def _capabilities(obj):
    from archgen.protocols import SPACE_CAPABILITIES

    return {protocol.__name__ for protocol in SPACE_CAPABILITIES if isinstance(obj, protocol)}


def test_the_pool_and_the_constraint_offer_exactly_the_capabilities_of_the_space(space):
    from archgen.pipeline.search_command import ConstrainedSpace
    from archgen.protocols import SearchSpace

    pool = labelled_pool(space, [space.oracle()])
    limited = ConstrainedSpace(pool, space.oracle("flops_release"), 100.0)
    assert _capabilities(pool) == _capabilities(limited) == _capabilities(space)
    assert isinstance(limited, SearchSpace) and isinstance(limited, ConstrainedSpace) and limited.inner is pool
    assert type(ConstrainedSpace(space, space.oracle("flops_release"), 1.0)) is type(limited)  # one class per set
    assert limited.build_model(SUBNETS[0]) is not None and limited.oracle_metrics() == space.oracle_metrics()

    class Plain:  # the SearchSpace members only: no mutate, so the views offer none
        def __getattr__(self, name):
            if name in ("mutate", "to_arrays") or name.startswith("__"):
                raise AttributeError(name)
            return getattr(space, name)

    assert "Mutates" not in _capabilities(ConstrainedSpace(Plain(), space.oracle("flops_release"), 1.0))
