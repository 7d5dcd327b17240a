"""PNAG's conditional generation: predictor guidance as a sampling option (pnag.md §3, issue 12)."""

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.plugins.generators.pnag.generator import PNAG
from archgen.plugins.generators.pnag.guidance import GuidanceOptions, every_scale_draw, guided_draw, preference
from archgen.protocols import SteersDraw
from archgen.testing import require_shared_data

TINY = {**PNAG.TEST_OPTIONS, "scales": [3, 5, 8], "vae_epochs": 30, "transformer_epochs": 20}


class ConvCount:
    """A fitted 'predictor' whose value is known exactly: the number of nor_conv_3x3 edges of a cell."""

    def __init__(self):
        self.calls = 0

    def predict(self, space, archs):
        self.calls += 1
        return np.array([arch.ops.count("nor_conv_3x3") for arch in archs], dtype=float)


@pytest.fixture(scope="module")
def trained(nb201):
    torch.set_num_threads(1)
    generator = archgen.load("generator", "pnag", **TINY)
    generator.fit(nb201, nb201.sample(300, seed=0), seed=0)
    return generator


def _scores(space, batch):
    return np.array([a.ops.count("nor_conv_3x3") if a is not None and space.is_valid(a) else np.nan
                     for a in batch.architectures(space)])


def test_unguided_sampling_is_the_sampler_it_was(nb201, trained):
    # Guidance off must leave the draws and what is recorded exactly as the plain next-scale sampler gives them.
    batch = trained.sample(nb201, 50, seed=7, temperature=1.3)
    codes = trained.transformer.sample(50, temperature=1.3, top_k=None, top_p=None,
                                       generator=torch.Generator().manual_seed(7))
    adjacency, ops = trained.decode_codes(codes.numpy())
    assert np.array_equal(batch.adjacency, adjacency) and np.array_equal(batch.op_indices, ops)
    assert batch.tokens == codes.tolist()
    assert batch.sampling == {"temperature": 1.3, "top_k": None, "top_p": None}
    again = trained.sample(nb201, 50, seed=7, temperature=1.3, guidance=None)
    assert again.tokens == batch.tokens and again.sampling == batch.sampling


def test_each_sample_is_the_best_of_its_candidates(nb201, trained):
    n, candidates = 40, 5
    draw = guided_draw(trained, nb201, n, seed=3, predictor=ConvCount(), candidates=candidates)
    pool = trained.sample(nb201, n * candidates, seed=3)  # the same n * candidates unguided draws
    scores = _scores(nb201, pool).reshape(n, candidates)
    for i in range(n):
        row = scores[i]
        if np.isnan(row).all():
            assert draw.chosen[i] == i * candidates and np.isnan(draw.scores[i])
            continue
        best = int(np.flatnonzero(row == np.nanmax(row))[0])  # ties: the first candidate
        assert draw.chosen[i] == i * candidates + best and draw.scores[i] == row[best]
        assert draw.batch.tokens[i] == pool.tokens[i * candidates + best]
    assert np.array_equal(draw.batch.adjacency, pool.adjacency[draw.chosen])


def test_one_candidate_is_the_unguided_sample(nb201, trained):
    draw = guided_draw(trained, nb201, 30, seed=4, predictor=ConvCount(), candidates=1)
    assert draw.batch.tokens == trained.sample(nb201, 30, seed=4).tokens


def test_guidance_moves_samples_toward_the_target(nb201, trained):
    plain = _scores(nb201, trained.sample(nb201, 400, seed=5))
    up = guided_draw(trained, nb201, 400, seed=5, predictor=ConvCount(), candidates=8, target="maximize").scores
    down = guided_draw(trained, nb201, 400, seed=5, predictor=ConvCount(), candidates=8, target="minimize").scores
    near = guided_draw(trained, nb201, 400, seed=5, predictor=ConvCount(), candidates=8, target=3.0).scores
    assert np.nanmean(up) >= np.nanmean(plain) + 0.5 and np.nanmean(down) <= np.nanmean(plain) - 0.5
    assert np.nanmean(np.abs(near - 3.0)) < np.nanmean(np.abs(plain - 3.0)) - 0.3


def test_draw_selected_keeps_the_selected_row_at_every_scale(trained):
    # Always keeping row 1 of each pair means row 1 never takes another row's prefix: it is exactly
    # row 2i + 1 of a plain draw of 2n rows (the same uniform numbers, scale by scale).
    transformer, n = trained.transformer.eval(), 24
    calls = []

    def second(step, codes, e_hat):
        calls.append((step, codes.shape[1], e_hat.shape[0]))
        return torch.ones(n, dtype=torch.long)

    codes, e_hat = transformer.draw_selected(n, 2, second, temperature=1.0, top_k=None, top_p=None,
                                             generator=torch.Generator().manual_seed(9))
    plain, plain_e_hat = transformer.draw(2 * n, temperature=1.0, top_k=None, top_p=None, generator=torch.Generator().manual_seed(9))
    assert torch.equal(codes, plain[1::2])
    torch.testing.assert_close(e_hat, plain_e_hat[1::2])
    assert calls == [(step, sum(transformer.lengths[: step + 1]), 2 * n) for step in range(len(transformer.scales))]


def test_greedy_completion_shows_the_mode_continuation_and_leaves_the_draw_alone(trained):
    transformer, n = trained.transformer.eval(), 12
    seen = []

    def second(step, codes, e_hat):
        seen.append((codes.clone(), e_hat.clone()))
        return torch.ones(n, dtype=torch.long)

    codes, _ = transformer.draw_selected(n, 2, second, temperature=1.0, top_k=None, top_p=None,
                                         generator=torch.Generator().manual_seed(9), complete=True)
    plain, _ = transformer.draw(2 * n, temperature=1.0, top_k=None, top_p=None, generator=torch.Generator().manual_seed(9))
    assert torch.equal(codes, plain[1::2])  # completing consumed no random numbers and left the caches as found
    # What select saw after scale t: the prefix completed scale by scale with the most likely codes,
    # recomputed here by teacher forcing (these scales are drawn in parallel, so a scale's logits
    # depend on the coarser scales only).
    assert not any(transformer.sequential)
    for step, (prefix, e_hat) in enumerate(seen[:-1]):
        full = torch.zeros(2 * n, transformer.sequence_length, dtype=torch.long)
        full[:, : prefix.shape[1]] = prefix
        for later in range(step + 1, len(transformer.scales)):
            start, length = transformer.offsets[later], transformer.lengths[later]
            full[:, start : start + length] = transformer(full)[:, start : start + length].argmax(-1)
        expected = sum(transformer._upsampled(full[:, o : o + l], t)
                       for t, (o, l) in enumerate(zip(transformer.offsets, transformer.lengths)))
        torch.testing.assert_close(e_hat, expected, atol=1e-5, rtol=1e-5)


def test_draw_selected_copies_the_kept_prefix_to_its_group(trained):
    transformer, n, candidates = trained.transformer.eval(), 10, 3
    prefixes = []

    def last(step, codes, e_hat):
        prefixes.append(codes.clone())
        return torch.full((n,), candidates - 1, dtype=torch.long)

    codes, _ = transformer.draw_selected(n, candidates, last, temperature=1.0, top_k=None, top_p=None,
                                         generator=torch.Generator().manual_seed(2))
    for step in range(1, len(prefixes)):
        coarser = sum(transformer.lengths[:step])
        # After step - 1, every row of a group continued from the group's last row.
        kept = prefixes[step - 1][candidates - 1 :: candidates, :coarser]
        assert torch.equal(prefixes[step][:, :coarser], kept.repeat_interleave(candidates, 0))
    assert torch.equal(codes, prefixes[-1][candidates - 1 :: candidates])
    with pytest.raises(ValueError, match="select must return 10 rows in 0..2"):
        transformer.draw_selected(n, candidates, lambda *_: torch.full((n,), 3), temperature=1.0, top_k=None,
                                  top_p=None, generator=torch.Generator().manual_seed(2))


def test_every_scale_guidance_selects_on_partial_decodes_and_moves_toward_the_target(nb201, trained):
    plain = _scores(nb201, trained.sample(nb201, 250, seed=5))
    predictor = ConvCount()
    up = every_scale_draw(trained, nb201, 250, seed=5, predictor=predictor, candidates=8, target="maximize")
    # 250 x 8 rows are one chunk: one call per scale and one for the final scores -- none at a scale
    # whose look-ahead decodes are all off the space (this tiny model's coarse scales).
    assert np.array_equal(up.scores, _scores(nb201, up.batch), equal_nan=True)
    assert len(up.scale_members) == len(trained.transformer.scales) and all(0 <= f <= 1 for f in up.scale_members)
    assert up.scale_members[-1] > 0 and predictor.calls - 1 == sum(f > 0 for f in up.scale_members)
    down = every_scale_draw(trained, nb201, 250, seed=5, predictor=ConvCount(), candidates=8, target="minimize")
    assert np.nanmean(up.scores) >= np.nanmean(plain) + 0.5 and np.nanmean(down.scores) <= np.nanmean(plain) - 0.5
    again = every_scale_draw(trained, nb201, 250, seed=5, predictor=ConvCount(), candidates=8, target="maximize")
    assert again.batch.tokens == up.batch.tokens  # deterministic by seed
    partial = every_scale_draw(trained, nb201, 250, seed=5, predictor=ConvCount(), candidates=8, lookahead="partial")
    # Completions decode to whole cells where this tiny model's partial maps do not.
    assert up.scale_members[0] > 0 and partial.scale_members[0] == 0
    one = every_scale_draw(trained, nb201, 30, seed=4, predictor=ConvCount(), candidates=1)
    assert one.batch.tokens == trained.sample(nb201, 30, seed=4).tokens


def test_steered_sample_is_the_every_scale_draw_with_a_fitted_predictor(nb201, trained):
    # The SteersDraw capability is how a searcher with its own labels reaches every_scale_draw.
    assert isinstance(trained, SteersDraw)
    batch, scores = trained.steered_sample(nb201, 60, seed=9, predictor=ConvCount(), candidates=4, target="minimize",
                                           sampling={"temperature": 1.2}, lookahead="partial")
    draw = every_scale_draw(trained, nb201, 60, seed=9, predictor=ConvCount(), candidates=4, target="minimize",
                            sampling={"temperature": 1.2}, lookahead="partial")
    assert batch.tokens == draw.batch.tokens and np.array_equal(scores, draw.scores, equal_nan=True)
    with pytest.raises(ConfigError, match="lookahead must be 'completion' or 'partial', got 'greedy'"):
        trained.steered_sample(nb201, 2, seed=0, predictor=ConvCount(), candidates=2, lookahead="greedy")
    with pytest.raises(ConfigError, match="bad sampling options: temp"):
        trained.steered_sample(nb201, 2, seed=0, predictor=ConvCount(), candidates=2, sampling={"temp": 1.0})


def test_preference():
    scores = np.array([1.0, 4.0, np.nan, 2.5])
    assert preference(scores, "maximize").tolist() == [1.0, 4.0, -np.inf, 2.5]
    assert preference(scores, "minimize").tolist() == [-1.0, -4.0, -np.inf, -2.5]
    assert preference(scores, 2.0).tolist() == [-1.0, -2.0, -np.inf, -0.5]


def test_guidance_options_are_validated(nb201, trained):
    assert GuidanceOptions().model_dump()["predictor"] == {"name": "gbdt", "options": {}}
    with pytest.raises(ConfigError, match="guidance"):
        trained.sample(nb201, 2, seed=0, guidance={"candidate": 4})
    with pytest.raises(ConfigError, match="target"):
        trained.sample(nb201, 2, seed=0, guidance={"target": "max"})
    with pytest.raises(ConfigError, match="select_at"):
        trained.sample(nb201, 2, seed=0, guidance={"select_at": "each"})


def test_the_guidance_sampling_option_fits_on_the_space_oracle(trained, nb201):
    path = require_shared_data("nasbench201", "nb201_accuracies.csv.gz")
    space = archgen.load("space", "nb201", benchmark=str(path))
    guidance = {"predictor": {"name": "gbdt", "options": {"max_iter": 50}}, "labels": 150, "candidates": 6,
                "metric": "cifar10/test@200"}
    guided = trained.sample(space, 300, seed=2, guidance=guidance)
    assert guided.sampling["guidance"]["candidates"] == 6 and guided.sampling["temperature"] == 1.0
    assert trained.sample(space, 300, seed=2, guidance=guidance).tokens == guided.tokens  # deterministic by seed
    oracle = space.oracle("cifar10/test@200")

    def mean_accuracy(batch):
        return np.mean([oracle.query(a) for a in batch.architectures(space) if a is not None and space.is_valid(a)])

    plain = trained.sample(space, 300, seed=2)
    assert mean_accuracy(guided) > mean_accuracy(plain) + 1.0
    low = trained.sample(space, 300, seed=2, guidance={**guidance, "target": "minimize"})
    assert mean_accuracy(low) < mean_accuracy(plain) - 1.0
    every = trained.sample(space, 300, seed=2, guidance={**guidance, "select_at": "every_scale"})
    assert every.sampling["guidance"]["select_at"] == "every_scale" and every.tokens != guided.tokens
    assert mean_accuracy(every) > mean_accuracy(plain) + 1.0
