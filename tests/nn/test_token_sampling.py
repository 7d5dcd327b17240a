"""archgen.nn.token_sampling: exact filters and an inverse-CDF draw that never picks an impossible token."""

import math

import torch

from archgen.nn import filter_logits, nucleus, sample_tokens

INF = math.inf


def test_top_k_keeps_the_k_largest_logits_and_their_ties():
    logits = torch.tensor([[1.0, 4.0, 3.0, 2.0], [5.0, 5.0, 1.0, 5.0]])
    expected = torch.tensor([[-INF, 4.0, 3.0, -INF], [5.0, 5.0, -INF, 5.0]])
    assert torch.equal(filter_logits(logits, 2, None), expected)


def test_top_k_larger_than_the_vocabulary_keeps_everything():
    logits = torch.tensor([0.5, -1.0, 2.0])
    assert torch.equal(filter_logits(logits, 10, None), logits)


def test_no_filter_returns_the_logits_unchanged():
    logits = torch.randn(3, 7)
    assert filter_logits(logits, None, None) is logits


def test_top_p_keeps_the_smallest_prefix_reaching_the_mass():
    # Probabilities 0.5, 0.25, 0.125, 0.125: 0.5 < 0.7, 0.75 >= 0.7, so the top two stay.
    logits = torch.log(torch.tensor([0.125, 0.5, 0.125, 0.25]))
    kept = nucleus(logits, 0.7)
    assert torch.equal(torch.isfinite(kept), torch.tensor([False, True, False, True]))
    assert torch.equal(kept[[1, 3]], logits[[1, 3]])


def test_top_p_always_keeps_the_most_likely_token():
    logits = torch.tensor([[0.0, 3.0, 1.0]])
    assert torch.equal(torch.isfinite(filter_logits(logits, None, 1e-6)), torch.tensor([[False, True, False]]))


def test_top_k_applies_before_top_p():
    # Top-2 leaves 3.0 and 2.0: softmax 0.73 / 0.27, so top-p 0.5 keeps only the first.
    logits = torch.tensor([3.0, 0.0, 2.0, 1.0])
    kept = filter_logits(logits, 2, 0.5)
    assert torch.equal(kept, torch.tensor([3.0, -INF, -INF, -INF]))


def test_sample_tokens_never_draws_a_zero_probability_token():
    probabilities = torch.tensor([[0.0, 0.3, 0.0, 0.7], [1.0, 0.0, 0.0, 0.0]]).repeat(500, 1)
    drawn = sample_tokens(probabilities, torch.Generator().manual_seed(0))
    assert drawn.shape == (1000, 1)
    assert set(drawn[0::2, 0].tolist()) == {1, 3} and set(drawn[1::2, 0].tolist()) == {0}


def test_sample_tokens_follows_the_distribution_and_the_seed():
    probabilities = torch.tensor([0.2, 0.5, 0.3]).expand(20_000, 3)
    first = sample_tokens(probabilities, torch.Generator().manual_seed(7))
    again = sample_tokens(probabilities, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    shares = torch.bincount(first[:, 0], minlength=3).float() / len(first)
    assert torch.allclose(shares, torch.tensor([0.2, 0.5, 0.3]), atol=0.015)


def test_sample_tokens_accepts_unnormalised_weights():
    # Only the cumulative mass's shape matters: weights scaled by any factor draw the same tokens.
    weights = torch.tensor([[1.0, 2.0, 5.0]]).repeat(100, 1)
    a = sample_tokens(weights, torch.Generator().manual_seed(3))
    b = sample_tokens(weights / 8.0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
