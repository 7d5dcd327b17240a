"""Drawing tokens from logits: top-k and nucleus filtering, and inverse-CDF sampling.

Every sampler in archgen (the ``transformer`` prior, the ``llm`` prior's decoder, PNAG's
next-scale model) filters and draws with these, so a fixed seed draws the same tokens
whichever model produced the logits.
"""

from __future__ import annotations

import math

import torch


def sample_tokens(probabilities: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One token per row of ``[..., V]`` probabilities by inverse-CDF sampling, as ``[..., 1]``.

    One uniform number per row instead of ``torch.multinomial``'s one per
    vocabulary entry -- the difference is most of the sampling time. Tokens of
    probability zero are never drawn: ``searchsorted(right=True)`` returns the
    first index whose cumulative mass exceeds ``u``.

    Args:
        probabilities: Non-negative weights over the vocabulary (they need not sum to one).
        generator: Source of the uniform numbers.
    """
    cumulative = probabilities.cumsum(-1)
    u = torch.rand((*cumulative.shape[:-1], 1), generator=generator, device=probabilities.device) * cumulative[..., -1:]
    return torch.searchsorted(cumulative, u, right=True).clamp_(max=probabilities.shape[-1] - 1)


def filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """Top-k, then nucleus (top-p) filtering of ``[..., V]`` logits (``None`` leaves a filter off).

    Tokens tied with the k-th largest logit all stay; filtered tokens become -inf.
    """
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    return logits if top_p is None else nucleus(logits, top_p)


def nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """``[..., V]`` logits with everything outside the top-``top_p`` probability mass set to -inf."""
    ordered, order = torch.sort(logits, descending=True, dim=-1)
    cumulative = torch.softmax(ordered, -1).cumsum(-1)
    # Drop a token once the mass before it already reaches top_p (the top token always stays).
    drop = (cumulative - torch.softmax(ordered, -1)) >= top_p
    ordered = ordered.masked_fill(drop, -math.inf)
    return torch.full_like(logits, -math.inf).scatter(-1, order, ordered)
