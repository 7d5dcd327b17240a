"""A plain PyTorch ViT for one AutoFormer subnet (no supernet weight slicing).

The layer structure follows the release (microsoft/Cream,
``AutoFormer/model/supernet_transformer.py`` and ``model/module/*.py``) as it
is trained: 16x16/16 patch convolution with bias, class token, absolute
position embedding of ``num_patches + 1`` rows, pre-norm encoder layers
(LayerNorm -> attention with 64-dim heads, qkv bias and 2-D relative position
tables for keys and values -> residual; LayerNorm -> fc1 -> GELU -> fc2 ->
residual), a final LayerNorm, global average pooling over the patch tokens
(``--gp``) and a linear head. Dropout and drop-path are omitted: they hold no
parameters and the model is meant for counting and inference.

``sum(p.numel() for p in build_model(c).parameters()) == count_params(c)``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from archgen.spaces.autoformer.counters import (
    IMAGE_SIZE,
    IN_CHANNELS,
    MAX_RELATIVE_POSITION,
    NUM_CLASSES,
    PATCH_SIZE,
    mlp_hidden_dim,
    num_patches,
)
from archgen.spaces.autoformer.native import SubnetConfig, parse_config
from archgen.spaces.autoformer.ranges import HEAD_DIM


class RelativePosition2D(nn.Module):
    """Learned 2-D relative position embeddings of the patch grid (class token gets row 0).

    Distances along each axis are clipped to ``max_distance`` and shifted to
    ``1 .. 2 * max_distance + 1``; index 0 is reserved for pairs involving the
    class token, so each table has ``2 * max_distance + 2`` rows.
    """

    def __init__(self, head_dim: int, max_distance: int = MAX_RELATIVE_POSITION):
        super().__init__()
        self.max_distance = max_distance
        self.table_vertical = nn.Parameter(torch.zeros(2 * max_distance + 2, head_dim))
        self.table_horizontal = nn.Parameter(torch.zeros(2 * max_distance + 2, head_dim))
        nn.init.trunc_normal_(self.table_vertical, std=0.02)
        nn.init.trunc_normal_(self.table_horizontal, std=0.02)

    def forward(self, tokens: int) -> torch.Tensor:
        """Embeddings ``[tokens, tokens, head_dim]`` for a class token plus a square patch grid."""
        patches = tokens - 1
        side = int(patches**0.5)
        position = torch.arange(patches, device=self.table_vertical.device)
        rows, cols = position // side, position % side
        vertical = self._bucket(rows[None, :] - rows[:, None])
        horizontal = self._bucket(cols[None, :] - cols[:, None])
        return self.table_vertical[vertical] + self.table_horizontal[horizontal]

    def _bucket(self, distance: torch.Tensor) -> torch.Tensor:
        shifted = distance.clamp(-self.max_distance, self.max_distance) + self.max_distance + 1
        return nn.functional.pad(shifted, (1, 0, 1, 0), value=0)


class Attention(nn.Module):
    """Multi-head self-attention with fixed 64-dim heads and relative positions."""

    def __init__(self, embed_dim: int, num_heads: int, relative_position: bool = True):
        super().__init__()
        self.num_heads = num_heads
        inner = num_heads * HEAD_DIM
        self.scale = HEAD_DIM**-0.5
        self.qkv = nn.Linear(embed_dim, 3 * inner, bias=True)
        self.proj = nn.Linear(inner, embed_dim)
        self.rel_pos_k = RelativePosition2D(HEAD_DIM) if relative_position else None
        self.rel_pos_v = RelativePosition2D(HEAD_DIM) if relative_position else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        q, k, v = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        if self.rel_pos_k is not None:
            scores = scores + torch.einsum("bhnd,nmd->bhnm", q, self.rel_pos_k(tokens)) * self.scale
        weights = scores.softmax(dim=-1)
        out = torch.matmul(weights, v)
        if self.rel_pos_v is not None:
            out = out + torch.einsum("bhnm,nmd->bhnd", weights, self.rel_pos_v(tokens))
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, self.num_heads * HEAD_DIM))


class EncoderLayer(nn.Module):
    """One pre-norm transformer layer: attention and MLP, each with a residual."""

    def __init__(self, embed_dim: int, mlp_ratio: float, num_heads: int, relative_position: bool = True):
        super().__init__()
        hidden = mlp_hidden_dim(embed_dim, mlp_ratio)
        self.attn_norm = nn.LayerNorm(embed_dim)
        self.attn = Attention(embed_dim, num_heads, relative_position)
        self.ffn_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, hidden)
        self.fc2 = nn.Linear(hidden, embed_dim)
        self.activation = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x))
        return x + self.fc2(self.activation(self.fc1(self.ffn_norm(x))))


class AutoFormerViT(nn.Module):
    """The standalone ViT of one AutoFormer subnet.

    Args:
        config: The subnet.
        image_size: Square input resolution (a multiple of 16 keeps every pixel).
        num_classes: Classifier outputs.
        relative_position: Use the release's relative position tables.
    """

    def __init__(
        self,
        config: SubnetConfig,
        image_size: int = IMAGE_SIZE,
        num_classes: int = NUM_CLASSES,
        relative_position: bool = True,
    ):
        super().__init__()
        e = config.embed_dim
        self.config = config
        self.patch_embed = nn.Conv2d(IN_CHANNELS, e, kernel_size=PATCH_SIZE, stride=PATCH_SIZE)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, e))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches(image_size) + 1, e))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList(
            EncoderLayer(e, ratio, heads, relative_position)
            for ratio, heads in zip(config.mlp_ratio, config.num_heads)
        )
        self.norm = nn.LayerNorm(e)
        self.head = nn.Linear(e, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, num_classes]`` for images ``[B, 3, H, W]``."""
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        return self.head(x[:, 1:].mean(dim=1))


def build_model(
    config: SubnetConfig | dict[str, Any],
    *,
    image_size: int = IMAGE_SIZE,
    num_classes: int = NUM_CLASSES,
    relative_position: bool = True,
) -> AutoFormerViT:
    """Builds the ViT of a subnet (randomly initialised).

    Args:
        config: A :class:`SubnetConfig` or native dict.
        image_size: Square input resolution.
        num_classes: Classifier outputs.
        relative_position: Use relative position tables (as the release trains).

    Returns:
        The model; its parameter count equals
        :func:`archgen.spaces.autoformer.counters.count_params` with the same arguments.
    """
    return AutoFormerViT(parse_config(config), image_size, num_classes, relative_position)
