"""Contrastive pre-training over written forms: the forms, the NT-Xent loss, the learning, the fit."""

import math
import random

import numpy as np
import torch

import archgen
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.contrastive import contrastive_loss, written_forms
from archgen.plugins.predictors.pretraining import PretrainOptions, pretrained_encoder_state
from archgen.plugins.predictors.unlabelled import unlabelled_architectures

TINY = {"hidden_dims": [16], "embedding_dim": 8, "head_hidden": 8, "epochs": 2, "batch_size": 64}
CONTRASTIVE = {"objective": "contrastive", "epochs": 2, "max_archs": 300, "batch_size": 64}


def _encoder(space):
    return archgen.load("encoder", "gin", input_dim=len(space.op_vocabulary), hidden_dims=[16], out_dim=8)


def test_a_listed_space_gives_every_member_of_each_network_as_its_forms(space):
    representatives = unlabelled_architectures(space, 100_000, 0, CanonicalForms(space))
    forms = written_forms(space, representatives, seed=0)
    # NAS-Bench-201's 15,625 cells are 6,466 networks (NATS-Bench get_unique_str): every cell is a
    # form of exactly one representative.
    assert len(forms.count) == 6_466 and int(forms.count.sum()) == 15_625 == len(forms.ops)
    assert torch.equal(forms.first[1:], torch.cumsum(forms.count, 0)[:-1])
    class_sizes: dict = {}
    for arch in space.enumerate():
        key = space.canonical_key(arch)
        class_sizes[key] = class_sizes.get(key, 0) + 1
    for network in random.Random(0).sample(range(6_466), 50):
        start, count = int(forms.first[network]), int(forms.count[network])
        assert count == class_sizes[space.canonical_key(representatives[network])]
        # The slice holds that network's cells, its representative among them.
        _, ops = space.to_tensors([representatives[network]])
        assert any(torch.equal(forms.ops[row], ops[0].float()) for row in range(start, start + count))


def test_a_space_too_large_to_list_takes_its_equivalent_forms():
    darts = archgen.load("space", "darts_cell")
    archs = darts.sample(30, seed=2)
    forms = written_forms(darts, archs, seed=0)
    assert len(forms.count) == 30 and bool((forms.count >= 1).all()) and bool((forms.count <= 4).all())
    # Row first[i] is the architecture as written; the others are distinct re-writings of it.
    for index, arch in enumerate(archs):
        adjacency, ops = darts.to_tensors([arch])
        assert torch.equal(forms.ops[forms.first[index]], ops[0].float())
        assert torch.equal(forms.adjacency[forms.first[index]], adjacency[0].float())
    rng = random.Random(0)
    expected = [1 + len({darts.to_string(f) for f in darts.equivalent_forms(a, rng)} - {darts.to_string(a)}) for a in archs]
    assert forms.count.tolist() == expected


def test_a_draw_stays_inside_each_networks_forms_and_reaches_all_of_them(space):
    representatives = unlabelled_architectures(space, 100_000, 0, CanonicalForms(space))
    forms = written_forms(space, representatives, seed=0)
    network = int(torch.argmax(forms.count))  # the network written the most ways
    start, count = int(forms.first[network]), int(forms.count[network])
    generator = torch.Generator().manual_seed(0)
    allowed = {tuple(forms.ops[row].argmax(-1).tolist()) for row in range(start, start + count)}
    _, ops = forms.draw(torch.full((5_000,), network), generator)
    drawn = {tuple(row.argmax(-1).tolist()) for row in ops}
    assert drawn == allowed  # every form of it, none of another network's


class _Fixed(torch.nn.Module):
    """Returns given embeddings, view after view, whatever the graphs."""

    def __init__(self, views):
        super().__init__()
        self.views = list(views)

    def forward(self, adjacency, ops):
        return self.views.pop(0)


def test_the_loss_is_nt_xent_over_the_two_views(space):
    archs = space.sample(3, seed=0)
    forms = written_forms(space, archs, seed=0)
    generator = torch.Generator().manual_seed(0)
    a = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), dim=-1)
    b = torch.nn.functional.normalize(torch.tensor([[1.0, 0.2], [0.1, 1.0], [-1.0, 1.0]]), dim=-1)
    loss, logs = contrastive_loss(_Fixed([a, b]), forms, torch.arange(3), 0.3, 0.5, generator)
    # SimCLR's NT-Xent by hand: view k's positive is view (k + 3) mod 6, its denominator every other view.
    z = torch.cat([a, b]).double()
    expected = 0.0
    correct = 0
    for k in range(6):
        scores = {j: float(z[k] @ z[j]) / 0.5 for j in range(6) if j != k}
        positive = (k + 3) % 6
        expected -= scores[positive] - math.log(sum(math.exp(v) for v in scores.values()))
        correct += max(scores, key=scores.get) == positive
    assert math.isclose(float(loss), expected / 6, rel_tol=1e-6)
    assert math.isclose(float(logs["match_accuracy"]), correct / 6, rel_tol=1e-6)


def test_the_objective_is_learned(space):
    # With 64 networks a batch, a view picks its positive among 127 others: chance is log(127) = 4.84.
    def final(epochs):
        options = PretrainOptions(**{**CONTRASTIVE, "epochs": epochs, "cache": False})
        return pretrained_encoder_state(space, lambda: _encoder(space), {"tiny": 1}, options)[1]

    one, ten = final(1), final(10)
    assert ten["objective"] == "contrastive" and ten["architectures"] == 300 and ten["cached"] is False
    assert ten["final_loss"] < one["final_loss"] and ten["final_loss"] < math.log(127) - 0.2
    assert ten["final_match_accuracy"] > one["final_match_accuracy"]


def test_gin_fits_from_the_contrastive_encoder(space, labelled, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    archs, y = labelled
    predictor = archgen.load("predictor", "gin", **TINY, canonical_inputs=True, pretrain=CONTRASTIVE)
    stats = predictor.fit(space, archs, y)
    # canonical_inputs: the 300 sampled cells' networks, each once.
    networks = len(unlabelled_architectures(space, 300, 0, CanonicalForms(space)))
    assert networks < 300 and stats["pretrain"] == {**stats["pretrain"], "objective": "contrastive", "architectures": networks}
    state = torch.load(stats["pretrain"]["path"], weights_only=True)["state"]
    encoder = {name.removeprefix("encoder."): value for name, value in state.items() if name.startswith("encoder.")}
    fresh = predictor.build_model(space)
    assert encoder and all(torch.equal(fresh.encoder.state_dict()[name], value) for name, value in encoder.items())
    assert np.isfinite(predictor.predict(space, archs)).all()
