"""NB101Space: the SearchSpace contract, native strings, arch2vec tensors, identity."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import archgen
from archgen.architecture import Architecture
from archgen.errors import DataFileError, InvalidArchitectureError
from archgen.spaces.nb101.space import NB101Space
from archgen.testing import check_search_space



@pytest.fixture(scope="module")
def space() -> NB101Space:
    return NB101Space()


def cell(matrix, ops) -> Architecture:
    return Architecture("nb101", tuple(map(tuple, matrix)), tuple(ops))


def test_contract(space: NB101Space) -> None:
    check_search_space(space)


def test_loads_through_the_registry() -> None:
    loaded = archgen.load("space", "nb101")
    assert isinstance(loaded, NB101Space) and loaded.size() == 423_624


def test_canonical_key_is_the_dataset_key_in_any_vertex_order(space: NB101Space, published_cell) -> None:
    arch = cell(published_cell.matrix, published_cell.ops)
    assert space.canonical_key(arch) == published_cell.hash
    rng = random.Random(0)
    for other in space.equivalent_forms(arch, rng) + space.equivalent_forms(arch, rng):
        assert space.canonical_key(other) == published_cell.hash


def test_canonical_key_prunes_first(space: NB101Space, published_cell) -> None:
    # The published cell plus a vertex that reaches nothing (and carries an unknown op): same key.
    matrix = np.zeros((8, 8), dtype=int)
    matrix[:6, :6] = np.array(published_cell.matrix)[:6, :6]
    matrix[:6, 7] = np.array(published_cell.matrix)[:6, 6]
    matrix[1, 6] = 1
    ops = (*published_cell.ops[:6], "no_such_op", "output")
    padded = Architecture.from_arrays("nb101", matrix, ops)
    assert space.is_valid(padded)
    assert space.canonical_key(padded) == published_cell.hash
    assert space.prune(padded) == cell(published_cell.matrix, published_cell.ops)


def test_canonical_key_rejects_invalid_cells(space: NB101Space) -> None:
    with pytest.raises(InvalidArchitectureError, match="disconnected"):
        space.canonical_key(cell([[0, 0], [0, 0]], ["input", "output"]))


def test_equivalent_forms_are_topological_orders(space: NB101Space) -> None:
    rng = random.Random(3)
    for arch in space.sample(50, seed=1):
        for other in space.equivalent_forms(arch, rng):
            assert other.ops[0] == "input" and other.ops[-1] == "output"
            assert space.is_valid(other)
            assert space.canonical_key(other) == space.canonical_key(arch)


def test_native_string_round_trip_and_format(space: NB101Space, published_cell) -> None:
    arch = cell(published_cell.matrix, published_cell.ops)
    text = space.to_string(arch)
    assert text == (
        "0100110001000000010010000010000001000000010000000|"
        "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output"
    )
    assert space.from_string(text) == arch


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected '<n*n"),
        ("0100", "expected '<n*n"),
        ("01x0|input,output", "expected '<n*n"),
        ("010|input,output", "3 adjacency digits for 2 ops"),
        ("0100|input,conv5x5", "unknown op 'conv5x5'"),
        ("0010|input,output", "not strictly upper triangular"),
        ("0000|input,output", "disconnected"),
        ("0100|output,input", "first operation"),
    ],
)
def test_from_string_rejects_malformed_text_in_one_line(space: NB101Space, text: str, fragment: str) -> None:
    with pytest.raises(InvalidArchitectureError) as error:
        space.from_string(text)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_tensor_form_is_arch2vec_padding(space: NB101Space) -> None:
    # arch2vec preprocessing/gen_json.py: zero-pad the adjacency at the end, one-hot rows in the order
    # input, conv1x1-bn-relu, conv3x3-bn-relu, maxpool3x3, output, all-zero rows for missing vertices.
    small = cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv1x1-bn-relu", "maxpool3x3", "output"])
    adjacency, ops = space.to_tensors([small])
    assert adjacency.shape == (1, 7, 7) and ops.shape == (1, 7, 5)
    assert adjacency[0, :4, :4].tolist() == [list(map(float, row)) for row in small.adjacency]
    assert adjacency[0, 4:].sum() == 0 and adjacency[0, :, 4:].sum() == 0
    assert ops[0, :4].argmax(-1).tolist() == [0, 1, 3, 4]
    assert ops[0, 4:].sum() == 0
    assert space.from_tensors(adjacency, ops) == [small]
    assert space.from_tensors(adjacency.numpy(), ops.argmax(-1).numpy()) == [small]


def test_from_tensors_keeps_decoded_garbage_visible(space: NB101Space) -> None:
    # A trailing 'input' row that has an edge is not padding: it stays, and the graph is invalid.
    adjacency = torch.zeros(1, 7, 7)
    adjacency[0, 0, 1] = adjacency[0, 1, 2] = adjacency[0, 2, 6] = 1
    ops = torch.zeros(1, 7, dtype=torch.long)
    ops[0, 1], ops[0, 2] = 2, 4
    (decoded,) = space.from_tensors(adjacency, ops)
    assert decoded.num_nodes == 7 and not space.is_valid(decoded)


def test_paper_valid_follows_arch2vec(space: NB101Space, published_cell) -> None:
    seven = cell(published_cell.matrix, published_cell.ops)
    small = cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])
    assert space.paper_valid(seven) and space.is_valid(small) and not space.paper_valid(small)


def test_to_tensors_rejects_more_than_seven_vertices(space: NB101Space) -> None:
    eight = Architecture.from_arrays("nb101", np.eye(8, k=1, dtype=int), ["input", *["maxpool3x3"] * 6, "output"])
    with pytest.raises(InvalidArchitectureError, match="at most 7"):
        space.to_tensors([eight])


def test_sample_is_uniform_over_unique_cells_and_reproducible(space: NB101Space) -> None:
    first = space.sample(200, seed=7)
    assert first == space.sample(200, seed=7) and first != space.sample(200, seed=8)
    counts = {}
    for arch in first:
        counts[arch.num_nodes] = counts.get(arch.num_nodes, 0) + 1
    assert counts.get(7, 0) > 140  # 359,082 / 423,624 = 85% of the cells have 7 vertices


def test_enumerate_starts_with_the_generator_order(space: NB101Space) -> None:
    iterator = space.enumerate()
    assert next(iterator) == cell([[0, 1], [0, 0]], ["input", "output"])
    assert next(iterator) == cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])


def test_benchmark_without_a_path_names_the_option(space: NB101Space) -> None:
    with pytest.raises(DataFileError, match=r"\[space.options\] benchmark"):
        space.benchmark()
