"""The pre-norm transformer block and GPT-2's weight initialisation.

Submodule names (``norm1``, ``qkv``, ``proj``, ``norm2``, ``mlp``) are state-dict keys of
every checkpoint holding a block: renaming one breaks loading them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from archgen.nn.kv_cache import KVCache


class TransformerBlock(nn.Module):
    """A pre-norm transformer block (attention + MLP).

    Args:
        d_model: Width of the residual stream.
        heads: Attention heads (``d_model`` divisible by them).
        dropout: Dropout on the residual branches, and on the attention weights unless
            ``attention_dropout`` is given.
        attention_dropout: Dropout on the attention weights (``None``: ``dropout``).
    """

    def __init__(self, d_model: int, heads: int, dropout: float, attention_dropout: float | None = None):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.dropout = nn.Dropout(dropout)
        self.attention_dropout = dropout if attention_dropout is None else attention_dropout

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """One block over ``x`` ``[B, T, d_model]``.

        Args:
            x: The residual stream.
            cache: While sampling: the keys and values so far; the new queries attend to every
                cached position and to each other, unmasked.
            mask: While training: a boolean attention mask ``[T, T]`` (True = may attend);
                ``None`` means causal.

        Returns:
            The residual stream after the block, ``[B, T, d_model]``.
        """
        q, k, v = rearrange(self.qkv(self.norm1(x)), "b t (three h d) -> three b h t d", three=3, h=self.heads)
        if cache is None:
            dropout = self.attention_dropout if self.training else 0.0
            if mask is None:
                attended = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
            else:
                attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        else:
            k, v = cache.append(k, v)
            weights = torch.softmax((q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5), dim=-1)
            attended = weights @ v
        x = x + self.dropout(self.proj(rearrange(attended, "b h t d -> b t (h d)")))
        return x + self.dropout(self.mlp(self.norm2(x)))


def init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation (normal 0.02, zero biases) for linear and embedding layers; use with ``apply``."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
