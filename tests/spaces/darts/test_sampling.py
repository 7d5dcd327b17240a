"""Unique, reproducible, vectorised sampling and the integer canonical codes behind it."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.spaces.darts import integer_codes
from archgen.spaces.darts.space import DartsSpace


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return DartsSpace()


def test_twenty_thousand_unique_samples(space: DartsSpace) -> None:
    # Speed is benchmarks/darts_sampling.py's job (a ratio to a Python loop), not a timed test's.
    archs = space.sample(20_000, seed=0)
    assert len(archs) == 20_000
    assert len({space.canonical_key(a) for a in archs}) == 20_000


def test_sampling_is_reproducible_and_seed_dependent(space: DartsSpace) -> None:
    assert space.sample(500, seed=11) == space.sample(500, seed=11)
    assert space.sample(500, seed=11) != space.sample(500, seed=12)


def test_sampled_genotypes_are_valid_members(space: DartsSpace) -> None:
    inputs, ops = integer_codes.sample_unique(5_000, seed=3)
    for genotype in integer_codes.genotypes_from_arrays(inputs, ops):
        assert genotype.why_invalid() is None


def test_vectorised_codes_match_the_scalar_code(space: DartsSpace) -> None:
    inputs, ops = integer_codes.draw(2_000, np.random.default_rng(5))
    genotypes = integer_codes.genotypes_from_arrays(inputs, ops)
    codes = integer_codes.canonical_codes(inputs, ops)
    assert codes.tolist() == [integer_codes.canonical_code(g) for g in genotypes]
    assert codes.min() >= 0 and codes.max() < space.size()
    back_inputs, back_ops = integer_codes.arrays_from_genotypes(genotypes)
    assert np.array_equal(back_inputs, inputs) and np.array_equal(back_ops, ops)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_codes_are_invariant_to_swapping_a_nodes_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs, ops = integer_codes.draw(50, rng)
    swap = rng.random((50, 2, 4)) < 0.5
    swapped_inputs, swapped_ops = inputs.copy(), ops.copy()
    for array, source in ((swapped_inputs, inputs), (swapped_ops, ops)):
        array[..., 0::2] = np.where(swap, source[..., 1::2], source[..., 0::2])
        array[..., 1::2] = np.where(swap, source[..., 0::2], source[..., 1::2])
    original = integer_codes.canonical_codes(inputs, ops)
    assert np.array_equal(original, integer_codes.canonical_codes(swapped_inputs, swapped_ops))


def test_every_node_choice_is_drawn(space: DartsSpace) -> None:
    inputs, ops = integer_codes.draw(20_000, np.random.default_rng(0))
    for step, predecessors in enumerate(range(2, 6)):
        pairs = {tuple(sorted(p)) for p in inputs[:, 0, 2 * step : 2 * step + 2].tolist()}
        assert len(pairs) == predecessors * (predecessors - 1) // 2
    assert set(np.unique(ops).tolist()) == set(range(7))


def test_duplicates_are_topped_up(monkeypatch: pytest.MonkeyPatch) -> None:
    real_draw = integer_codes.draw
    calls = []

    def draw_with_repeats(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inputs, ops = real_draw(n, rng)
        if not calls:  # the first batch repeats one genotype throughout
            inputs[:], ops[:] = inputs[0], ops[0]
        calls.append(n)
        return inputs, ops

    monkeypatch.setattr(integer_codes, "draw", draw_with_repeats)
    inputs, ops = integer_codes.sample_unique(100, seed=1)
    assert len(calls) >= 2
    assert len(np.unique(integer_codes.canonical_codes(inputs, ops))) == 100


def test_impossible_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot draw"):
        integer_codes.sample_unique(-1)
    with pytest.raises(ValueError, match="cannot draw"):
        integer_codes.sample_unique(integer_codes.genotype_count() + 1)
