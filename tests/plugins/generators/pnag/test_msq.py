"""MSQ: region averaging, symmetric token maps, residual accumulation and the SCC terms (pnag.md, Key Designs 1-2)."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.plugins.generators.pnag.msq import MultiScaleQuantizer, interpolate, map_of, region_average, tokens_of


def _symmetric(batch, channels, size, seed=0):
    x = torch.randn(batch, channels, size, size, generator=torch.Generator().manual_seed(seed))
    return x + x.transpose(-1, -2)


def test_region_average_is_the_mean_of_each_region():
    # pnag.md: e'_{c,i,j} = 1/|R_ij| sum_{(h,w) in R_ij} e_{c,h,w}; 4 -> 2 gives the 2 x 2 block means.
    e = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert region_average(e, 2).flatten().tolist() == [2.5, 4.5, 10.5, 12.5]
    assert torch.equal(region_average(e, 4), e)


def test_interpolation_back_to_full_size_keeps_a_constant_map_constant():
    constant = torch.full((1, 3, 3, 3), 0.75)
    assert torch.allclose(interpolate(constant, 8), torch.full((1, 3, 8, 8), 0.75))
    assert interpolate(constant, 3) is constant


@given(st.integers(1, 9), st.integers(0, 2**31 - 1))
def test_tokens_are_the_upper_triangle_and_rebuild_a_symmetric_map(n, seed):
    tokens = torch.randint(0, 50, (2, n * (n + 1) // 2), generator=torch.Generator().manual_seed(seed))
    code_map = map_of(tokens, n)
    assert torch.equal(code_map, code_map.transpose(1, 2))
    assert torch.equal(tokens_of(code_map), tokens)
    assert torch.equal(code_map[:, 0, :], tokens[:, :n])  # row 0 of the triangle comes first


def test_accumulate_reproduces_the_forward_reconstruction():
    quantizer = MultiScaleQuantizer(16, 4, [3, 5, 8], beta=0.25)
    e = _symmetric(6, 4, 8)
    out = quantizer(e, scc_steps=0)
    assert [tuple(c.shape) for c in out.indices] == [(6, 3, 3), (6, 5, 5), (6, 8, 8)]
    e_hat = quantizer.accumulate(out.indices)
    # The straight-through output equals ê in value.
    assert torch.allclose(out.e_hat, e_hat, atol=1e-6)
    assert torch.equal(quantizer.unflatten(quantizer.flatten(out.indices))[1], out.indices[1])
    assert quantizer.sequence_length == 6 + 15 + 36


def test_a_codebook_holding_every_vector_reconstructs_exactly_at_the_last_scale():
    # One scale of size N: no pooling, no interpolation, nearest code = the vector itself.
    e = _symmetric(2, 3, 4)
    quantizer = MultiScaleQuantizer(32, 3, [4], beta=0.25)
    vectors = torch.unique(e.permute(0, 2, 3, 1).reshape(-1, 3), dim=0)
    with torch.no_grad():
        quantizer.codebook.weight[: len(vectors)] = vectors
        quantizer.codebook.weight[len(vectors) :] = 100.0
    out = quantizer(e, scc_steps=5)
    assert torch.equal(quantizer.accumulate(out.indices), e)
    assert out.final_loss.item() == 0.0 and out.scc_loss.item() == 0.0


def test_scc_steps_constrain_the_first_intermediate_steps_only():
    quantizer = MultiScaleQuantizer(16, 4, [3, 5, 8], beta=0.25)
    e = _symmetric(4, 4, 8, seed=3)
    none, one, every = (quantizer(e, scc_steps=k) for k in (0, 1, 99))
    maps = none.indices
    partial = [quantizer.accumulate(maps[: t + 1]) for t in range(3)]
    # In value, beta ||e - sg ê_t||² + ||sg e - ê_t||² is (1 + beta) MSE(e, ê_t).
    term = [1.25 * F.mse_loss(p, e).item() for p in partial]
    assert none.scc_loss.item() == 0.0
    assert one.scc_loss.item() == pytest.approx(term[0], rel=1e-5)
    # "all" covers the two intermediate steps; the final one is ||e - ê||, counted once.
    assert every.scc_loss.item() == pytest.approx((term[0] + term[1]) / 2, rel=1e-5)
    assert every.final_loss.item() == pytest.approx(term[2], rel=1e-5)
    assert [d.item() for d in every.deviations] == pytest.approx([F.mse_loss(p, e).item() for p in partial], rel=1e-5)


def test_scc_sends_gradient_to_the_codes_of_the_constrained_scale():
    e = _symmetric(4, 4, 8, seed=5).requires_grad_()
    quantizer = MultiScaleQuantizer(16, 4, [3, 8], beta=0.25)
    out = quantizer(e, scc_steps=1)
    out.scc_loss.backward()
    grad = quantizer.codebook.weight.grad
    coarse = torch.unique(out.indices[0])
    others = torch.ones(16, dtype=torch.bool)
    others[coarse] = False
    # SCC of step 1 moves exactly the codes the 3 x 3 scale chose (and pulls the encoder's map by beta).
    assert (grad[coarse].abs().sum(1) > 0).all() and not grad[others].any()
    assert e.grad.abs().sum() > 0


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_codes_of_a_symmetric_map_are_symmetric_at_every_scale(seed):
    quantizer = MultiScaleQuantizer(8, 2, [3, 4, 6], beta=0.25)
    for codes in quantizer(_symmetric(3, 2, 6, seed=seed), scc_steps=0).indices:
        assert torch.equal(codes, codes.transpose(1, 2))


def test_scales_must_increase():
    with pytest.raises(ValueError, match="strictly increasing"):
        MultiScaleQuantizer(8, 2, [5, 3], beta=0.25)
