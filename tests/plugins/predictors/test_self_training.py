"""Self-training: the draws of unlabelled architectures, the weighted losses, and students fitted on the teacher's labels."""

import math

import numpy as np
import pytest
import torch

from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.gin import GINPredictor
from archgen.plugins.predictors.regression import pairwise_rank_loss
from archgen.plugins.predictors.self_training import SelfTrainingOptions, pseudo_label_draws

TINY = {"hidden_dims": [16], "embedding_dim": 8, "head_hidden": 8, "epochs": 3, "batch_size": 64, "ensemble": 2}


@pytest.fixture(scope="module")
def nb201(space):
    return space


def test_draws_skip_the_labelled_networks_and_hold_one_form_per_network(nb201):
    forms = CanonicalForms(nb201)
    labelled = forms(nb201.sample(50, seed=4))
    options = SelfTrainingOptions(rounds=3, pseudo_labels=7000)
    draws = pseudo_label_draws(nb201, labelled, options, forms)
    assert len(draws) == 3
    taken = {nb201.to_string(arch) for arch in labelled}
    for draw in draws:
        written = [nb201.to_string(arch) for arch in draw]
        # NB201 has 6,466 networks (NATS-Bench's unique cells): the pool is every one not labelled.
        assert len(written) == len(set(written)) == 6_466 - len(taken)
        assert not taken & set(written)
        assert forms(draw) == draw  # already representatives
    small = pseudo_label_draws(nb201, labelled, SelfTrainingOptions(rounds=2, pseudo_labels=100, seed=5), forms)
    assert [len(draw) for draw in small] == [100, 100] and small[0] != small[1]
    assert pseudo_label_draws(nb201, labelled, SelfTrainingOptions(), forms) == []


def test_weighted_rank_loss_weighs_each_pair_by_both_ends():
    predicted, target = torch.tensor([0.0, 1.0, 3.0]), torch.tensor([1.0, 0.0, 2.0])
    assert float(pairwise_rank_loss(predicted, target, torch.ones(3))) == pytest.approx(float(pairwise_rank_loss(predicted, target)))
    # Pairs (y_i > y_j): (0,1) margin -1, (2,0) margin 3, (2,1) margin 2; weights 1*0.5, 2*1, 2*0.5.
    loss = pairwise_rank_loss(predicted, target, torch.tensor([1.0, 0.5, 2.0]))
    terms = [(0.5, math.log(1 + math.e)), (2.0, math.log(1 + math.exp(-3))), (1.0, math.log(1 + math.exp(-2)))]
    assert float(loss) == pytest.approx(sum(w * v for w, v in terms) / sum(w for w, _ in terms))


def test_students_learn_the_teachers_predictions_on_the_draw(nb201, labelled, monkeypatch):
    archs, y = labelled
    teacher = GINPredictor(GINPredictor.Options(**TINY, canonical_inputs=True))
    teacher.fit(nb201, archs, y, seed=3)
    options = GINPredictor.Options(**TINY, canonical_inputs=True, self_training={"rounds": 1, "pseudo_labels": 300, "weight": 0.25, "epochs": 2})
    student = GINPredictor(options)
    ensembles = []
    original = GINPredictor._train_ensemble

    def spy(self, space, features, targets, weights, first_seed, epochs, runtime):
        ensembles.append((targets.clone(), None if weights is None else weights.clone(), first_seed, epochs))
        return original(self, space, features, targets, weights, first_seed, epochs, runtime)

    monkeypatch.setattr(GINPredictor, "_train_ensemble", spy)
    report = student.fit(nb201, archs, y, seed=3)
    assert report["self_training"] == {"rounds": 1, "pseudo_labels": 300}
    (labels, no_weights, teacher_seed, teacher_epochs), (targets, weights, student_seed, student_epochs) = ensembles
    assert no_weights is None and (teacher_seed, teacher_epochs) == (3000, 3) and (student_seed, student_epochs) == (3100, 2)
    # The students' targets: the labels, then the (same-seeded) teacher's predictions on the draw, standardised.
    draw = pseudo_label_draws(nb201, student.forms(archs), options.self_training, student.forms)[0]
    expected = (teacher.predict(nb201, draw) - teacher.mean) / teacher.scale
    assert torch.equal(targets[: len(archs)], labels)
    np.testing.assert_allclose(targets[len(archs):].numpy(), expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(weights, torch.cat([torch.ones(len(archs)), torch.full((300,), 0.25)]))
    # The fitted ensemble is the students, not the teacher.
    assert len(student.members) == 2
    assert not np.allclose(student.predict(nb201, draw[:20]), teacher.predict(nb201, draw[:20]))
