"""Which nodes' ops a self-supervised objective hides: the one mask both pre-training objectives draw."""

from __future__ import annotations

import torch


def hide_ops(ops: torch.Tensor, mask_rate: float, generator: torch.Generator) -> torch.Tensor:
    """A ``[B, N]`` mask of the nodes to hide: a share ``mask_rate`` of each graph's real nodes, at least one.

    Padding (all-zero op rows) is never hidden, so a graph smaller than the batch's widest hides a
    share of its own nodes, not of the padded width.

    Args:
        ops: ``[B, N, K]`` one-hot ops (all-zero rows are padding).
        mask_rate: Share of real nodes hidden per graph.
        generator: Draws the masks (CPU generator; the mask is moved to ``ops``' device).
    """
    real = ops.sum(-1) > 0
    scores = torch.rand(real.shape, generator=generator).to(ops.device)
    scores = scores.masked_fill(~real, 2.0)
    counts = (real.sum(1).float() * mask_rate).ceil().clamp(min=1).long()
    ranks = scores.argsort(1).argsort(1)
    return (ranks < counts[:, None]) & real


__all__ = ["hide_ops"]
