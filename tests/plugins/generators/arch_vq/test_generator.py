"""The arch_vq generator: it learns, round-trips through checkpoints, and rejects bad ones."""

import numpy as np
import pytest
import torch

import archgen
from archgen import CheckpointError

TINY = {
    # A higher learning rate and faster EMA than the paper so 160 cells train in seconds.
    "vqvae_epochs": 200,
    "vqvae_lr": 3e-3,
    "vqvae_batch_size": 16,
    "prior_epochs": 60,
    "encoder": {"name": "gin", "options": {"hidden_dims": [64, 64, 64, 16]}},
    "quantizer": {"name": "ema", "options": {"codebook_size": 64, "dim": 16, "decay": 0.9}},
    "prior": {"name": "transformer", "options": {"layers": 1, "heads": 2, "d_model": 32, "lr": 3e-3, "batch_size": 32}},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    space = archgen.load("space", "nb201")
    archs = space.sample(160, seed=0)
    generator = archgen.load("generator", "arch_vq", **TINY)
    stats = generator.fit(space, archs, seed=0)
    directory = tmp_path_factory.mktemp("ckpt")
    generator.save(directory)
    return space, archs, generator, stats, directory


def test_vqvae_learns_to_reconstruct_its_training_set(trained):
    space, archs, generator, stats, _ = trained
    assert generator.reconstruction_accuracy(space, archs) >= 90.0
    assert stats["vqvae_epochs_run"] == 200 and 0 < stats["codebook_used"] <= 64


def test_dead_code_restarts_are_recorded_per_epoch_and_sum_to_the_total(trained):
    _, _, generator, stats, _ = trained
    per_epoch = stats["dead_code_restarts_per_epoch"]
    assert len(per_epoch) == stats["vqvae_epochs_run"] and all(count >= 0 for count in per_epoch)
    assert sum(per_epoch) == stats["dead_code_restarts"] == int(generator.vqvae.quantizer.restarts)
    assert stats["dead_code_restarts"] > 0  # 160 cells cannot keep 64 codes alive: restarts happen


def test_sequences_have_one_code_per_node(trained):
    space, archs, generator, _, _ = trained
    codes = generator.encode(space, archs[:5])
    assert codes.shape == (5, space.max_nodes) and codes.min() >= 0 and codes.max() < 64


def test_samples_decode_to_architectures(trained):
    space, _, generator, _, _ = trained
    batch = generator.sample(space, 300, temperature=1.0, seed=0)
    archs = batch.architectures(space)
    assert batch.well_formed.mean() > 0.5
    assert all((a is None) == (not ok) for a, ok in zip(archs, batch.well_formed))
    assert sum(space.is_valid(a) for a in archs if a is not None) > 0


def test_checkpoint_round_trip_reproduces_samples(trained):
    space, _, generator, _, directory = trained
    restored = archgen.load("generator", "arch_vq", **TINY).load(directory, space)
    a = generator.sample(space, 100, temperature=1.2, seed=5)
    b = restored.sample(space, 100, temperature=1.2, seed=5)
    assert a.tokens == b.tokens and np.array_equal(a.adjacency, b.adjacency)


def test_corrupt_checkpoint_is_a_clear_error(trained, tmp_path):
    space, _, _, _, directory = trained
    for name in ("vqvae.pt", "prior.pt"):
        (tmp_path / name).write_bytes((directory / name).read_bytes())
    (tmp_path / "prior.pt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match=r"prior.pt' is corrupt or not a torch file"):
        archgen.load("generator", "arch_vq", **TINY).load(tmp_path, space)


def test_checkpoint_of_another_model_shape_is_rejected(trained):
    space, _, _, _, directory = trained
    bigger = {**TINY, "quantizer": {"name": "ema", "options": {"codebook_size": 128, "dim": 16, "decay": 0.9}}}
    with pytest.raises(CheckpointError, match="does not fit the configured model"):
        archgen.load("generator", "arch_vq", **bigger).load(directory, space)


def test_checkpoint_of_another_space_is_rejected(trained, tmp_path):
    space, _, _, _, directory = trained
    payload = torch.load(directory / "vqvae.pt", weights_only=True)
    payload["meta"]["space"] = "nb101"
    torch.save(payload, tmp_path / "vqvae.pt")
    (tmp_path / "prior.pt").write_bytes((directory / "prior.pt").read_bytes())
    with pytest.raises(CheckpointError, match="made for space='nb101', not 'nb201'"):
        archgen.load("generator", "arch_vq", **TINY).load(tmp_path, space)
