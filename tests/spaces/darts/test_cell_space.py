"""The ``darts_cell`` space: arch2vec's DARTS form (one cell shared by the normal and reduction cells).

Reference: arch2vec (github MSU-MLSys-Lab/arch2vec), ``preprocessing/gen_isomorphism_graphs.py``:
``build_mat_encoding`` encodes one sampled cell as an 11x11 adjacency (node 0 ``c_k-2``, node 1
``c_k-1``, op nodes 2..9, node 10 ``output``) and stores ``Genotype(normal=cell, reduce=cell)``.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

import archgen
from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.spaces.darts.cell_space import DartsCellSpace
from archgen.spaces.darts.genotype import DARTS_V2, Genotype
from archgen.spaces.darts.space import DartsSpace
from archgen.testing import check_search_space

SHARED_V2 = dataclasses.replace(DARTS_V2, reduce=DARTS_V2.normal)


@pytest.fixture(scope="module")
def space() -> DartsCellSpace:
    return DartsCellSpace()


def test_contract_kit(space: DartsCellSpace) -> None:
    check_search_space(space)


def test_loads_through_the_registry() -> None:
    assert isinstance(archgen.load("space", "darts_cell"), DartsCellSpace)


def test_size_is_the_per_cell_count(space: DartsCellSpace) -> None:
    # prod over intermediate nodes k = 0..3 of C(k+2, 2) unordered input pairs x 7**2 ops
    # (the brute-force count is in test_space.py::test_size_is_the_square_of_the_per_cell_count).
    assert space.size() == 1 * 3 * 6 * 10 * 49**4 == 1_037_664_180


def test_graph_is_arch2vecs_11_node_encoding_and_the_normal_block_of_darts(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    adjacency = arch.adjacency_array()
    assert arch.num_nodes == space.max_nodes == 11
    assert arch.ops == ("c_k-2", "c_k-1", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3", "sep_conv_3x3",
                        "sep_conv_3x3", "skip_connect", "skip_connect", "dil_conv_3x3", "output")  # fmt: skip
    # build_mat_encoding: ('sep_conv_3x3', 0) at pair 0 -> adj[0][2]; ('dil_conv_3x3', 2) at pair 7 reads
    # intermediate node 2 -> adj[2][9] = adj[3][9] = 1; every op node feeds the output.
    assert adjacency[0, 2] == adjacency[1, 3] == 1
    assert adjacency[2, 9] == adjacency[3, 9] == 1 and adjacency[:, 9].sum() == 2
    assert adjacency[:, 10].tolist() == [0, 0] + [1] * 8 + [0]
    two_cells = DartsSpace().from_genotype(SHARED_V2).adjacency_array()
    assert np.array_equal(adjacency, two_cells[:11, :11])


def test_genotype_and_string_round_trip_with_the_cell_shared(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    assert space.to_genotype(arch) == SHARED_V2
    assert space.from_string(space.to_string(arch)) == arch
    assert "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)" in space.to_string(arch)


def test_a_genotype_with_two_different_cells_is_refused_in_one_line(space: DartsCellSpace) -> None:
    with pytest.raises(InvalidArchitectureError, match="reduction cell differs.*'darts' space") as error:
        space.from_string(DARTS_V2.to_string())
    assert "\n" not in str(error.value)


def test_strict_validity_names_the_problem(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    rows = [list(row) for row in arch.adjacency]
    rows[0][10] = 1
    assert "edges [(0, 10)] differ" in space.why_invalid(Architecture("darts_cell", rows, arch.ops))
    two_cells = DartsSpace().from_genotype(SHARED_V2)
    assert "has 22 nodes" in space.why_invalid(Architecture("darts_cell", two_cells.adjacency, two_cells.ops))
    ops = list(arch.ops)
    ops[4] = "none"
    assert "op 'none'" in space.why_invalid(Architecture("darts_cell", arch.adjacency, ops))


def test_paper_validity_is_arch2vecs_check_on_the_one_cell(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    rows = [list(row) for row in arch.adjacency]
    rows[0][10] = rows[2][3] = 1  # edges is_valid_darts does not examine
    lenient = Architecture("darts_cell", rows, arch.ops)
    assert not space.is_valid(lenient) and space.paper_valid(lenient)
    rows = [list(row) for row in arch.adjacency]
    rows[1][3] = 0  # op node 3 reads nothing
    assert not space.paper_valid(Architecture("darts_cell", rows, arch.ops))


def test_samples_are_distinct_cells_and_reproducible(space: DartsCellSpace) -> None:
    archs = space.sample(3000, seed=4)
    assert len({space.canonical_key(a) for a in archs}) == 3000
    assert all(space.is_valid(a) and a.num_nodes == 11 for a in archs)
    first = [space.key(a) for a in space.sample(50, seed=4)]
    assert [space.key(a) for a in space.sample(50, seed=4)] == first
    assert [space.key(a) for a in space.sample(50, seed=5)] != first


def test_duplicate_cells_are_topped_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from archgen.spaces.darts import integer_codes

    real_draw = integer_codes.draw

    def draw_with_repeats(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inputs, ops = real_draw(n, rng)
        inputs[1::2], ops[1::2] = inputs[0::2][: len(inputs[1::2])], ops[0::2][: len(ops[1::2])]
        return inputs, ops

    monkeypatch.setattr(integer_codes, "draw", draw_with_repeats)
    inputs, ops = integer_codes.sample_unique_cells(200, seed=0)
    codes = integer_codes.canonical_codes(np.stack([inputs, inputs], 1), np.stack([ops, ops], 1))
    assert len(np.unique(codes)) == 200


def test_canonical_key_ignores_the_order_of_a_nodes_two_pairs_only(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    for form in space.equivalent_forms(arch, random.Random(0)):
        assert space.canonical_key(form) == space.canonical_key(arch)
    cell = list(SHARED_V2.normal)
    cell[7] = ("dil_conv_5x5", 2)
    other = space.from_genotype(Genotype(tuple(cell), SHARED_V2.normal_concat, tuple(cell), SHARED_V2.reduce_concat))
    assert space.canonical_key(other) != space.canonical_key(arch)


def test_networks_build_with_the_cell_in_both_places(space: DartsCellSpace) -> None:
    arch = space.from_genotype(SHARED_V2)
    assert space.count_params(arch) == DartsSpace().count_params(DartsSpace().from_genotype(SHARED_V2))
