"""The official module hash, reproduced bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.spaces.nb101.hashing import hash_module, labels_of

# The independently published (matrix, ops, hash) triple of the NNI docs: see conftest.published_cell.


def test_published_cell_hash_is_reproduced(published_cell) -> None:
    assert hash_module(published_cell.matrix, labels_of(published_cell.ops)) == published_cell.hash


def test_labels_follow_the_official_available_ops_order() -> None:
    # nasbench/lib/config.py available_ops = ['conv3x3-bn-relu', 'conv1x1-bn-relu', 'maxpool3x3'].
    assert labels_of(["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output"]) == [-1, 0, 1, 2, -2]


# The cases of google-research/nasbench nasbench/tests/graph_util_test.py (test_hash_module).
def test_official_graph_util_cases() -> None:
    diamond = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert hash_module(diamond, [-1, 1, 2, -2]) == hash_module(diamond, [-1, 2, 1, -2])

    m1 = [[0, 1, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    m2 = [[0, 1, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    m3 = [[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    l1, l2, l3 = [-1, 1, 2, 3, -2], [-1, 2, 3, 1, -2], [-1, 2, 1, 3, -2]
    assert hash_module(m1, l1) == hash_module(m2, l2) == hash_module(m3, l3)
    assert hash_module(m1, l2) != hash_module(m1, l1)
    assert hash_module(m1, l3) != hash_module(m1, l1)

    chain = [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert hash_module(chain, [-1, 1, 0, 0, -2]) != hash_module(chain, [-1, 0, 0, 1, -2])
    directed = [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert hash_module(directed, [-1, 1, 0, -2]) != hash_module(directed, [-1, 0, 1, -2])
    tricky = [
        [0, 1, 1, 1, 1, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0],
    ]
    assert hash_module(tricky, [-1, 1, 0, 0, 0, 0, -2]) != hash_module(tricky, [-1, 0, 0, 0, 1, 0, -2])


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(2, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_hash_is_invariant_under_any_relabelling(size: int, seed: int) -> None:
    # As graph_util_test.test_random_isomorphism_hashing: any directed graph, any permutation.
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 2, (size, size))
    labels = rng.integers(-2, 3, size).tolist()
    perm = rng.permutation(size)  # new vertex perm[v] is old vertex v
    inverse = np.argsort(perm)
    permuted = matrix[np.ix_(inverse, inverse)]
    permuted_labels = [labels[i] for i in inverse]
    assert hash_module(matrix.tolist(), labels) == hash_module(permuted.tolist(), permuted_labels)
