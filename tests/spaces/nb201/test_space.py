"""NAS-Bench-201 space: exact counts, the official string, the fixed 8-node form."""

import csv
import gzip
from collections import defaultdict

import pytest

import archgen
from archgen import InvalidArchitectureError
from archgen.spaces.nb201.space import FIXED_ADJACENCY, OPERATIONS
from archgen.testing import require_shared_data

# Best CIFAR-10 cell of NAS-Bench-201 (Dong & Yang, ICLR 2020; index 6111 in the NATS-Bench topology list).
BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def space():
    return archgen.load("space", "nb201")


def test_size_and_enumeration(space):
    members = list(space.enumerate())
    assert space.size() == 15_625 == len(members) == len(set(members))
    assert all(space.is_valid(a) for a in members)


def test_canonical_classes_match_the_release(space):
    # NAS-Bench-201 / NATS-Bench: 15,625 cells, 6,466 unique after removing isomorphic ones
    # (Structure.to_unique_str(consider_zero=True), the key of the benchmark's get_unique_str).
    assert len({space.canonical_key(a) for a in space.enumerate()}) == 6_466


def test_fixed_topology_is_arch2vecs_node_form():
    # arch2vec/NPENAS node form: op nodes 1..6 stand for edges 0->1, 0->2, 0->3, 1->2, 1->3, 2->3.
    edges = {(i, j) for i in range(8) for j in range(8) if FIXED_ADJACENCY[i][j]}
    assert edges == {(0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (2, 6), (4, 6), (3, 7), (5, 7), (6, 7)}


def test_official_string_round_trip_and_node_order(space):
    arch = space.from_string(BEST_CIFAR10)
    # nodes: input, 0->1, 0->2, 0->3, 1->2, 1->3, 2->3, output
    assert arch.ops == ("input", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_1x1", "output")
    assert space.to_string(arch) == BEST_CIFAR10


def test_canonical_key_merges_dead_and_zero_edges(space):
    # With 2->3 = none, the ops into node 2 cannot reach the output.
    a = space.from_string("|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|")
    b = space.from_string("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|")
    assert space.canonical_key(a) == space.canonical_key(b) != space.canonical_key(space.from_string(BEST_CIFAR10))
    # With 0->1 = none, node 1 is zero, so the ops leaving it do not matter.
    c = space.from_string("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    d = space.from_string("|none~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|none~1|skip_connect~2|")
    assert space.canonical_key(c) == space.canonical_key(d)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "expected 3 '+'-separated nodes"),
        ("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "unknown op 'conv'"),
        ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "should read '<op>~0'"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "node 2 needs 2 inputs"),
    ],
)
def test_invalid_strings_name_the_problem(space, text, fragment):
    with pytest.raises(InvalidArchitectureError) as error:
        space.from_string(text)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_strict_validity_reasons(space):
    arch = space.from_string(BEST_CIFAR10)
    adjacency = arch.adjacency_array()
    adjacency[0, 4] = 1
    off_topology = archgen.Architecture.from_arrays("nb201", adjacency, arch.ops)
    assert "adjacency differs from the fixed NB201 topology at edges [(0, 4)]" == space.why_invalid(off_topology)
    swapped = archgen.Architecture("nb201", FIXED_ADJACENCY, ("output", *arch.ops[1:-1], "input"))
    assert "expected 'input'/'output'" in space.why_invalid(swapped)
    assert space.paper_valid(off_topology) and not space.is_valid(off_topology)


def test_sampling_is_uniform_over_ops(space):
    archs = space.sample(5_000, seed=3)
    counts = defaultdict(int)
    for arch in archs:
        for op in arch.ops[1:-1]:
            counts[op] += 1
    assert set(counts) == set(OPERATIONS)
    assert all(abs(c / 30_000 - 0.2) < 0.02 for c in counts.values())


def test_canonical_classes_equal_the_benchmarks_isomorphism_column(space):
    path = require_shared_data("nasbench201", "nb201_accuracies.csv.gz")
    with gzip.open(path, "rt") as handle:
        rows = list(csv.DictReader(handle))
    ours = [space.canonical_key(space.from_string(r["arch_str"])) for r in rows]
    theirs = [r["iso_str"] for r in rows]
    # Same partition of the 15,625 cells, not merely the same count.
    assert len(set(zip(ours, theirs))) == len(set(ours)) == len(set(theirs)) == 6_466
