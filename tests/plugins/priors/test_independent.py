"""The independent (non-autoregressive) prior of Arch-VQ's ablation: exact counts, independence, the kit."""

import math

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.testing import check_prior, tiny_code_sequences


def _prior(vocab_size=4, seq_len=2, **options):
    return archgen.load("prior", "independent", vocab_size=vocab_size, seq_len=seq_len, **options)


def test_passes_the_prior_kit():
    check_prior(lambda: _prior(8, 4), tiny_code_sequences(8, 4), vocab_size=8)


def test_fit_gives_the_empirical_frequencies_and_their_exact_likelihood():
    prior = _prior(vocab_size=3, seq_len=2)
    logs = prior.fit(torch.tensor([[0, 2], [0, 2], [1, 2], [0, 2]]))
    assert prior.probabilities().tolist() == [[0.75, 0.25, 0.0], [0.0, 0.0, 1.0]]
    # Mean per-position NLL: position 0 is three times -ln 0.75 and once -ln 0.25; position 1 is 0.
    assert logs["loss"] == pytest.approx(-(3 * math.log(0.75) + math.log(0.25)) / 8)


def test_smoothing_adds_a_pseudo_count_to_every_code():
    prior = _prior(vocab_size=2, seq_len=1, smoothing=1.0)
    prior.fit(torch.tensor([[0], [0]]))
    assert prior.probabilities().tolist() == [[0.75, 0.25]]


def test_draws_keep_the_marginals_and_drop_the_dependencies():
    # Perfectly correlated training pairs; an independent prior draws all four pairs about equally.
    prior = _prior(vocab_size=2, seq_len=2)
    prior.fit(torch.tensor([[0, 0], [1, 1]] * 10))
    codes, ok = prior.sample(8000, seed=0)
    assert ok.all()
    pairs, counts = np.unique(codes.numpy(), axis=0, return_counts=True)
    assert pairs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert (np.abs(counts / 8000 - 0.25) < 0.02).all()


def test_unseen_codes_are_never_drawn_and_top_k_1_is_the_mode():
    prior = _prior(vocab_size=5, seq_len=3)
    prior.fit(torch.tensor([[1, 2, 3], [1, 4, 3], [0, 4, 3]]))
    codes, _ = prior.sample(500, seed=1, temperature=3.0)
    assert set(codes[:, 0].tolist()) <= {0, 1} and set(codes[:, 2].tolist()) == {3}
    greedy, _ = prior.sample(20, seed=2, top_k=1)
    assert (greedy == torch.tensor([1, 4, 3])).all()
    nucleus, _ = prior.sample(50, seed=2, top_p=0.5)
    assert (nucleus == torch.tensor([1, 4, 3])).all()


def test_bad_sampling_options_are_config_errors():
    prior = _prior()
    with pytest.raises(ConfigError, match="temperature"):
        prior.sample(2, temperature=0.0)


def test_arch_vq_trains_and_samples_with_it_in_the_prior_slot():
    space = archgen.load("space", "nb201")
    generator = archgen.load("generator", "arch_vq", vqvae_epochs=1, prior={"name": "independent"},
                             encoder={"name": "gin", "options": {"hidden_dims": [16]}},
                             quantizer={"name": "ema", "options": {"codebook_size": 16, "dim": 8}})
    stats = generator.fit(space, space.sample(64, seed=0), seed=0)
    assert math.isfinite(stats["prior_final_loss"])
    batch = generator.sample(space, 30, seed=0, temperature=1.0)
    assert batch.well_formed.all() and len(batch.tokens) == 30
