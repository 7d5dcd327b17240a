"""The architecture data model: validation, ordering, JSON round trip."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archgen import Architecture, InvalidArchitectureError


@st.composite
def architectures(draw):
    n = draw(st.integers(1, 8))
    bits = draw(st.lists(st.integers(0, 1), min_size=n * n, max_size=n * n))
    matrix = np.triu(np.array(bits).reshape(n, n), 1)
    ops = draw(st.lists(st.sampled_from(["input", "conv", "pool", "output"]), min_size=n, max_size=n))
    return Architecture.from_arrays(draw(st.sampled_from(["a", "b"])), matrix, ops)


@given(architectures())
def test_json_round_trip_is_exact(arch):
    assert Architecture.from_json(arch.to_json()) == arch
    assert Architecture.from_json(arch.to_dict()) == arch
    assert hash(Architecture.from_json(arch.to_json())) == hash(arch)


@given(architectures(), architectures())
def test_ordering_is_total_and_consistent_with_equality(a, b):
    assert (a < b) + (b < a) + (a == b) == 1


def test_counts_and_edges():
    arch = Architecture("x", ((0, 1, 1), (0, 0, 1), (0, 0, 0)), ("input", "conv", "output"))
    assert arch.num_nodes == 3 and arch.num_edges == 3
    assert arch.edges() == [(0, 1), (0, 2), (1, 2)]
    assert arch.adjacency_array().tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]


@pytest.mark.parametrize(
    "adjacency, ops, message",
    [
        (((0, 1), (1, 0)), ("a", "b"), "not strictly upper triangular"),
        (((1, 0), (0, 0)), ("a", "b"), "not strictly upper triangular"),
        (((0, 2), (0, 0)), ("a", "b"), "expected 0 or 1"),
        (((0, 1), (0, 0)), ("a",), "does not match 1 ops"),
    ],
)
def test_malformed_graphs_are_rejected_with_the_reason(adjacency, ops, message):
    with pytest.raises(InvalidArchitectureError, match=message):
        Architecture("x", adjacency, ops)


@pytest.mark.parametrize("text", ["", "{", '{"space": "x"}', '{"space": "x", "adjacency": [[0]], "ops": 3}'])
def test_bad_json_is_one_clear_error(text):
    with pytest.raises(InvalidArchitectureError) as error:
        Architecture.from_json(text)
    assert "\n" not in str(error.value)
