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

The sampler is built for throughput without changing a drawn token (``tests/plugins/pnag/
test_sampling_speed_paths.py`` compares it with the plain loop bit for bit): rows go through the
scales in tiles of :data:`SAMPLE_TILE`, so that a tile's activations and key/value cache stay in
the core's cache (a 2,048-row batch streams ~40 MB per scale through memory and ran at half the
speed); the generator's numbers are still drawn scale by scale for the whole batch, in the order
and shapes the plain loop draws them; the first scale, whose inputs are the same learned vectors
for every row, is computed once and shared by every tile; and where ``head_dim ** -0.5`` is a
power of two the attention scale is folded into the query weights, which scales every product
and partial sum by the same power of two and so rounds exactly as scaling the scores would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from archgen.plugins.pnag.msq import interpolate, map_of, region_average, upper_positions
from archgen.plugins.priors.transformer import KVCache, TransformerBlock, filter_logits, init_weights

# Rows per sampling tile. 128 rows of NB201's 116 tokens keep a tile's largest activation (the MLP's
# 4 * d_model hidden layer) near 2 MB and its key/value caches under 4 MB (benchmarks/pnag_sampling.py).
SAMPLE_TILE = 128


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
        return self.draw(n, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator)[0]

    @torch.no_grad()
    def draw(
        self, n: int, *, temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` code sequences and the feature maps they accumulate to.

        Args:
            n: Sequences to draw.
            temperature: Divides the logits.
            top_k: Keep the ``k`` most likely codes of each token (``None``: all).
            top_p: Nucleus filter of each token (``None``: off).
            generator: Source of the draws; ``n * L`` uniform numbers are taken from it, scale by
                scale.

        Returns:
            The codes ``[n, L]`` and ``ê`` ``[n, C, N, N]``, the sum of every scale's code map
            interpolated to ``N x N`` (what :meth:`MultiScaleQuantizer.accumulate` gives for the
            same codes and codebook).
        """
        device = self.head.weight.device
        # One uniform number per token, drawn scale by scale for all n rows as the inverse-CDF sampler
        # (archgen.plugins.priors.transformer.sample_tokens) draws them: the tiles below only read them.
        uniforms = [torch.rand((n, length, 1), generator=generator, device=device) for length in self.lengths]
        codes = torch.empty(n, self.sequence_length, dtype=torch.long, device=device)
        e_hat = self.codebook.new_empty(n, self.codebook.shape[1], self.size, self.size)
        if n == 0:
            return codes, e_hat
        qkv = [self._sampling_qkv(block) for block in self.blocks]
        first = self._first_scale(min(n, SAMPLE_TILE), qkv, temperature, top_k, top_p)
        for start in range(0, n, SAMPLE_TILE):
            rows = slice(start, min(start + SAMPLE_TILE, n))
            codes[rows], e_hat[rows] = self._draw_tile(rows, uniforms, first, qkv, temperature, top_k, top_p)
        return codes, e_hat

    def folded_query_scale(self) -> bool:
        """Whether the attention scale ``head_dim ** -0.5`` is a power of two (``head_dim`` a power of 4).

        Only then does moving it into the query weights give the very same scores: multiplying by a
        power of two is exact, so it commutes with every rounding of the matrix products.
        """
        head_dim = self.head.in_features // self.heads
        return math.log2(head_dim) % 2 == 0

    def _sampling_qkv(self, block: TransformerBlock) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The block's query/key/value weights and bias with the attention scale folded into the queries, or None."""
        if not self.folded_query_scale():
            return None
        d_model = self.head.in_features
        scale = torch.ones(3 * d_model, dtype=block.qkv.weight.dtype, device=block.qkv.weight.device)
        scale[:d_model] = (d_model // self.heads) ** -0.5
        return block.qkv.weight * scale[:, None], block.qkv.bias * scale

    def _block_step(
        self, block: TransformerBlock, x: torch.Tensor, cache: KVCache, qkv: tuple[torch.Tensor, torch.Tensor] | None
    ) -> torch.Tensor:
        """``block(x, cache)`` in eval mode, with the query scale pre-folded where :meth:`folded_query_scale`."""
        if qkv is None or block.training:  # dropout only exists in block.forward
            return block(x, cache)
        batch, length, d_model = x.shape
        q, k, v = F.linear(block.norm1(x), *qkv).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        k, v = cache.append(k, v)
        attended = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
        x = x + block.proj(attended.transpose(1, 2).reshape(batch, length, d_model))
        return x + block.mlp(block.norm2(x))

    def _cumulative(self, x: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None) -> torch.Tensor:
        """The cumulative code probabilities ``[B, T, V]`` of a scale's final hidden states."""
        logits = self.head(self.norm(x)).float()
        if temperature != 1.0:  # x / 1.0 is x: skip a pass over B x T x V
            logits = logits / temperature
        return torch.softmax(filter_logits(logits, top_k, top_p), -1).cumsum(-1)

    def _first_scale(
        self, batch: int, qkv: list, temperature: float, top_k: int | None, top_p: float | None
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """The first scale's cumulative probabilities and per-block keys and values, for ``batch`` (identical) rows."""
        d_model = self.head.in_features
        caches = [KVCache(batch, self.heads, self.lengths[0], d_model // self.heads, self.head.weight) for _ in self.blocks]
        x = self._scale_inputs(0, None, batch)
        for block, cache, weights in zip(self.blocks, caches, qkv):
            x = self._block_step(block, x, cache, weights)
        return self._cumulative(x, temperature, top_k, top_p), [(cache.keys, cache.values) for cache in caches]

    def _draw_tile(
        self, rows: slice, uniforms: list[torch.Tensor], first: tuple, qkv: list,
        temperature: float, top_k: int | None, top_p: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes ``[rows, L]`` and ``ê`` of one tile of rows, every scale in turn."""
        batch, d_model = rows.stop - rows.start, self.head.in_features
        caches = [KVCache(batch, self.heads, self.sequence_length, d_model // self.heads, self.head.weight) for _ in self.blocks]
        e_hat, drawn = None, []
        for step, side in enumerate(self.scales):
            if step == 0:
                cumulative, keys_values = first
                cumulative = cumulative[:batch]
                for cache, (k, v) in zip(caches, keys_values):
                    cache.append(k[:batch], v[:batch])
            else:
                x = self._scale_inputs(step, e_hat, batch)
                for block, cache, weights in zip(self.blocks, caches, qkv):
                    x = self._block_step(block, x, cache, weights)  # attends to every cached (coarser) token and to itself
                cumulative = self._cumulative(x, temperature, top_k, top_p)
            u = uniforms[step][rows] * cumulative[..., -1:]
            # Inverse CDF: the first code whose cumulative mass exceeds u (zero-probability codes never).
            codes = torch.searchsorted(cumulative, u, right=True).clamp_(max=self.vocab_size - 1).squeeze(-1)
            drawn.append(codes)
            upsampled = self._upsampled(codes, side)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
        return torch.cat(drawn, 1), e_hat
