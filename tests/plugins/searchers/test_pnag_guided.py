"""``pnag_guided``: PNAG's predictor-guided generation as a searcher (pnag.md §3, issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.plugins.generators.pnag.guidance import guided_draw
from archgen.plugins.searchers.pnag_guided import PNAGGuidedOptions, PNAGGuidedSearch, best_of_candidates
from archgen.testing import check_searcher

TINY = PNAGGuidedSearch.TEST_OPTIONS


class ConvCount:
    def predict(self, space, archs):
        return np.array([arch.ops.count("nor_conv_3x3") for arch in archs], dtype=float)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_pnag_guided_passes_the_searcher_kit(nb201, toy):
    asked = check_searcher(lambda: archgen.load("searcher", "pnag_guided", **TINY), nb201, toy(1).oracle, budget=10)
    assert len({nb201.canonical_key(a) for a in asked}) == 10


def test_it_spends_exactly_its_budget_in_rounds(nb201, toy):
    oracle = toy(22)
    stats = archgen.load("searcher", "pnag_guided", **TINY).search(nb201, oracle, seed=0)
    assert oracle.num_queries == 22 and stats["stopped"] == "budget"
    # 4 initial queries, then at most 3 a round: at least ceil(18 / 3) = 6 rounds
    assert stats["rounds"] >= 6
    assert "pnag trained here on 300 architectures" in stats["proposer"]
    keys = [nb201.canonical_key(nb201.from_string(q.arch)) for q in oracle.trajectory]
    assert len(set(keys)) == 22


def test_the_model_is_trained_once_per_options_not_per_trial(nb201):
    first, _ = archgen.load("searcher", "pnag_guided", **TINY).generator(nb201, seed=0)
    same, _ = archgen.load("searcher", "pnag_guided", **TINY).generator(nb201, seed=5)
    other, _ = archgen.load("searcher", "pnag_guided", **{**TINY, "train_seed": 1}).generator(nb201, seed=0)
    assert same is first and other is not first


def test_its_selection_is_the_guidance_sampling_selection(nb201):
    model, _ = archgen.load("searcher", "pnag_guided", **TINY).generator(nb201, seed=0)
    chosen = best_of_candidates(model, nb201, ConvCount(), 25, 4, seed=11, sampling={"temperature": 1.2})
    draw = guided_draw(model, nb201, 25, seed=11, predictor=ConvCount(), candidates=4, sampling={"temperature": 1.2})
    expected = draw.batch.architectures(nb201)
    for (arch, score), other, other_score in zip(chosen, expected, draw.scores.tolist()):
        if arch is None:
            assert np.isnan(other_score)
        else:
            assert nb201.to_string(arch) == nb201.to_string(other) and score == other_score


def test_every_scale_rounds_draw_through_the_generators_steered_sample(nb201):
    searcher = archgen.load("searcher", "pnag_guided", **TINY, select_at="every_scale", lookahead="partial")
    model, _ = searcher.generator(nb201, seed=0)
    proposals = searcher._guided(model, nb201, ConvCount(), seed=11)
    batch, scores = model.steered_sample(nb201, TINY["generated"], seed=11, predictor=ConvCount(),
                                         candidates=TINY["candidates"], lookahead="partial")
    assert [nb201.to_string(a) if a is not None else None for a, _ in proposals] == [
        nb201.to_string(a) if s == s else None for a, s in zip(batch.architectures(nb201), scores.tolist())]
    assert np.array_equal([s for _, s in proposals], scores, equal_nan=True)
    finished = archgen.load("searcher", "pnag_guided", **TINY)._guided(model, nb201, ConvCount(), seed=11)
    assert [nb201.to_string(a) for a, _ in proposals if a] != [nb201.to_string(a) for a, _ in finished if a]


def test_every_scale_needs_a_generator_that_steers_its_draw(nb201):
    class Plain:
        def sample(self, space, n, *, seed=0, **sampling):
            raise AssertionError("not reached")

    searcher = archgen.load("searcher", "pnag_guided", **TINY, select_at="every_scale")
    with pytest.raises(ConfigError, match="needs a generator that steers its draw .*Plain does not"):
        searcher._guided(Plain(), nb201, ConvCount(), seed=0)
    with pytest.raises(ConfigError, match="select_at"):
        archgen.load("searcher", "pnag_guided", select_at="each")


@pytest.mark.parametrize("select_at", ["final", "every_scale"])
def test_guided_rounds_query_better_cells_than_the_unguided_start(nb201, toy, select_at):
    # The toy score counts conv3x3 edges; gbdt learns it from a few labels, and each round keeps the
    # best-predicted of 4 x 30 draws, so the rounds' queries score above PNAG's unguided first draws.
    options = {**TINY, "initial": 8, "generated": 30, "candidates": 4, "batch": 4, "select_at": select_at}
    gains = []
    for seed in range(3):
        oracle = toy(40)
        archgen.load("searcher", "pnag_guided", **options).search(nb201, oracle, seed=seed)
        values = [q.value for q in oracle.trajectory]
        gains.append(np.mean(values[8:]) - np.mean(values[:8]))
    assert np.mean(gains) >= 0.5, gains


def test_options(nb201, toy, tmp_path):
    options = PNAGGuidedOptions()
    assert (options.predictor.name, options.initial, options.batch, options.generated, options.candidates) == ("gin", 10, 10, 100, 8)
    with pytest.raises(ConfigError, match="predictor: unknown plugin 'nope'"):
        archgen.load("searcher", "pnag_guided", predictor={"name": "nope"})
    searcher = archgen.load("searcher", "pnag_guided", **TINY, generator_run=str(tmp_path))
    with pytest.raises(ConfigError, match="not a trained run directory"):
        searcher.search(nb201, toy(5), seed=0)
