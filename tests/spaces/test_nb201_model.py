"""NB201's network: the benchmark's parameter counts, forward passes, and the analytic count.

Ground truth: ``../shared/data/nasbench201/nb201_zc_naslib_725.csv.gz`` (NAS-Bench-Suite-Zero's
``zc_nasbench201.json`` from github automl/NASLib; see PROVENANCE.md beside it), whose ``params``
column is NATS-Bench's ``count_parameters_in_MB`` of the topology network (``TinyNetwork`` of
github D-X-Y/AutoDL-Projects, ``xautodl/models/cell_infers/tiny_network.py``, C=16, N=5) for
CIFAR-10 (10 classes), CIFAR-100 (100) and ImageNet16-120 (120).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.protocols import BuildsModel, CountsParams
from archgen.spaces.nb201.space import OPERATIONS, NB201Space
from archgen.testing import require_shared_data
from archgen.testing.space_capabilities import CHECKS

SPACE = NB201Space()
CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
ALL_CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
#: The best CIFAR-10 cell of the benchmark (index 6111, PROVENANCE.md); not among the 725.
BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def built_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # Small convolutions gain nothing from intra-op threads, and on a busy 2-core machine they thrash.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.data
def test_every_row_of_the_naslib_table_matches() -> None:
    path = require_shared_data("nasbench201", "nb201_zc_naslib_725.csv.gz")
    with gzip.open(path, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["dataset"] for row in rows} == set(CLASSES)  # 724 + 725 + 724 rows
    wrong = [
        (row["dataset"], row["arch_str"], count, row["params"])
        for row in rows
        if (count := SPACE.count_params(SPACE.from_string(row["arch_str"]), num_classes=CLASSES[row["dataset"]]))
        != round(float(row["params"]) * 1e6)
    ]
    assert len(rows) == 2173 and not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("arch_str", "expected"),
    [
        (ALL_NONE, 73_306),  # the file's smallest CIFAR-10 network: params 0.073306
        (ALL_CONV3, 1_531_546),  # index 1462, the largest: 1.531546
        ("|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|", 615_386),  # 4811
    ],
)
def test_named_cells_count_as_the_benchmark_and_as_built(arch_str: str, expected: int) -> None:
    arch = SPACE.from_string(arch_str)
    assert SPACE.count_params(arch) == expected
    assert built_params(SPACE.build_model(arch)) == expected


@settings(max_examples=12, deadline=None)
@given(
    ops=st.lists(st.sampled_from(OPERATIONS), min_size=6, max_size=6),
    channels=st.sampled_from([4, 8, 16]),
    cells=st.integers(1, 3),
    classes=st.integers(1, 120),
    in_channels=st.integers(1, 4),
)
def test_analytic_count_equals_the_built_network(
    ops: list[str], channels: int, cells: int, classes: int, in_channels: int
) -> None:
    arch = SPACE.from_string(f"|{ops[0]}~0|+|{ops[1]}~0|{ops[2]}~1|+|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|")
    options = {"num_classes": classes, "in_channels": in_channels, "C": channels, "N": cells}
    assert SPACE.count_params(arch, **options) == built_params(SPACE.build_model(arch, **options))


def test_edge_ops_follow_the_string_order() -> None:
    arch = SPACE.from_string(BEST_CIFAR10)
    assert SPACE.edge_ops(arch) == (
        "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"
    )


@pytest.mark.parametrize(("in_channels", "side", "classes"), [(1, 8, 10), (3, 32, 10), (3, 9, 7)])
def test_forward_gives_logits(in_channels: int, side: int, classes: int) -> None:
    # 8x8 grayscale digits, CIFAR's 32x32, and an odd side (the stride-2 blocks' shortcut must match).
    model = SPACE.build_model(SPACE.from_string(BEST_CIFAR10), num_classes=classes, in_channels=in_channels)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, in_channels, side, side))
    assert logits.shape == (2, classes) and torch.isfinite(logits).all()


def test_models_are_deterministic_under_a_seed() -> None:
    arch = SPACE.from_string(BEST_CIFAR10)
    torch.manual_seed(3)
    first = SPACE.build_model(arch, num_classes=5, in_channels=1).state_dict()
    torch.manual_seed(3)
    second = SPACE.build_model(arch, num_classes=5, in_channels=1).state_dict()
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_none_edges_give_zeros_yet_the_network_runs() -> None:
    model = SPACE.build_model(SPACE.from_string(ALL_NONE), num_classes=3, in_channels=1)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 1, 8, 8))
    # Every cell outputs zeros, so the logits are the classifier's bias alone.
    assert torch.allclose(logits, model.classifier.bias.expand(2, 3), atol=1e-6)


def test_invalid_architectures_are_refused() -> None:
    good = SPACE.from_string(ALL_CONV3)
    bad_op = Architecture("nb201", good.adjacency, ("input", "conv5x5", *good.ops[2:]))
    other_space = Architecture("nb101", good.adjacency, good.ops)
    for arch in (bad_op, other_space):
        with pytest.raises(InvalidArchitectureError):
            SPACE.build_model(arch)
        with pytest.raises(InvalidArchitectureError):
            SPACE.count_params(arch)


def test_space_passes_the_kit_checks_of_its_network_capabilities() -> None:
    assert isinstance(SPACE, BuildsModel) and isinstance(SPACE, CountsParams)
    archs = SPACE.sample(2, seed=0)
    CHECKS[BuildsModel](SPACE, archs)
    CHECKS[CountsParams](SPACE, archs)
