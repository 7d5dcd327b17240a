"""Pruning and validity against the official model_spec/api semantics."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.architecture import Architecture
from archgen.spaces.nb101.hashing import hash_module, labels_of
from archgen.spaces.nb101.space import NB101Space
from archgen.spaces.nb101.spec import domain_error, prune

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")


# The cases of google-research/nasbench nasbench/tests/model_spec_test.py (ops are opaque labels there).
@pytest.mark.parametrize(
    ("matrix", "ops", "expected"),
    [
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [0, 0, 0], ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [0, 0, 0])),
        ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [0, 0, 0], ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [0, 0, 0])),
        ([[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], [1, 2, 3, 4], ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [1, 2, 4])),
        (
            [[0, 1, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
            [1, 2, 3, 4, 5],
            ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [1, 2, 5]),
        ),
        ([[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], [1, 2, 3, 4], ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [1, 3, 4])),
        ([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], [1, 2, 3, 4], ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [1, 3, 4])),
        ([[0, 0], [0, 0]], [0, 0], None),
        ([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], [1, 2, 3, 4], None),
        ([[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [1, 2, 3, 4], None),
    ],
)
def test_official_pruning_cases(matrix, ops, expected) -> None:
    result = prune(matrix, ops)
    if expected is None:
        assert result is None
    else:
        assert result == (tuple(map(tuple, expected[0])), tuple(expected[1]))


def test_two_vertex_cell_is_valid_as_in_the_official_api() -> None:
    # Input wired straight to output: nothing between, yet the official API accepts it (the
    # enumeration's V=2 cell; NASLib queried it: 55 rows of nb101_zc_naslib_500 prune to it).
    assert domain_error([[0, 1], [0, 0]], ["input", "output"]) is None
    assert domain_error([[0, 0], [0, 0]], ["input", "output"]).startswith("invalid spec")


def test_reasons_name_the_offending_value() -> None:
    chain = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert "'conv5x5'" in domain_error(chain, ["input", "conv5x5", "output"])
    assert "first operation" in domain_error(chain, ["conv3x3-bn-relu", "maxpool3x3", "output"])
    assert "last operation" in domain_error(chain, ["input", "maxpool3x3", "conv3x3-bn-relu"])
    dense = np.triu(np.ones((6, 6), dtype=int), 1)
    assert "too many edges" in domain_error(dense.tolist(), ["input", *OPS, OPS[0], "output"])
    eight = np.eye(8, k=1, dtype=int)
    assert "too many vertices" in domain_error(eight.tolist(), ["input", *OPS, *OPS, "output"])


def test_pruned_away_vertices_are_not_examined() -> None:
    # Vertex 2 reaches nothing: its unknown op and its edge do not count (api._check_spec runs after pruning).
    matrix = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert domain_error(matrix, ["input", "maxpool3x3", "no_such_op", "output"]) is None


# -- hypothesis: random upper-triangular specs --------------------------------------------------------------

SPECS = st.integers(1, 9).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2),
        st.lists(st.sampled_from(["input", "output", *OPS, "bogus"]), min_size=n, max_size=n),
    )
)


def _matrix(bits: list[int], n: int) -> list[list[int]]:
    matrix = [[0] * n for _ in range(n)]
    for (i, j), bit in zip(itertools.combinations(range(n), 2), bits):
        matrix[i][j] = bit
    return matrix


def _slow_reference(matrix: list[list[int]], ops: list[str]) -> bool:
    """Validity written plainly: keep vertices on some input->output path, then the api limits."""
    n = len(ops)
    paths_from_input = {0}
    for j in range(n):
        if any(matrix[i][j] and i in paths_from_input for i in range(j)):
            paths_from_input.add(j)
    reaches_output = {n - 1}
    for i in reversed(range(n)):
        if any(matrix[i][j] and j in reaches_output for j in range(i + 1, n)):
            reaches_output.add(i)
    kept = [v for v in range(n) if v in paths_from_input and v in reaches_output]
    if len(kept) < 2 or 0 not in kept or n - 1 not in kept:
        return False
    edges = sum(matrix[i][j] for i in kept for j in kept)
    kept_ops = [ops[v] for v in kept]
    return (
        len(kept) <= 7
        and edges <= 9
        and kept_ops[0] == "input"
        and kept_ops[-1] == "output"
        and all(op in OPS for op in kept_ops[1:-1])
    )


@settings(max_examples=300, deadline=None)
@given(spec=SPECS)
def test_is_valid_agrees_with_a_slow_reference(spec) -> None:
    bits, ops = spec
    matrix = _matrix(bits, len(ops))
    space = NB101Space()
    arch = Architecture("nb101", tuple(map(tuple, matrix)), tuple(ops))
    assert space.is_valid(arch) == _slow_reference(matrix, ops), space.why_invalid(arch)


@settings(max_examples=300, deadline=None)
@given(spec=SPECS)
def test_pruning_is_idempotent(spec) -> None:
    bits, ops = spec
    result = prune(_matrix(bits, len(ops)), ops)
    if result is not None:
        assert prune(*result) == result


@settings(max_examples=150, deadline=None)
@given(spec=SPECS, seed=st.integers(0, 2**32 - 1))
def test_hash_is_invariant_under_orders_keeping_input_first_and_output_last(spec, seed) -> None:
    # Any permutation fixing the two ends, applied to the pruned cell: the official hash treats the
    # matrix as a general directed graph, so upper-triangularity is not even needed for invariance.
    bits, ops = spec
    ops = ["input", *[op if op in OPS else OPS[0] for op in ops[1:-1]], "output"] if len(ops) >= 2 else ops
    result = prune(_matrix(bits, len(ops)), ops)
    if result is None:
        return
    matrix, kept = np.array(result[0]), list(result[1])
    n = len(kept)
    rng = np.random.default_rng(seed)
    inner = rng.permutation(np.arange(1, n - 1)) if n > 2 else np.array([], dtype=int)
    order = np.array([0, *inner.tolist(), n - 1])  # new vertex k is old vertex order[k]
    permuted = matrix[np.ix_(order, order)]
    assert hash_module(permuted.tolist(), labels_of([kept[v] for v in order])) == hash_module(
        matrix.tolist(), labels_of(kept)
    )
