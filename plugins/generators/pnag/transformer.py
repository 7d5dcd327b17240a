"""The next-scale transformer: a decoder-only model over whole scales, block-causal.

pnag.md's stage 2 (and issue 12): tokens are the MSQ code maps of every scale, coarsest first;
the tokens of scale ``k`` are predicted *together* from every coarser scale. As in VAR (Tian et
al. 2024), the input at each position of scale ``k`` is not a code but the partial reconstruction
``ê_{k-1}`` (the codes of scales ``< k`` interpolated to ``N x N`` and summed) region-averaged to
``n_k x n_k`` and projected to the model width, plus a position and a scale embedding; the first
scale's inputs are a learned start vector. Attention is block-causal: a token sees every token of
its own and coarser scales, never a finer one. Sampling therefore needs one forward pass per scale
(with a key/value cache), each drawing all ``n(n+1)/2`` tokens of the scale (the upper triangle of
its symmetric map, see :mod:`~archgen.plugins.generators.pnag.msq`) at once.

Optionally the finest ``sequential_scales`` scales are drawn one token at a time instead, in the
order :func:`~archgen.plugins.generators.pnag.msq.upper_positions` lists them (docs/pnag.md, decision 16a):
inside such a scale attention is causal and each position's input also carries the embedding of the
previous token of the scale, so the scale's tokens are drawn from their joint distribution rather
than independently. A parallel draw cannot keep a rule that ties a scale's tokens together (DARTS's
one input per node); the price is one forward pass per token of those scales.

The sampler is built for throughput without changing a drawn token (``tests/plugins/generators/pnag/
test_sampling_speed_paths.py`` compares it with the plain loop bit for bit): on the CPU, rows go
through the scales in tiles of :data:`SAMPLE_TILE`, so that a tile's activations and key/value
cache stay in the core's cache (a 2,048-row batch streams ~40 MB per scale through memory and ran
at half the speed); the generator's numbers are still drawn scale by scale for the whole batch, in the order
and shapes the plain loop draws them; the first scale, whose inputs are the same learned vectors
for every row, is computed once and shared by every tile; and where ``head_dim ** -0.5`` is a
power of two the attention scale is folded into the query weights, which scales every product
and partial sum by the same power of two and so rounds exactly as scaling the scores would.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from archgen.nn import KVCache, TransformerBlock, filter_logits, init_weights
from archgen.plugins.generators.pnag.msq import interpolate, region_average, upper_positions

# Rows per sampling tile on the CPU (other devices take a whole batch at once). At 64 rows NB201's largest temporaries (last scale's attention weights, the
# MLP's hidden layer) stay near 1-2 MB: larger tiles make glibc hand their pages back and fault them in
# again, and whole chunks stream through memory (docs/results/pnag.md, "Sampling speed").
SAMPLE_TILE = 64
# Rows per tile where some scale is drawn token by token: each of those forward passes is a single
# position, so per-op overhead dominates at small tiles and a large tile leaves the core's cache
# (tile sizes timed in docs/results/pnag.md, "Sampling DARTS").
SEQUENTIAL_SAMPLE_TILE = 256


class SamplingWeights(NamedTuple):
    """One block's tensors as :meth:`NextScaleTransformer._block_step` reads them."""

    norm1: tuple[tuple[int, ...], torch.Tensor, torch.Tensor, float]
    qkv_weight: torch.Tensor
    qkv_bias: torch.Tensor
    proj_weight: torch.Tensor
    proj_bias: torch.Tensor
    norm2: tuple[tuple[int, ...], torch.Tensor, torch.Tensor, float]
    fc1_weight: torch.Tensor
    fc1_bias: torch.Tensor
    approximate: str
    fc2_weight: torch.Tensor
    fc2_bias: torch.Tensor


class NextScaleTransformer(nn.Module):
    """Predicts each scale's code map from the coarser ones.

    Args:
        codebook: The MSQ codebook ``[V, C]`` (kept as a frozen buffer: the inputs are built from it).
        scales: Token-map sides, coarsest first; the last is ``N``.
        d_model: Width of the residual stream.
        layers: Transformer blocks.
        heads: Attention heads.
        dropout: Dropout while training.
        attention_dropout: Dropout on the attention weights while training (``None``: ``dropout``).
        sequential_scales: How many of the finest scales are drawn token by token (0: every scale
            in one pass, VAR's parallel draw).

    Raises:
        ValueError: If ``sequential_scales`` is negative or more than there are scales.
    """

    def __init__(
        self, codebook: torch.Tensor, scales: Sequence[int], d_model: int, layers: int, heads: int, dropout: float,
        attention_dropout: float | None = None, sequential_scales: int = 0,
    ):
        super().__init__()
        if not 0 <= sequential_scales <= len(scales):
            raise ValueError(f"sequential_scales must be 0..{len(scales)} (the number of scales {list(scales)}), got {sequential_scales}")
        self.scales, self.size = list(scales), scales[-1]
        self.vocab_size, channels = codebook.shape
        self.register_buffer("codebook", codebook.detach().clone())
        lengths = [n * (n + 1) // 2 for n in self.scales]
        self.lengths, self.offsets = lengths, [sum(lengths[:i]) for i in range(len(lengths))]
        self.heads = heads
        self.sequence_length = sum(lengths)
        levels = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
        self.register_buffer("levels", levels, persistent=False)
        self.sequential = [step >= len(self.scales) - sequential_scales for step in range(len(self.scales))]
        # True = may attend: every key of a coarser scale, and of the same scale -- only the earlier
        # ones and itself where that scale is drawn token by token.
        position = torch.arange(self.sequence_length)
        later_key_in_sequential_scale = torch.tensor(self.sequential)[levels][:, None] & (position[:, None] < position[None, :])
        mask = (levels[:, None] > levels[None, :]) | ((levels[:, None] == levels[None, :]) & ~later_key_in_sequential_scale)
        self.register_buffer("mask", mask, persistent=False)
        # Per scale, as gathers built once rather than index pairs built per call: the upper-triangle
        # cells of its n x n map (row by row, as msq.tokens_of reads them) and, for every cell, the
        # token it holds in the symmetric code map (as msq.map_of writes it).
        upper_cells, cell_tokens = [], []
        for n, length in zip(self.scales, lengths):
            rows, cols = upper_positions(n)
            token = torch.empty(n, n, dtype=torch.long)
            token[rows, cols] = token[cols, rows] = torch.arange(length)
            upper_cells.append(rows * n + cols)
            cell_tokens.append(token.flatten())
        self.cell_offsets = [sum(n * n for n in self.scales[:i]) for i in range(len(self.scales))]
        self.register_buffer("upper_cells", torch.cat(upper_cells), persistent=False)
        self.register_buffer("cell_tokens", torch.cat(cell_tokens), persistent=False)
        self.start = nn.Parameter(torch.zeros(1, 1, d_model))
        self.feature_in = nn.Linear(channels, d_model)
        self.position = nn.Embedding(self.sequence_length, d_model)
        self.level = nn.Embedding(len(self.scales), d_model)
        # Only a model with sequential scales has it, so older checkpoints load unchanged.
        self.previous_token = nn.Embedding(self.vocab_size, d_model) if sequential_scales else None
        self.blocks = nn.ModuleList(TransformerBlock(d_model, heads, dropout, attention_dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, self.vocab_size)
        self.apply(init_weights)


    def _upsampled(self, tokens: torch.Tensor, step: int) -> torch.Tensor:
        """Scale ``step``'s tokens ``[B, n(n+1)/2]`` as their ``[B, C, N, N]`` contribution to ``ê``."""
        n, start = self.scales[step], self.cell_offsets[step]
        code_map = tokens[:, self.cell_tokens[start : start + n * n]]  # msq.map_of(tokens, n), flattened
        return interpolate(F.embedding(code_map, self.codebook).view(-1, n, n, self.codebook.shape[1]).permute(0, 3, 1, 2), self.size)

    def _scale_inputs(self, step: int, e_hat: torch.Tensor | None, batch: int) -> torch.Tensor:
        n, length, start = self.scales[step], self.lengths[step], self.offsets[step]
        if step == 0:
            x = self.start.expand(batch, length, -1)
        else:
            cells = self.upper_cells[start : start + length]  # the upper triangle's cells, row by row
            x = self.feature_in(region_average(e_hat, n).flatten(2)[:, :, cells].transpose(1, 2))
        return x + self.position.weight[start : start + length] + self.level.weight[step]

    def inputs(self, codes: torch.Tensor) -> torch.Tensor:
        """Teacher-forced inputs ``[B, L, d]`` of code sequences ``[B, L]``."""
        pieces, e_hat = [], None
        for step, (length, start) in enumerate(zip(self.lengths, self.offsets)):
            x = self._scale_inputs(step, e_hat, codes.shape[0])
            if self.sequential[step]:  # position i also reads token i - 1 of its scale
                x = torch.cat([x[:, :1], x[:, 1:] + self.previous_token(codes[:, start : start + length - 1])], 1)
            pieces.append(x)
            upsampled = self._upsampled(codes[:, start : start + length], step)
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
        self, n: int, *, temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator,
        workers: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` code sequences and the feature maps they accumulate to.

        Args:
            n: Sequences to draw.
            temperature: Divides the logits.
            top_k: Keep the ``k`` most likely codes of each token (``None``: all).
            top_p: Nucleus filter of each token (``None``: off).
            generator: Source of the draws; ``n * L`` uniform numbers are taken from it, scale by
                scale.
            workers: Threads the CPU tiles are split among (the draws do not depend on it).

        Returns:
            The codes ``[n, L]`` and ``ê`` ``[n, C, N, N]``, the sum of every scale's code map
            interpolated to ``N x N`` (what :meth:`MultiScaleQuantizer.accumulate` gives for the
            same codes and codebook).
        """
        device = self.head.weight.device
        # One uniform number per token, drawn scale by scale for all n rows as the inverse-CDF sampler
        # (archgen.nn.token_sampling.sample_tokens) draws them: the tiles below only read them.
        uniforms = [torch.rand((n, length, 1), generator=generator, device=device) for length in self.lengths]
        codes = torch.empty(n, self.sequence_length, dtype=torch.long, device=device)
        e_hat = self.codebook.new_empty(n, self.codebook.shape[1], self.size, self.size)
        if n == 0:
            return codes, e_hat
        weights = [self._sampling_weights(block) for block in self.blocks]
        # Tiles are for a CPU core's caches; an accelerator wants the whole batch in each launch.
        tile = min(n, SEQUENTIAL_SAMPLE_TILE if any(self.sequential) else SAMPLE_TILE) if device.type == "cpu" else n
        first = None if self.sequential[0] else self._first_scale(tile, weights, temperature, top_k, top_p)
        d_model = self.head.in_features

        @torch.no_grad()  # grad mode is per thread: draw()'s own no_grad does not reach the workers
        def draw_tiles(starts: range) -> None:
            # One set of caches for every full tile: allocating and freeing ~4 MB per tile made glibc
            # hand the pages back and fault them in again each time.
            caches = [KVCache(tile, self.heads, self.sequence_length, d_model // self.heads, self.head.weight) for _ in self.blocks]
            for start in starts:
                rows = slice(start, min(start + tile, n))
                if rows.stop - rows.start < tile:  # the last, partial tile
                    caches = [KVCache(rows.stop - rows.start, self.heads, self.sequence_length, d_model // self.heads, self.head.weight)
                              for _ in self.blocks]
                for cache in caches:
                    cache.filled = 0
                codes[rows], e_hat[rows] = self._draw_tile(rows, uniforms, first, weights, caches, temperature, top_k, top_p)

        # Tiles share nothing but read-only inputs (the uniforms are drawn above, the first scale is
        # computed once) and write disjoint rows, so any split of them among threads draws the same
        # tokens; torch releases the GIL inside each op, so the threads run on separate cores.
        tiles = range(0, n, tile)
        workers = max(1, min(workers, len(tiles)))
        if workers == 1:
            draw_tiles(tiles)
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="pnag-sampler") as pool:
                for finished in [pool.submit(draw_tiles, tiles[i::workers]) for i in range(workers)]:
                    finished.result()  # re-raises a worker's exception here
        return codes, e_hat

    @torch.no_grad()
    def draw_selected(
        self, n: int, candidates: int, select: Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor], *,
        temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator, complete: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences, keeping after every scale one of ``candidates`` continuations of each.

        Each sample is a group of ``candidates`` rows sharing its coarser scales. After a scale is
        drawn for every row, ``select`` picks one row per group, and that row's codes, ``ê`` and
        key/value caches are copied to the whole group, which draws the next scale from there.
        After the last scale the picked row is the sample.

        Args:
            n: Sequences to draw.
            candidates: Rows per sample (1: the plain draw).
            select: ``(step, codes [n * candidates, L_step], ê [n * candidates, C, N, N]) -> [n]``,
                the row to keep within each group (``0 .. candidates - 1``); ``codes`` holds every
                scale up to ``step``, and ``ê`` is their partial map -- or, with ``complete``, the
                map of their greedy completion.
            complete: Before each selection but the last, complete every row greedily (the most
                likely code of each remaining token, drawing nothing from ``generator``) and show
                ``select`` the completed map, so that it judges where a prefix leads.
            temperature: Divides the logits.
            top_k: Keep the ``k`` most likely codes of each token (``None``: all).
            top_p: Nucleus filter of each token (``None``: off).
            generator: Source of the draws; per scale, one uniform number per token of every row.

        Returns:
            The codes ``[n, L]`` and ``ê`` ``[n, C, N, N]`` of the kept rows.
        """
        device = self.head.weight.device
        rows = n * candidates
        codes = torch.empty(rows, 0, dtype=torch.long, device=device)
        e_hat = None
        d_model = self.head.in_features
        weights = [self._sampling_weights(block) for block in self.blocks]
        caches = [KVCache(rows, self.heads, self.sequence_length, d_model // self.heads, self.head.weight) for _ in self.blocks]
        groups = torch.arange(n, device=device) * candidates
        last = len(self.scales) - 1
        for step, length in enumerate(self.lengths):
            uniforms = torch.rand((rows, length, 1), generator=generator, device=device)
            drawn = self._scale_codes(step, e_hat, rows, uniforms, weights, caches, temperature, top_k, top_p)
            codes = torch.cat([codes, drawn], 1)
            upsampled = self._upsampled(drawn, step)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
            if candidates == 1 or rows == 0:
                continue
            seen = e_hat
            if complete and step < last:
                seen = self._greedy_completion(step, e_hat, weights, caches, temperature, top_k, top_p)
            chosen = torch.as_tensor(select(step, codes, seen), dtype=torch.long, device=device)
            if chosen.shape != (n,) or bool(((chosen < 0) | (chosen >= candidates)).any()):
                raise ValueError(f"select must return {n} rows in 0..{candidates - 1}, got {chosen.tolist()[:8]}")
            kept = (groups + chosen).repeat_interleave(candidates)
            codes, e_hat = codes[kept], e_hat[kept]
            for cache in caches:
                cache.keys[:, :, : cache.filled] = cache.keys[kept, :, : cache.filled]
                cache.values[:, :, : cache.filled] = cache.values[kept, :, : cache.filled]
        if e_hat is None:
            e_hat = self.codebook.new_zeros(rows, self.codebook.shape[1], self.size, self.size)
        return codes[groups], e_hat[groups]

    def folded_query_scale(self) -> bool:
        """Whether the attention scale ``head_dim ** -0.5`` is a power of two (``head_dim`` a power of 4).

        Only then does moving it into the query weights give the very same scores: multiplying by a
        power of two is exact, so it commutes with every rounding of the matrix products.
        """
        head_dim = self.head.in_features // self.heads
        return math.log2(head_dim) % 2 == 0

    def _sampling_weights(self, block: TransformerBlock) -> SamplingWeights | None:
        """The block's tensors for :meth:`_block_step`, queries pre-scaled; None where only ``block.forward`` is exact.

        None unless the scale folds exactly (:meth:`folded_query_scale`) and the block is the
        pre-norm LayerNorm / qkv / proj / Linear-GELU-Linear block this step re-implements.
        """
        mlp = list(block.mlp)
        kinds = [type(module) for module in (block.norm1, block.qkv, block.proj, block.norm2, *mlp)]
        if not self.folded_query_scale() or kinds != [nn.LayerNorm, nn.Linear, nn.Linear, nn.LayerNorm, nn.Linear, nn.GELU, nn.Linear]:
            return None
        d_model = self.head.in_features
        scale = torch.ones(3 * d_model, dtype=block.qkv.weight.dtype, device=block.qkv.weight.device)
        scale[:d_model] = (d_model // self.heads) ** -0.5
        norm1, norm2 = ((norm.normalized_shape, norm.weight, norm.bias, norm.eps) for norm in (block.norm1, block.norm2))
        return SamplingWeights(
            norm1, block.qkv.weight * scale[:, None], block.qkv.bias * scale, block.proj.weight, block.proj.bias,
            norm2, mlp[0].weight, mlp[0].bias, mlp[1].approximate, mlp[2].weight, mlp[2].bias,
        )

    def _block_step(self, block: TransformerBlock, x: torch.Tensor, cache: KVCache, weights: SamplingWeights | None) -> torch.Tensor:
        """``block(x, cache)`` in eval mode: the same operations on the same shapes, the query scale pre-folded.

        Functional calls and explicit ``bmm`` (what ``@`` runs on these shapes) instead of module calls:
        at 64-row tiles the per-call overhead was a tenth of the sampling time.
        """
        if weights is None or block.training:  # dropout only exists in block.forward
            return block(x, cache)
        w = weights
        batch, length, d_model = x.shape
        hidden = F.layer_norm(x, *w.norm1)
        q, k, v = F.linear(hidden, w.qkv_weight, w.qkv_bias).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        k, v = cache.append(k, v)
        head_dim = d_model // self.heads
        scores = torch.bmm(q.reshape(-1, length, head_dim), k.reshape(-1, cache.filled, head_dim).transpose(1, 2))
        attended = torch.bmm(torch.softmax(scores, dim=-1), v.reshape(-1, cache.filled, head_dim))
        attended = attended.view(batch, self.heads, length, head_dim).transpose(1, 2).reshape(batch, length, d_model)
        x = x + F.linear(attended, w.proj_weight, w.proj_bias)
        hidden = F.layer_norm(x, *w.norm2)
        hidden = F.gelu(F.linear(hidden, w.fc1_weight, w.fc1_bias), approximate=w.approximate)
        return x + F.linear(hidden, w.fc2_weight, w.fc2_bias)

    def _cumulative(self, x: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None) -> torch.Tensor:
        """The cumulative code probabilities ``[B, T, V]`` of a scale's final hidden states."""
        hidden = F.layer_norm(x, self.norm.normalized_shape, self.norm.weight, self.norm.bias, self.norm.eps)
        logits = F.linear(hidden, self.head.weight, self.head.bias).float()
        if temperature != 1.0:  # x / 1.0 is x: skip a pass over B x T x V
            logits = logits / temperature
        return torch.softmax(filter_logits(logits, top_k, top_p), -1).cumsum(-1)

    def _first_scale(
        self, batch: int, weights: list[SamplingWeights | None], temperature: float, top_k: int | None, top_p: float | None
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """The first scale's cumulative probabilities and per-block keys and values, for ``batch`` (identical) rows."""
        d_model = self.head.in_features
        caches = [KVCache(batch, self.heads, self.lengths[0], d_model // self.heads, self.head.weight) for _ in self.blocks]
        x = self._scale_inputs(0, None, batch)
        for block, cache, block_weights in zip(self.blocks, caches, weights):
            x = self._block_step(block, x, cache, block_weights)
        return self._cumulative(x, temperature, top_k, top_p), [(cache.keys, cache.values) for cache in caches]

    def _draw_tile(
        self, rows: slice, uniforms: list[torch.Tensor], first: tuple, weights: list[SamplingWeights | None], caches: list[KVCache],
        temperature: float, top_k: int | None, top_p: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes ``[rows, L]`` and ``ê`` of one tile of rows, every scale in turn, into empty ``caches``."""
        batch = rows.stop - rows.start
        e_hat, drawn = None, []
        for step in range(len(self.scales)):
            if step == 0 and not self.sequential[0]:  # computed once for every tile: the same start token
                cumulative, keys_values = first
                for cache, (k, v) in zip(caches, keys_values):
                    cache.append(k[:batch], v[:batch])
                codes = self._inverse_cdf(cumulative[:batch], uniforms[0][rows])
            else:
                codes = self._scale_codes(step, e_hat, batch, uniforms[step][rows], weights, caches, temperature, top_k, top_p)
            drawn.append(codes)
            upsampled = self._upsampled(codes, step)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
        return torch.cat(drawn, 1), e_hat

    def _scale_codes(
        self, step: int, e_hat: torch.Tensor | None, batch: int, uniforms: torch.Tensor | None,
        weights: list[SamplingWeights | None], caches: list[KVCache], temperature: float, top_k: int | None, top_p: float | None,
    ) -> torch.Tensor:
        """Scale ``step``'s tokens ``[batch, n(n+1)/2]`` appended to ``caches``: drawn by ``uniforms``, or the most likely (None)."""
        if self.sequential[step]:
            return self._draw_sequential_scale(step, e_hat, batch, uniforms, weights, caches, temperature, top_k, top_p)
        x = self._scale_inputs(step, e_hat, batch)
        for block, cache, block_weights in zip(self.blocks, caches, weights):
            x = self._block_step(block, x, cache, block_weights)
        return self._pick(self._cumulative(x, temperature, top_k, top_p), uniforms)

    def _greedy_completion(
        self, step: int, e_hat: torch.Tensor, weights: list[SamplingWeights | None], caches: list[KVCache],
        temperature: float, top_k: int | None, top_p: float | None,
    ) -> torch.Tensor:
        """``ê`` of every row completed from scale ``step + 1`` on with the most likely codes; the caches are left as found.

        The completion writes its keys and values past ``filled`` -- where the real continuation
        will write its own -- and ``filled`` is put back, so nothing is copied.
        """
        filled = [cache.filled for cache in caches]
        completed = e_hat
        for later in range(step + 1, len(self.scales)):
            codes = self._scale_codes(later, completed, e_hat.shape[0], None, weights, caches, temperature, top_k, top_p)
            completed = completed + self._upsampled(codes, later)
        for cache, count in zip(caches, filled):
            cache.filled = count
        return completed

    def _pick(self, cumulative: torch.Tensor, uniforms: torch.Tensor | None) -> torch.Tensor:
        """:meth:`_inverse_cdf` of ``uniforms``, or with None the most likely code (the first of equals)."""
        if uniforms is not None:
            return self._inverse_cdf(cumulative, uniforms)
        probabilities = torch.diff(cumulative, dim=-1, prepend=torch.zeros_like(cumulative[..., :1]))
        return probabilities.argmax(-1)

    def _inverse_cdf(self, cumulative: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
        """The first code whose cumulative mass exceeds ``u`` (zero-probability codes never)."""
        u = uniforms * cumulative[..., -1:]
        return torch.searchsorted(cumulative, u, right=True).clamp_(max=self.vocab_size - 1).squeeze(-1)

    def _draw_sequential_scale(
        self, step: int, e_hat: torch.Tensor | None, batch: int, uniforms: torch.Tensor | None, weights: list[SamplingWeights | None],
        caches: list[KVCache], temperature: float, top_k: int | None, top_p: float | None,
    ) -> torch.Tensor:
        """Scale ``step``'s tokens ``[batch, n(n+1)/2]``, one forward pass per token (``uniforms`` None: the most likely).

        Each pass appends one position to the caches and attends to all of them -- every coarser
        token and the earlier ones of this scale -- which is the causal mask :meth:`forward` uses.
        """
        scale_inputs = self._scale_inputs(step, e_hat, batch)
        codes = torch.empty(batch, self.lengths[step], dtype=torch.long, device=self.head.weight.device)
        for index in range(self.lengths[step]):
            x = scale_inputs[:, index : index + 1]
            if index:
                x = x + self.previous_token(codes[:, index - 1 : index])
            for block, cache, block_weights in zip(self.blocks, caches, weights):
                x = self._block_step(block, x, cache, block_weights)
            drawn = None if uniforms is None else uniforms[:, index : index + 1]
            codes[:, index : index + 1] = self._pick(self._cumulative(x, temperature, top_k, top_p), drawn)
        return codes
