"""The shared regressor: ranking loss, target scaling, ensembles, label checks -- on gin and tart."""

import math

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.plugins.predictors.gin import GINPredictor
from archgen.plugins.predictors.regression import check_labels, pairwise_rank_loss
from archgen.plugins.predictors.tart import TARTPredictor


def test_pairwise_rank_loss_on_a_toy():
    # One ordered pair (target 1 > 0) predicted the wrong way round by 1: softplus(1) = log(1 + e).
    loss = pairwise_rank_loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))
    assert float(loss) == pytest.approx(math.log(1 + math.e))
    # Ties carry no pair; a batch of ties gives exactly 0.
    assert float(pairwise_rank_loss(torch.tensor([0.3, 2.0]), torch.tensor([1.0, 1.0]))) == 0.0
    # Three pairs, all ordered right by margins 1, 2, 1.
    right = pairwise_rank_loss(torch.tensor([2.0, 1.0, 0.0]), torch.tensor([3.0, 2.0, 1.0]))
    expected = (2 * math.log(1 + math.exp(-1)) + math.log(1 + math.exp(-2))) / 3
    assert float(right) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (np.zeros(3), "predictor got 4 architectures but targets of shape [3]"),
        (np.array([1.0, np.nan, 2.0, 3.0]), "target 1 is nan"),
        (np.array([1.0, 2.0, np.inf, 3.0]), "target 2 is inf"),
        (["a", "b", "c", "d"], "predictor targets must be numbers"),
    ],
)
def test_bad_labels_are_one_line_errors(space, targets, message):
    archs = space.sample(4, seed=0)
    with pytest.raises(ConfigError, match=None) as caught:
        check_labels(archs, targets)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ConfigError):
        GINPredictor(GINPredictor.Options(**GINPredictor.TEST_OPTIONS)).fit(space, archs, targets)


@pytest.mark.parametrize("cls", [GINPredictor, TARTPredictor])
def test_same_seed_same_predictions_other_seed_other_predictions(space, labelled, cls):
    archs, y = labelled
    make = lambda: cls(cls.Options(**cls.TEST_OPTIONS))  # noqa: E731
    first, second, third = make(), make(), make()
    first.fit(space, archs, y, seed=3)
    second.fit(space, archs, y, seed=3)
    third.fit(space, archs, y, seed=4)
    assert np.array_equal(first.predict(space, archs), second.predict(space, archs))
    assert not np.allclose(first.predict(space, archs), third.predict(space, archs))
    # fit leaves torch's global random state as it found it.
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    make().fit(space, archs, y, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_normalised_targets_make_predictions_equivariant_to_affine_relabelling(space, labelled):
    archs, y = labelled
    options = GINPredictor.Options(**GINPredictor.TEST_OPTIONS)
    plain, scaled = GINPredictor(options), GINPredictor(options)
    plain.fit(space, archs, y, seed=0)
    scaled.fit(space, archs, 100 * y + 7, seed=0)
    # The model sees identical standardised targets, so its answers map by the same affine function.
    assert np.allclose(scaled.predict(space, archs), 100 * plain.predict(space, archs) + 7, rtol=1e-6, atol=1e-6)
    raw = GINPredictor(GINPredictor.Options(**{**GINPredictor.TEST_OPTIONS, "normalise_targets": False}))
    raw.fit(space, archs, 100 * y + 7, seed=0)
    assert not np.allclose(raw.predict(space, archs), scaled.predict(space, archs), rtol=1e-3)


def test_an_ensemble_averages_its_members(space, labelled):
    archs, y = labelled
    options = {**GINPredictor.TEST_OPTIONS, "ensemble": 2}
    pair = GINPredictor(GINPredictor.Options(**options))
    stats = pair.fit(space, archs, y, seed=5)
    assert stats["members"] == 2 and len(pair.members) == 2
    # Member m is seeded 1000 * seed + m: member 0 of the pair is the single model fitted with that seed.
    single = GINPredictor(GINPredictor.Options(**GINPredictor.TEST_OPTIONS))
    single.fit(space, archs, y, seed=5)
    member_outputs = []
    for member in pair.members:
        pair_one = GINPredictor(pair.options)
        pair_one.members, pair_one.mean, pair_one.scale = [member], pair.mean, pair.scale
        member_outputs.append(pair_one.predict(space, archs))
    assert np.allclose(member_outputs[0], single.predict(space, archs))
    assert np.allclose(pair.predict(space, archs), np.mean(member_outputs, axis=0))


def test_training_lowers_the_error_on_a_learnable_target(space, labelled):
    archs, y = labelled
    predictor = GINPredictor(GINPredictor.Options(**{**GINPredictor.TEST_OPTIONS, "epochs": 60}))
    stats = predictor.fit(space, archs, y, seed=0)
    untrained_mse = float(np.var(y))  # a constant guess at the mean
    assert np.mean((predictor.predict(space, archs) - y) ** 2) < 0.5 * untrained_mse, stats


def test_tart_options_refuse_heads_that_do_not_divide_the_width():
    with pytest.raises(ConfigError, match="d_model 30 must be a multiple of heads 4"):
        archgen.load("predictor", "tart", d_model=30, heads=4)


def test_tart_with_onehot_features_embeds_the_whole_op_and_learns_an_op_target(space, labelled):
    archs, y = labelled
    options = {**TARTPredictor.TEST_OPTIONS, "features": "onehot", "dp": 8, "sign_flip": False, "dropout": 0.0, "epochs": 60}
    predictor = archgen.load("predictor", "tart", **options)
    # NB201 has 7 ops: df = 7, and dp = 8 eigenvectors, beside the 4 type identifiers.
    assert predictor.build_model(space).embed.in_features == 7 + 2 * 8 + 4
    predictor.fit(space, archs, y, seed=0)
    assert np.mean((predictor.predict(space, archs) - y) ** 2) < 0.5 * float(np.var(y))
