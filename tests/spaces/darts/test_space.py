"""The DARTS space: contract kit, exact size, graph form, validity and canonical keys."""

from __future__ import annotations

import dataclasses
import itertools
import random
from math import comb

import numpy as np
import pytest

import archgen
from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.spaces.darts.genotype import DARTS_V2, OPERATIONS
from archgen.spaces.darts.space import DartsSpace
from archgen.testing import check_search_space


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return DartsSpace()


def test_contract_kit(space: DartsSpace) -> None:
    check_search_space(space)


def test_loads_through_the_registry() -> None:
    assert isinstance(archgen.load("space", "darts"), DartsSpace)


def _cell_count_by_enumeration() -> int:
    """Counts one cell's node choices by brute force: sets of two (input, op) pairs with distinct inputs."""
    total = 1
    for predecessors in range(2, 6):
        pairs = list(itertools.product(range(predecessors), OPERATIONS))
        node_choices = {frozenset((a, b)) for a, b in itertools.product(pairs, repeat=2) if a[0] != b[0]}
        total *= len(node_choices)
    return total


def test_size_is_the_square_of_the_per_cell_count(space: DartsSpace) -> None:
    per_cell = 1
    for k in range(4):
        per_cell *= comb(k + 2, 2) * 7**2
    assert per_cell == _cell_count_by_enumeration() == 1_037_664_180
    assert space.size() == per_cell**2 == 1_076_746_950_455_072_400
    # NAS-Bench-301 (Siems et al., 2020) quotes the DARTS space as about 10^18 architectures.
    assert 10**18 < space.size() < 2 * 10**18


def test_darts_v2_graph_is_the_arch2vec_encoding(space: DartsSpace) -> None:
    arch = space.from_genotype(DARTS_V2)
    adjacency = arch.adjacency_array()
    assert arch.num_nodes == space.max_nodes == 22
    assert arch.ops[:11] == ("c_k-2", "c_k-1", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3",
                             "sep_conv_3x3", "skip_connect", "skip_connect", "dil_conv_3x3", "output")  # fmt: skip
    assert arch.ops[11:13] == ("c_k-2", "c_k-1") and arch.ops[-1] == "output"
    # Normal cell, as arch2vec's build_mat_encoding: pairs reading c_k-2/c_k-1 have one edge from node 0/1 ...
    assert adjacency[0, 2] == adjacency[1, 3] == adjacency[0, 4] == adjacency[1, 5] == 1
    # ... and ('dil_conv_3x3', 2) reads intermediate node 2 = the sum of op nodes 2 and 3.
    assert adjacency[2, 9] == adjacency[3, 9] == 1 and adjacency[:, 9].sum() == 2
    # Every op node feeds the cell output; nothing else does.
    assert adjacency[:, 10].tolist() == [0, 0] + [1] * 8 + [0] * 12
    # Reduction cell: ('skip_connect', 2) at pair 2 -> node 13 + 2 = 15 reads op nodes 13 and 14.
    assert adjacency[13, 15] == adjacency[14, 15] == 1
    assert not adjacency[:11, 11:].any() and not adjacency[11:, :11].any()
    assert np.array_equal(np.triu(adjacency, 1), adjacency)
    assert space.is_valid(arch) and space.paper_valid(arch)


def test_op_vocabulary_follows_arch2vec_without_none(space: DartsSpace) -> None:
    # arch2vec utils/utils.py one_hot_darts order, minus 'none' (never chosen in the discrete space).
    assert space.op_vocabulary == ("c_k-2", "c_k-1", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                                   "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5", "output")  # fmt: skip


def _with(
    arch: Architecture, edges: dict[tuple[int, int], int] | None = None, ops: dict[int, str] | None = None
) -> Architecture:
    adjacency = arch.adjacency_array()
    for (i, j), value in (edges or {}).items():
        adjacency[i, j] = value
    labels = list(arch.ops)
    for node, op in (ops or {}).items():
        labels[node] = op
    return Architecture.from_arrays(arch.space, adjacency, labels)


@pytest.mark.parametrize(
    ("edits", "fragment"),
    [
        # Pair 1 of node 2 re-pointed from c_k-1 to c_k-2: the node reads input 0 twice.
        ({"edges": {(1, 3): 0, (0, 3): 1}}, "node 2 takes input 0 twice"),
        ({"ops": {6: "none"}}, "op 'none'"),
        ({"ops": {0: "c_k-1"}}, "expected 'c_k-2'"),
        # An op node fed by both cell inputs fits no single input.
        ({"edges": {(0, 3): 1}}, "normal op node 3 has incoming edges from nodes [0, 1]"),
        # Node 5 reading only one op node of node 2.
        ({"edges": {(3, 9): 0}}, "op node 9 has incoming edges from nodes [2]"),
        # Missing output edge: the cell would not concatenate every node ("wrong concat").
        ({"edges": {(4, 10): 0}}, "edges [(4, 10)]"),
        ({"edges": {(0, 10): 1}}, "edges [(0, 10)]"),
        ({"edges": {(10, 11): 1}}, "none between cells"),
    ],
)
def test_strict_validity_names_the_problem(space: DartsSpace, edits: dict, fragment: str) -> None:
    arch = _with(space.from_genotype(DARTS_V2), **edits)
    reason = space.why_invalid(arch)
    assert reason is not None and fragment in reason, reason
    assert not space.is_valid(arch)
    with pytest.raises(InvalidArchitectureError):
        space.to_string(arch)


def test_wrong_node_count_and_foreign_space(space: DartsSpace) -> None:
    arch = space.from_genotype(DARTS_V2)
    small = Architecture.from_arrays("darts", arch.adjacency_array()[:11, :11], arch.ops[:11])
    assert "has 11 nodes" in space.why_invalid(small)
    assert "space 'nb201'" in space.why_invalid(Architecture("nb201", arch.adjacency, arch.ops))


def test_from_string_rejects_invalid_genotypes_with_the_reason(space: DartsSpace) -> None:
    text = DARTS_V2.to_string().replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)")
    with pytest.raises(InvalidArchitectureError, match="node 5 takes input 5"):
        space.from_string(text)


def test_paper_validity_is_arch2vecs_lenient_check(space: DartsSpace) -> None:
    arch = space.from_genotype(DARTS_V2)
    # Extra edges arch2vec does not examine: strictly invalid, paper-valid.
    lenient = _with(arch, edges={(0, 10): 1, (2, 3): 1})
    assert not space.is_valid(lenient) and space.paper_valid(lenient)
    # An op node of node 2 with no input among c_k-2/c_k-1: rejected by both.
    orphan = _with(arch, edges={(1, 3): 0})
    assert not space.is_valid(orphan) and not space.paper_valid(orphan)
    # Cell labels out of place are rejected whatever the edges.
    assert not space.paper_valid(_with(arch, ops={10: "c_k-2"}))
    assert not space.paper_valid(_with(arch, ops={17: "output"}))


def test_canonical_key_ignores_input_order_only(space: DartsSpace) -> None:
    base = space.from_genotype(DARTS_V2)
    swapped_normal = list(DARTS_V2.normal)
    swapped_normal[6], swapped_normal[7] = swapped_normal[7], swapped_normal[6]
    swapped = space.from_genotype(dataclasses.replace(DARTS_V2, normal=tuple(swapped_normal)))
    assert swapped != base and space.key(swapped) != space.key(base)
    assert space.canonical_key(swapped) == space.canonical_key(base)
    # Moving an op to the other input changes the network, so the key.
    moved = list(DARTS_V2.normal)
    moved[6], moved[7] = ("dil_conv_3x3", 0), ("skip_connect", 2)
    other = space.from_genotype(dataclasses.replace(DARTS_V2, normal=tuple(moved)))
    assert space.canonical_key(other) != space.canonical_key(base)
    for form in space.equivalent_forms(base, random.Random(0)):
        assert space.canonical_key(form) == space.canonical_key(base)


def test_tensor_round_trip_and_upper_triangle(space: DartsSpace) -> None:
    archs = space.sample(64, seed=7)
    adjacency, ops = space.to_tensors(archs)
    assert tuple(adjacency.shape) == (64, 22, 22) and tuple(ops.shape) == (64, 22, 10)
    assert (adjacency.tril() == 0).all()
    assert space.from_tensors(adjacency, ops) == archs
