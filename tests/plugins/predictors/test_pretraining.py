"""Pre-training a predictor's encoder on the unlabelled space: the masked objective, the cache, the fit."""

import logging

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.pretraining import (
    MaskedGraphAutoEncoder,
    PretrainOptions,
    cache_key,
    masked_graph_loss,
    pretrained_encoder_state,
)
from archgen.plugins.predictors.unlabelled import unlabelled_architectures

TINY = {"hidden_dims": [16], "embedding_dim": 8, "head_hidden": 8, "epochs": 2, "batch_size": 64}
PRETRAIN = {"objective": "masked_graph", "epochs": 2, "max_archs": 300, "batch_size": 64}


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def nb101():
    return archgen.load("space", "nb101")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "archgen" / "pretrained"


def _pool(options):
    return options.max_archs, options.seed


def _encoder(space):
    return archgen.load("encoder", "gin", input_dim=len(space.op_vocabulary), hidden_dims=[16], out_dim=8)


class _Spy(MaskedGraphAutoEncoder):
    def forward(self, adjacency, ops):
        self.seen = ops.clone()
        return super().forward(adjacency, ops)


def test_the_mask_hides_a_share_of_real_nodes_never_padding_and_at_least_one(nb101):
    # NB101 cells have 2 to 7 nodes: padded rows must never be hidden, and a 2-node graph still hides one.
    archs = nb101.sample(64, seed=3)
    adjacency, ops = nb101.to_tensors(archs)
    model = _Spy(_encoder(nb101), len(nb101.op_vocabulary))
    masked_graph_loss(model, adjacency, ops, 0.3, torch.Generator().manual_seed(0))
    real = ops.sum(-1) > 0
    hidden = real & (model.seen.sum(-1) == 0)
    assert torch.equal(model.seen[~hidden], ops[~hidden])  # only hidden rows changed
    expected = torch.ceil(real.sum(1).float() * 0.3).clamp(min=1).long()
    assert torch.equal(hidden.sum(1), expected)


def test_the_objective_is_learned(nb201):
    # The same masks before and after: pre-training lowers the masked objective on the space's cells.
    archs = unlabelled_architectures(nb201, *_pool(PretrainOptions(**PRETRAIN)), None)
    adjacency, ops = nb201.to_tensors(archs)
    options = PretrainOptions(**{**PRETRAIN, "epochs": 8, "cache": False})
    torch.manual_seed(options.seed)
    untrained = MaskedGraphAutoEncoder(_encoder(nb201), len(nb201.op_vocabulary)).eval()
    state, meta = pretrained_encoder_state(nb201, lambda: _encoder(nb201), {"tiny": 1}, options)
    trained = MaskedGraphAutoEncoder(_encoder(nb201), len(nb201.op_vocabulary)).eval()
    trained.encoder.load_state_dict(state)
    trained.op_head.load_state_dict(untrained.op_head.state_dict())

    def adjacency_loss(model):
        with torch.no_grad():
            return masked_graph_loss(model, adjacency, ops, 0.3, torch.Generator().manual_seed(9))[1]["adjacency"]

    assert adjacency_loss(trained) < adjacency_loss(untrained)
    assert meta["cached"] is False and meta["architectures"] == 300


def test_a_small_space_is_listed_whole_and_deduplicated_with_canonical_forms(nb201):
    whole = PretrainOptions(objective="masked_graph", max_archs=20_000)
    assert len(unlabelled_architectures(nb201, *_pool(whole), None)) == 15_625
    # NAS-Bench-201's 15,625 cells are 6,466 networks (NATS-Bench get_unique_str).
    assert len(unlabelled_architectures(nb201, *_pool(whole), CanonicalForms(nb201))) == 6_466
    assert len(unlabelled_architectures(nb201, *_pool(PretrainOptions(max_archs=500)), None)) == 500


def test_the_cache_is_reused_keyed_by_every_option_and_a_corrupt_file_is_replaced(nb201, own_cache, caplog):
    options = PretrainOptions(**PRETRAIN)
    first, meta = pretrained_encoder_state(nb201, lambda: _encoder(nb201), {"tiny": 1}, options)
    again, reread = pretrained_encoder_state(nb201, lambda: _encoder(nb201), {"tiny": 1}, options)
    assert (meta["cached"], reread["cached"]) == (False, True)
    assert all(torch.equal(first[name], again[name]) for name in first)
    archs = unlabelled_architectures(nb201, *_pool(options), None)
    assert meta["path"] == str(own_cache / "nb201" / f"{cache_key(nb201, {'tiny': 1}, options, archs)}.pt")
    changed = PretrainOptions(**{**PRETRAIN, "mask_rate": 0.5})
    assert cache_key(nb201, {"tiny": 1}, changed, archs) != cache_key(nb201, {"tiny": 1}, options, archs)
    assert cache_key(nb201, {"tiny": 2}, options, archs) != cache_key(nb201, {"tiny": 1}, options, archs)
    with open(meta["path"], "wb") as handle:
        handle.write(b"not a torch file")
    with caplog.at_level(logging.WARNING):
        rebuilt, remade = pretrained_encoder_state(nb201, lambda: _encoder(nb201), {"tiny": 1}, options)
    assert remade["cached"] is False and "corrupt or not a torch file" in caplog.text
    assert all(torch.equal(first[name], rebuilt[name]) for name in first)  # same seed, same weights
    assert pretrained_encoder_state(nb201, lambda: _encoder(nb201), {"tiny": 1}, options)[1]["cached"] is True


def test_gin_members_start_from_the_pretrained_encoder(nb201):
    predictor = archgen.load("predictor", "gin", **TINY, canonical_inputs=True, pretrain=PRETRAIN)
    archs = nb201.sample(40, seed=1)
    stats = predictor.fit(nb201, archs, np.linspace(0, 1, 40))
    assert stats["pretrain"]["objective"] == "masked_graph" and stats["pretrain"]["cached"] is False
    fresh = predictor.build_model(nb201)
    state = torch.load(stats["pretrain"]["path"], weights_only=True)["state"]
    encoder = {name.removeprefix("encoder."): value for name, value in state.items() if name.startswith("encoder.")}
    assert all(torch.equal(fresh.encoder.state_dict()[name], value) for name, value in encoder.items())
    # Without the option the encoder starts from its own random weights, and the fit says so.
    plain = archgen.load("predictor", "gin", **TINY)
    assert plain.fit(nb201, archs, np.linspace(0, 1, 40))["pretrain"] == "off"
    assert not torch.equal(plain.build_model(nb201).encoder.out.weight, fresh.encoder.out.weight)


def test_an_unknown_objective_names_the_accepted_ones():
    with pytest.raises(ConfigError, match="masked_graph.*contrastive"):
        archgen.load("predictor", "gin", pretrain={"objective": "context_prediction"})


def test_an_option_only_the_other_objective_reads_leaves_the_cache_key_alone(nb201):
    archs = nb201.sample(20, seed=0)

    def key(**changes):
        return cache_key(nb201, {"tiny": 1}, PretrainOptions(**{**PRETRAIN, **changes}), archs)

    assert key(temperature=0.5) == key()  # masked_graph does not read the temperature
    assert key(objective="contrastive", temperature=0.5) != key(objective="contrastive")
    assert key(objective="contrastive", adjacency_weight=0.0) == key(objective="contrastive")
    assert key(adjacency_weight=0.0) != key()
