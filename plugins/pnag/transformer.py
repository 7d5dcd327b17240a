"""The next-scale transformer: a decoder-only model over whole scales, block-causal.

pnag.md's stage 2 (and issue 12): tokens are the MSQ code maps of every scale, coarsest first;
the tokens of scale ``k`` are predicted *together* from every coarser scale. As in VAR (Tian et
al. 2024), the input at each position of scale ``k`` is not a code but the partial reconstruction
``ê_{k-1}`` (the codes of scales ``< k`` interpolated to ``N x N`` and summed) region-averaged to
``n_k x n_k`` and projected to the model width, plus a position and a scale embedding; the first
scale's inputs are a learned start vector. Attention is block-causal: a token sees every token of
its own and coarser scales, never a finer one. Sampling therefore needs one forward pass per scale
(with a key/value cache), each drawing all ``n(n+1)/2`` tokens of the scale (the upper triangle of
its symmetric map, see :mod:`~archgen.plugins.pnag.msq`) at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from archgen.plugins.pnag.msq import interpolate, map_of, region_average, upper_positions
from archgen.plugins.priors.transformer import KVCache, TransformerBlock, filter_logits, init_weights, sample_tokens


class NextScaleTransformer(nn.Module):
    """Predicts each scale's code map from the coarser ones.

    Args:
        codebook: The MSQ codebook ``[V, C]`` (kept as a frozen buffer: the inputs are built from it).
        scales: Token-map sides, coarsest first; the last is ``N``.
        d_model: Width of the residual stream.
        layers: Transformer blocks.
        heads: Attention heads.
        dropout: Dropout while training.
    """

    def __init__(self, codebook: torch.Tensor, scales: Sequence[int], d_model: int, layers: int, heads: int, dropout: float):
        super().__init__()
        self.scales, self.size = list(scales), scales[-1]
        self.vocab_size, channels = codebook.shape
        self.register_buffer("codebook", codebook.detach().clone())
        lengths = [n * (n + 1) // 2 for n in self.scales]
        self.lengths, self.offsets = lengths, [sum(lengths[:i]) for i in range(len(lengths))]
        self.heads = heads
        self.sequence_length = sum(lengths)
        levels = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
        self.register_buffer("levels", levels, persistent=False)
        # True = may attend: every key of the same or a coarser scale.
        self.register_buffer("mask", levels[:, None] >= levels[None, :], persistent=False)
        self.start = nn.Parameter(torch.zeros(1, 1, d_model))
        self.feature_in = nn.Linear(channels, d_model)
        self.position = nn.Embedding(self.sequence_length, d_model)
        self.level = nn.Embedding(len(self.scales), d_model)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, self.vocab_size)
        self.apply(init_weights)


    def _upsampled(self, tokens: torch.Tensor, n: int) -> torch.Tensor:
        """A scale's tokens as their ``[B, C, N, N]`` contribution to ``ê``."""
        return interpolate(F.embedding(map_of(tokens, n), self.codebook).permute(0, 3, 1, 2), self.size)

    def _scale_inputs(self, step: int, e_hat: torch.Tensor | None, batch: int) -> torch.Tensor:
        n, length, start = self.scales[step], self.lengths[step], self.offsets[step]
        if step == 0:
            x = self.start.expand(batch, length, -1)
        else:
            rows, cols = upper_positions(n, e_hat.device)
            x = self.feature_in(region_average(e_hat, n)[:, :, rows, cols].transpose(1, 2))
        return x + self.position.weight[start : start + length] + self.level.weight[step]

    def inputs(self, codes: torch.Tensor) -> torch.Tensor:
        """Teacher-forced inputs ``[B, L, d]`` of code sequences ``[B, L]``."""
        pieces, e_hat = [], None
        for step, (n, length, start) in enumerate(zip(self.scales, self.lengths, self.offsets)):
            pieces.append(self._scale_inputs(step, e_hat, codes.shape[0]))
            upsampled = self._upsampled(codes[:, start : start + length], n)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
        return torch.cat(pieces, 1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, L, V]`` of every code given the coarser scales."""
        x = self.inputs(codes)
        for block in self.blocks:
            x = block(x, mask=self.mask)
        return self.head(self.norm(x))

    def loss(self, codes: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of ``[B, L]`` code sequences."""
        logits = self(codes)
        return F.cross_entropy(logits.reshape(-1, self.vocab_size).float(), codes.reshape(-1))

    @torch.no_grad()
    def sample(
        self, n: int, *, temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator
    ) -> torch.Tensor:
        """Draws ``n`` code sequences ``[n, L]`` scale by scale (one forward pass per scale)."""
        d_model = self.head.in_features
        caches = [KVCache(n, self.heads, self.sequence_length, d_model // self.heads, self.head.weight) for _ in self.blocks]
        e_hat, drawn = None, []
        for step, side in enumerate(self.scales):
            x = self._scale_inputs(step, e_hat, n)
            for block, cache in zip(self.blocks, caches):
                x = block(x, cache)  # the new scale attends to every cached (coarser) token and to itself
            logits = self.head(self.norm(x)).float() / temperature
            codes = sample_tokens(torch.softmax(filter_logits(logits, top_k, top_p), -1), generator).squeeze(-1)
            drawn.append(codes)
            upsampled = self._upsampled(codes, side)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
        return torch.cat(drawn, 1)
