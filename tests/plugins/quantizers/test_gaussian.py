"""The ``gaussian`` quantizer: arch2vec's reparameterised latent and KL term, in the arch_vq composition."""

import math

import pytest
import torch

import archgen
from archgen.plugins.generators.arch_vq.generator import ArchVQ
from archgen.plugins.quantizers.gaussian import gaussian_kl
from archgen.testing import check_generator


def test_kl_against_the_closed_form():
    # KL(N(mu, s²) || N(0, 1)) = (mu² + s² - 1 - ln s²) / 2 per dimension (Kingma & Welling 2014, appendix B).
    assert float(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4))) == 0.0
    assert float(gaussian_kl(torch.ones(1, 2), torch.zeros(1, 2))) == pytest.approx(1.0)
    two = torch.full((1, 1), math.log(2.0))
    assert float(gaussian_kl(torch.zeros(1, 1), two)) == pytest.approx((2 - 1 - math.log(2)) / 2)
    # Averaged over nodes, summed over dimensions.
    mu = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    assert float(gaussian_kl(mu, torch.zeros(2, 2))) == pytest.approx((0 + 4 / 2) / 2)


def _quantizer(**options):
    torch.manual_seed(0)
    return archgen.load("quantizer", "gaussian", dim=4, codebook_size=8, **options)


def test_eval_mode_reads_the_mean_and_training_samples_around_it():
    quantizer = _quantizer(kl_weight=0.5)
    with torch.no_grad():
        quantizer.to_logvar.weight.zero_()
        quantizer.to_logvar.bias.fill_(math.log(4.0))  # sigma = 2 everywhere
    z_e = torch.randn(2000, 8, 4)
    with torch.no_grad():
        mu = quantizer.mean(z_e)
        out = quantizer.eval()(z_e)
    assert torch.equal(out.z_q, mu)
    assert float(out.loss) == pytest.approx(0.5 * float(gaussian_kl(mu, torch.full_like(mu, math.log(4.0)))), rel=1e-5)
    with torch.no_grad():
        noise = quantizer.train()(z_e).z_q - mu
    assert float(noise.mean()) == pytest.approx(0.0, abs=0.03) and float(noise.std()) == pytest.approx(2.0, abs=0.03)


def test_gradients_reach_the_encoder_through_the_sample_and_the_kl():
    quantizer = _quantizer()
    z_e = torch.randn(5, 3, 4, requires_grad=True)
    out = quantizer(z_e)
    (out.z_q.sum() + out.loss).backward()
    assert z_e.grad is not None and bool(z_e.grad.abs().sum() > 0)
    assert quantizer.to_logvar.weight.grad is not None and bool(quantizer.to_logvar.weight.grad.abs().sum() > 0)


def test_codes_are_the_nearest_codebook_vectors_to_the_means():
    quantizer = _quantizer(decay=0.5).eval()
    z_e = torch.randn(6, 5, 4)
    out = quantizer(z_e)
    mu = quantizer.mean(z_e)
    distances = (mu[..., None, :] - quantizer.embedding).pow(2).sum(-1)
    assert torch.equal(out.indices, distances.argmin(-1))
    assert torch.equal(quantizer.nearest(z_e), out.indices)
    # Training moves the codebook towards the means assigned to it (EMA k-means).
    before = quantizer.embedding.clone()
    quantizer.train()(z_e)
    used = out.indices.unique()
    assert not torch.equal(quantizer.embedding[used], before[used])


def test_arch_vq_with_a_gaussian_latent_is_a_generator():
    options = {**ArchVQ.TEST_OPTIONS, "quantizer": {"name": "gaussian", "options": {"codebook_size": 16, "dim": 8}}}
    space = archgen.load("space", "nb201")
    check_generator(lambda: archgen.load("generator", "arch_vq", **options), space, space.sample(120, seed=0))
