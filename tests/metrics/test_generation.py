"""Paper and strict protocols on hand-built sample batches with known answers.

The paper protocol is arch2vec's counting (github MSU-MLSys-Lab/arch2vec):
``models/pretraining_nasbench201.py`` / ``pretraining_nasbench101.py`` /
``pretraining_darts.py`` count a decode as valid by ``is_valid_nasbench201`` /
``nasbench.is_valid(ModelSpec(...))`` / ``is_valid_darts`` (``utils/utils.py``)
and as unique by ``graph_util.hash_module(adjacency, one_hot)``; novelty is
Arch-VQ's (after D-VAE): valid samples whose hash no training graph has.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

import archgen
from archgen import Architecture
from archgen.generation import SampleBatch
from archgen.metrics import GenerationReference, evaluate_samples, hash_module, iid_uniqueness_ceiling

CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    # these two differ only on edges into node 2, which 2->3 = none cuts off: one canonical class
    "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
]


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


def _relabel(arch: Architecture, order: tuple[int, ...]) -> Architecture:
    """The same graph with new vertex ``i`` being old vertex ``order[i]``."""
    adjacency = arch.adjacency_array()[np.ix_(order, order)]
    return Architecture.from_arrays(arch.space, adjacency, [arch.ops[v] for v in order])


def _upper_triangular_orders(arch: Architecture) -> list[tuple[int, ...]]:
    """Every vertex order with the first and last vertex kept that leaves the matrix upper triangular."""
    n, adjacency = arch.num_nodes, arch.adjacency_array()
    orders = []
    for middle in itertools.permutations(range(1, n - 1)):
        order = (0, *middle, n - 1)
        if not np.tril(adjacency[np.ix_(order, order)]).any():
            orders.append(order)
    return orders


def _with_ops(arch: Architecture, changes: dict[int, str]) -> Architecture:
    ops = list(arch.ops)
    for node, op in changes.items():
        ops[node] = op
    return Architecture(arch.space, arch.adjacency, tuple(ops))


def _with_edges(arch: Architecture, changes: dict[tuple[int, int], int]) -> Architecture:
    adjacency = arch.adjacency_array()
    for (i, j), value in changes.items():
        adjacency[i, j] = value
    return Architecture.from_arrays(arch.space, adjacency, arch.ops)


# -- NB201 -------------------------------------------------------------------------------
def test_nb201_both_protocols_count_exactly(nb201) -> None:
    a, b, c, d = (nb201.from_string(s) for s in CELLS)
    # Op node 3 (edge 0->3) reads only the input, so it may come first: a relabelled copy of the
    # same graph, off the fixed topology, that arch2vec's is_valid_nasbench201 accepts.
    a_moved, b_moved = _relabel(a, (0, 3, 1, 2, 4, 5, 6, 7)), _relabel(b, (0, 3, 1, 2, 4, 5, 6, 7))
    # is_valid_nasbench201 loops over range(2, len(ops) - 1): position 1 is never checked ...
    position_1 = _with_ops(a, {1: "output"})
    # ... position 2 is.
    position_2 = _with_ops(a, {2: "input"})
    samples = [a, a, a_moved, b, b_moved, c, d, position_1, position_2, None]
    batch = SampleBatch.from_architectures(nb201, samples)
    reference = GenerationReference.build(nb201, train=[a], heldout=[b, c])
    result = evaluate_samples(nb201, batch, reference)
    paper, strict = result["paper"], result["strict"]
    assert result["well_formed"] == pytest.approx(90.0)
    # paper: valid = a, a, a_moved, b, b_moved, c, d, position_1 (8 of 10); fingerprints {a, b, c, d, position_1};
    # not in training = b, b_moved, c, d, position_1 (5); off the strict space: b_moved, position_1 (2 of 5)
    assert paper == pytest.approx(
        {
            "validity": 80.0,
            "uniqueness": 100 * 5 / 8,
            "absolute_uniqueness": 50.0,
            "novelty": 100 * 5 / 8,
            "absolute_novelty": 50.0,
            "off_topology_share_of_novel": 40.0,
        }
    )
    # strict: valid = a, a, b, c, d (5 of 10); classes {a, b, c = d}; novel = b, c, d; held-out classes {b, c} all seen
    assert strict == pytest.approx(
        {
            "validity": 50.0,
            "uniqueness": 60.0,
            "absolute_uniqueness": 30.0,
            "novelty": 60.0,
            "absolute_novelty": 30.0,
            "heldout_coverage": 100.0,
            "heldout_only_coverage": 100.0,
        }
    )


def test_nb201_relabelled_copies_of_one_cell_count_once(nb201) -> None:
    # arch2vec counts unique decodes by graph_util.hash_module, invariant under relabelling; each
    # upper-triangular order of a cell passes is_valid_nasbench201 (ops stay at positions 1..6).
    cell = nb201.from_string(CELLS[0])
    orders = _upper_triangular_orders(cell)
    copies = [_relabel(cell, order) for order in orders]
    # Op nodes 1 < 4 < 6, 1 < 5, 2 < 6 (edge a->b feeds b->c), node 3 (0->3) free: 11 orders x 6 places for 3.
    assert len(orders) == 66 and len(set(copies)) == 66
    assert len({hash_module(c.adjacency, [nb201.op_vocabulary.index(op) for op in c.ops]) for c in copies}) == 1
    reference = GenerationReference.build(nb201, train=[cell], heldout=[cell])
    paper = evaluate_samples(nb201, SampleBatch.from_architectures(nb201, copies), reference)["paper"]
    assert paper["validity"] == 100.0
    assert paper["uniqueness"] == pytest.approx(100 / 66)
    assert paper["novelty"] == 0.0  # every copy is the training cell


def test_nb201_paper_rule_is_is_valid_nasbench201(nb201) -> None:
    # utils/utils.py is_valid_nasbench201(adj, ops): ops[0] == 'input', ops[-1] == 'output',
    # ops[2 .. len-2] in the five edge ops; adj is never read.
    cell = nb201.from_string(CELLS[1])
    assert nb201.paper_valid(_with_ops(cell, {1: "input"}))
    assert nb201.paper_valid(_with_edges(cell, {(0, 7): 1, (1, 2): 0}))
    for position in range(2, 7):
        assert not nb201.paper_valid(_with_ops(cell, {position: "output"}))
    assert not nb201.paper_valid(_with_ops(cell, {0: "nor_conv_1x1"}))
    assert not nb201.paper_valid(_with_ops(cell, {7: "none"}))


def test_nothing_valid_gives_zeros_not_errors(nb201) -> None:
    a = nb201.from_string(CELLS[0])
    reference = GenerationReference.build(nb201, train=[a], heldout=[a])
    result = evaluate_samples(nb201, SampleBatch.from_architectures(nb201, [None, _with_ops(a, {3: "input"})]), reference)
    assert result["paper"]["validity"] == result["paper"]["uniqueness"] == 0.0
    assert result["strict"]["validity"] == result["strict"]["uniqueness"] == 0.0
    assert result["well_formed"] == 50.0
    nothing = evaluate_samples(nb201, SampleBatch.from_architectures(nb201, [None, None]), GenerationReference.build(nb201, [], [a]))
    assert nothing["paper"]["validity"] == nothing["strict"]["heldout_coverage"] == nothing["well_formed"] == 0.0


# -- NB101 -------------------------------------------------------------------------------
def test_nb101_counts_the_official_check_of_the_seven_row_decode() -> None:
    # models/pretraining_nasbench101.py: validity is nasbench.is_valid(ModelSpec(ad_decode, op_decode)) of
    # all 7 decoded rows, so a smaller cell (its padding rows decode to 'input', the last one too) never
    # counts; uniqueness is graph_util.hash_module of the unpruned decode.
    space = archgen.load("space", "nb101")
    ops = ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"]
    matrix = np.zeros((7, 7), dtype=int)
    for i, j in [(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 5), (4, 6), (5, 6)]:
        matrix[i, j] = 1
    seven = Architecture.from_arrays("nb101", matrix, ops)
    swapped = _relabel(seven, (0, 2, 1, 3, 4, 5, 6))  # nodes 1 and 2 both read the input and feed node 4
    small = Architecture.from_arrays("nb101", [[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])
    # vertex 5 moved to read the input and feed nothing, vertex 3 left feeding nothing: pruning removes
    # both, the official check passes the rest, and the unpruned decode hashes as a new graph
    dead = _with_edges(_with_ops(seven, {5: "conv3x3-bn-relu"}), {(3, 5): 0, (5, 6): 0, (0, 5): 1})
    assert space.is_valid(swapped) and space.is_valid(small) and space.is_valid(dead)
    batch = SampleBatch.from_architectures(space, [seven, swapped, small, dead])
    result = evaluate_samples(space, batch, GenerationReference.build(space, train=[seven], heldout=[small]))
    # paper: valid = seven, swapped, dead (3 of 4); fingerprints {seven, dead}; novel = dead
    assert result["paper"]["validity"] == 75.0
    assert result["paper"]["uniqueness"] == pytest.approx(100 * 2 / 3)
    assert result["paper"]["novelty"] == pytest.approx(100 / 3)
    # strict: all four valid; the official hash of the pruned cell: {seven, small, dead}
    assert result["strict"]["validity"] == 100.0
    assert result["strict"]["uniqueness"] == 75.0


# -- DARTS -------------------------------------------------------------------------------
def test_darts_counts_is_valid_darts_which_reads_the_adjacency() -> None:
    # utils/utils.py is_valid_darts: labels c_k-2, c_k-1 first, output last, and for each op node of
    # intermediate node k an incoming edge from before its node (sum(adj[:2+2k, col]) > 0); applied to
    # each cell's 11-node block of archgen's 22-node graph.
    space = archgen.load("space", "darts")
    (arch,) = space.sample(1, seed=3)
    swapped = space.equivalent_forms(arch, random.Random(0))[0]  # pairs of a node swapped
    inputs_of_node_2 = [i for i in range(2) if arch.adjacency[i][2]]
    orphan = _with_edges(arch, {(i, 2): 0 for i in inputs_of_node_2})  # op node 2 reads nothing: refused
    lenient = _with_edges(arch, {(0, 10): 1})  # an edge is_valid_darts never reads: accepted
    assert swapped != arch and space.canonical_key(swapped) == space.canonical_key(arch)
    assert not space.paper_valid(orphan) and space.paper_valid(lenient) and not space.is_valid(lenient)
    batch = SampleBatch.from_architectures(space, [arch, swapped, orphan, lenient])
    result = evaluate_samples(space, batch, GenerationReference.build(space, train=[arch], heldout=[arch]))
    # paper: valid = arch, swapped, lenient; fingerprints {arch = swapped, lenient}; novel = lenient, off-topology
    assert result["paper"] == pytest.approx(
        {
            "validity": 75.0,
            "uniqueness": 100 * 2 / 3,
            "absolute_uniqueness": 50.0,
            "novelty": 100 / 3,
            "absolute_novelty": 25.0,
            "off_topology_share_of_novel": 100.0,
        }
    )
    assert result["strict"]["validity"] == 50.0 and result["strict"]["uniqueness"] == 50.0


# -- the i.i.d. ceiling ------------------------------------------------------------------
def test_iid_uniqueness_ceiling() -> None:
    # N (1 - (1 - 1/N)^n) / n: 10,000 draws over NB201's 15,625 cells
    assert iid_uniqueness_ceiling(15_625, 10_000) == pytest.approx(100 * 15_625 * (1 - (1 - 1 / 15_625) ** 10_000) / 10_000)
    assert round(iid_uniqueness_ceiling(15_625, 10_000), 2) == 73.86  # so the paper's 93.30 needs non-member decodes
    assert iid_uniqueness_ceiling(1, 5) == pytest.approx(20.0)
    assert iid_uniqueness_ceiling(10**30, 10_000) == pytest.approx(100.0)
