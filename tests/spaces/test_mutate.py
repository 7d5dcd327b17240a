"""``space.mutate(arch, rng)``: every first-party space's evolutionary neighbourhood.

Each rule is the one its benchmark's own evolutionary search uses (cited in the
spaces' docstrings); here: a child is always a valid member of the same space,
never the parent (by canonical key), reproducible by the rng, and changes only
what the rule allows.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archgen
from archgen.spaces.darts.genotype import STEPS
from archgen.spaces.nb201.space import OPERATIONS

C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"


def _nb101(edges, ops):
    n = len(ops) + 2
    bits = "".join("1" if (i, j) in edges else "0" for i in range(n) for j in range(n))
    return f"{bits}|{','.join(('input', *ops, 'output'))}"


#: NB101 cells written out (the enumeration cache is not needed): the colab's Inception-like cell,
#: a 3-vertex chain, and a 7-vertex chain with a dead vertex 5 (fed by 4, feeding nothing; pruned away).
NB101_CELLS = (
    _nb101({(0, 1), (0, 2), (0, 3), (0, 5), (1, 6), (2, 6), (3, 4), (4, 6), (5, 6)}, (C1, C3, C3, C3, MP)),
    _nb101({(0, 1), (1, 2)}, (C3,)),
    _nb101({(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (4, 6)}, (C3, C1, MP, C3, MP)),
)


def _starts(space, seed):
    if space.name == "nb101":
        return [space.from_string(text) for text in NB101_CELLS]
    return space.sample(3, seed=seed)


@pytest.mark.parametrize("name", ["nb201", "nb101", "darts", "darts_cell", "mbv3", "autoformer"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_mutate_gives_a_valid_different_member(name, seed):
    space = archgen.load("space", name)
    rng = random.Random(seed)
    for parent in _starts(space, seed % 1000):
        for _ in range(5):  # a chain: each child is the next parent
            child = space.mutate(parent, rng)
            assert child.space == space.name
            assert space.why_invalid(child) is None
            assert space.canonical_key(child) != space.canonical_key(parent)
            parent = child


@pytest.mark.parametrize("name", ["nb201", "nb101", "darts", "darts_cell", "mbv3", "autoformer"])
def test_mutate_is_reproducible_by_rng(name):
    space = archgen.load("space", name)
    parent = _starts(space, 0)[0]
    first = [space.key(space.mutate(parent, random.Random(7))) for _ in range(3)]
    assert len(set(first)) == 1
    draws = {space.key(space.mutate(parent, random.Random(s))) for s in range(20)}
    assert len(draws) > 1, "the rng must drive the choice"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_nb201_mutation_changes_exactly_one_edge_to_another_op(seed):
    # AutoDL-Projects regularized_ea.py mutate_topology_func: one (node, input) edge, a different op.
    space = archgen.load("space", "nb201")
    parent = space.sample(1, seed=seed % 10_000)[0]
    child = space.mutate(parent, random.Random(seed))
    changed = [i for i, (a, b) in enumerate(zip(parent.ops, child.ops)) if a != b]
    assert len(changed) == 1 and child.ops[changed[0]] in OPERATIONS
    assert child.adjacency == parent.adjacency


def test_nb201_mutation_picks_the_cell_node_first():
    # AutoDL draws the node uniformly, then one of its inputs: edge 0->1 (node 1's only input) gets
    # 1/3 of the mutations, each of node 3's three inputs 1/9. Op node 1 is edge 0->1, op node 6 is 2->3.
    space = archgen.load("space", "nb201")
    parent = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    rng = random.Random(0)
    counts = [0] * 8
    for _ in range(3000):
        child = space.mutate(parent, rng)
        counts[next(i for i in range(8) if child.ops[i] != parent.ops[i])] += 1
    assert abs(counts[1] / 3000 - 1 / 3) < 0.03
    assert abs(counts[6] / 3000 - 1 / 9) < 0.02


def test_nb101_mutation_lets_a_small_cell_grow():
    # The colab mutates the 7-vertex original matrix; a 3-vertex cell is padded with isolated vertices first.
    space = archgen.load("space", "nb101")
    parent = space.from_string(NB101_CELLS[1])
    rng = random.Random(1)
    sizes = {space.prune(space.mutate(parent, rng)).num_nodes for _ in range(200)}
    assert max(sizes) > 3
    assert all(space.mutate(parent, rng).num_nodes == 7 for _ in range(20))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_darts_mutation_changes_one_pair_of_one_cell(seed):
    space = archgen.load("space", "darts")
    parent = space.sample(1, seed=seed % 10_000)[0]
    child = space.mutate(parent, random.Random(seed))
    before, after = space.to_genotype(parent), space.to_genotype(child)
    changed = [
        (cell, position)
        for cell, (a, b) in enumerate(zip(before.cells(), after.cells()))
        for position in range(2 * STEPS)
        if a[position] != b[position]
    ]
    assert len(changed) == 1
    cell, position = changed[0]
    (op_a, in_a), (op_b, in_b) = before.cells()[cell][position], after.cells()[cell][position]
    assert (op_a != op_b) != (in_a != in_b), "exactly one of the op or the input changes"


def test_autoformer_mutation_stays_in_the_ranges():
    space = archgen.load("space", "autoformer", size="small")
    parent = space.sample(1, seed=3)[0]
    rng = random.Random(3)
    depths = set()
    for _ in range(100):
        config = space.to_config(space.mutate(parent, rng))
        assert config.embed_dim in space.ranges.embed_dims and config.depth in space.ranges.depths
        depths.add(config.depth)
    assert len(depths) > 1, "s_prob = 0.4 changes the depth of some children"
