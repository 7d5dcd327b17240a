"""A key/value cache for incremental (token-by-token or scale-by-scale) decoding."""

from __future__ import annotations

import torch


class KVCache:
    """Keys and values of the positions decoded so far, preallocated for the whole sequence.

    Args:
        batch: Rows decoded at once.
        heads: Attention heads.
        length: Positions the cache can hold.
        head_dim: Width of one head.
        like: A tensor whose dtype and device the cache takes.

    Attributes:
        keys: ``[batch, heads, length, head_dim]``; only the first ``filled`` positions are valid.
        values: Like ``keys``.
        filled: Positions written so far; callers may set it back to reuse the cache.
    """

    def __init__(self, batch: int, heads: int, length: int, head_dim: int, like: torch.Tensor):
        self.keys = like.new_empty(batch, heads, length, head_dim)
        self.values = like.new_empty(batch, heads, length, head_dim)
        self.filled = 0

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Writes ``[batch, heads, T, head_dim]`` keys and values after the filled positions.

        Returns:
            Every key and value so far, ``[batch, heads, filled, head_dim]`` (views, not copies).
        """
        end = self.filled + k.shape[2]
        self.keys[:, :, self.filled : end] = k
        self.values[:, :, self.filled : end] = v
        self.filled = end
        return self.keys[:, :, :end], self.values[:, :, :end]
