"""A non-autoregressive prior: an independent categorical over the codes at each position.

Arch-VQ's ablation (arch-vq.md section 6.1, Table 7, "VQ-VAE + Standard Prior") swaps the
autoregressive transformer for a prior that ignores the order of the sequence. This one is the
maximum-likelihood factorised model ``p(s) = prod_i p_i(s_i)``: each ``p_i`` is the frequency of
each code at position ``i`` in the training sequences (plus an optional Laplace pseudo-count), so it
keeps every per-position marginal of the data and none of the dependencies between positions.
Fitting is counting, sampling draws every position at once, and every draw is well formed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from archgen.generation import TokenSamplingOptions, validate_sampling
from archgen.protocols import EpochCallback
from archgen.runtime import Runtime


class IndependentPriorOptions(BaseModel):
    """Options of the ``independent`` prior.

    Attributes:
        vocab_size: Number of codes K (set by the generator from the quantizer).
        seq_len: Codes per sequence (set by the generator from the space).
        smoothing: Pseudo-count added to every code at every position (0: the
            empirical frequencies, so a code never seen at a position is never drawn there).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    vocab_size: int = Field(0, ge=0, le=1_048_576)
    seq_len: int = Field(0, ge=0, le=65_536)
    smoothing: float = Field(0.0, ge=0.0)


class IndependentPrior(nn.Module):
    """Per-position categorical over code indices, fitted by counting.

    The counts are a buffer, so the generator's checkpoint (``state_dict``) carries the model.

    Args:
        options: :class:`IndependentPriorOptions`; ``vocab_size`` and ``seq_len`` must be set.
    """

    Options: ClassVar[type[BaseModel]] = IndependentPriorOptions
    SamplingOptions: ClassVar[type[BaseModel]] = TokenSamplingOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {}  # counting needs no size knobs

    def __init__(self, options: IndependentPriorOptions | None = None):
        super().__init__()
        self.options = o = options or IndependentPriorOptions()
        if o.vocab_size <= 0 or o.seq_len <= 0:
            raise ValueError("IndependentPrior needs vocab_size and seq_len > 0 (set by the generator)")
        self.register_buffer("counts", torch.zeros(o.seq_len, o.vocab_size, dtype=torch.float64))

    @property
    def device(self) -> torch.device:
        return self.counts.device

    def probabilities(self) -> torch.Tensor:
        """``[L, K]`` per-position code probabilities (uniform at a position with no data)."""
        weights = self.counts + self.options.smoothing
        totals = weights.sum(-1, keepdim=True)
        uniform = torch.full_like(weights, 1.0 / self.options.vocab_size)
        return torch.where(totals > 0, weights / totals.clamp(min=1e-300), uniform)

    def fit(
        self,
        sequences: torch.Tensor,
        *,
        epochs: int = 1,
        seed: int = 0,
        runtime: Runtime | None = None,
        callbacks: Sequence[EpochCallback] = (),
    ) -> dict[str, float]:
        """Counts the codes at each position of ``[M, L]`` sequences (replacing earlier counts).

        Args:
            sequences: Code indices, one row per architecture.
            epochs: Ignored (counting is exact in one pass); kept for the Prior protocol.
            seed: Ignored (nothing is random).
            runtime: Only its rank is read: callbacks fire on rank 0. Every rank sees every
                sequence (the generator hands each the whole training set), so the counts agree.
            callbacks: Called on rank 0 as ``("prior", 1, {"loss": ...})`` once fitted.

        Returns:
            ``loss``: the mean per-position negative log-likelihood (nats) of ``sequences``.

        Raises:
            ValueError: If ``sequences`` is not ``[M, seq_len]`` or holds codes outside ``0..vocab_size-1``.
        """
        o = self.options
        codes = torch.as_tensor(sequences, dtype=torch.long).cpu()
        if codes.ndim != 2 or codes.shape[1] != o.seq_len:
            raise ValueError(f"IndependentPrior.fit: expected [M, {o.seq_len}] codes, got {tuple(codes.shape)}")
        if len(codes) and (codes.min() < 0 or codes.max() >= o.vocab_size):
            raise ValueError(f"IndependentPrior.fit: codes must lie in 0..{o.vocab_size - 1}")
        counts = torch.zeros(o.seq_len, o.vocab_size, dtype=torch.float64)
        counts.scatter_add_(1, codes.T.contiguous(), torch.ones(codes.T.shape, dtype=torch.float64))
        self.counts.copy_(counts.to(self.device))
        loss = self._nll(codes) if len(codes) else float("nan")
        logs = {"loss": loss}
        if runtime is None or runtime.is_main:
            for callback in callbacks:
                callback("prior", 1, logs)
        return logs

    def _nll(self, codes: torch.Tensor) -> float:
        log_p = self.probabilities().cpu().clamp(min=1e-300).log()
        picked = log_p.gather(1, codes.T.contiguous())  # [L, M]
        return float(-picked.mean())

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0, **sampling: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences, each position independently.

        Args:
            n: Sequences to draw.
            seed: Seed of the draws.
            **sampling: :class:`archgen.generation.TokenSamplingOptions`: ``temperature`` divides
                the log-probabilities, ``top_k`` / ``top_p`` keep the head of each position's distribution.

        Returns:
            ``(codes [n, L], well_formed [n])``; every draw is well formed.

        Raises:
            ConfigError: For sampling options that do not validate.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling)
        logits = self.probabilities().cpu().float().clamp(min=1e-30).log()
        logits = torch.where(self.probabilities().cpu() > 0, logits, torch.full_like(logits, -math.inf)) / knobs.temperature
        if knobs.top_k is not None and knobs.top_k < logits.shape[-1]:
            kth = torch.topk(logits, knobs.top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, -math.inf)
        if knobs.top_p is not None:
            logits = _nucleus(logits, knobs.top_p)
        generator = torch.Generator().manual_seed(int(seed))
        probabilities = torch.softmax(logits, -1)
        # multinomial draws per row: [L, n] -> [n, L].
        codes = torch.multinomial(probabilities, n, replacement=True, generator=generator).T.contiguous() if n else (
            torch.empty(0, self.options.seq_len, dtype=torch.long)
        )
        return codes.long(), torch.ones(n, dtype=torch.bool)


def _nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keeps, per row, the smallest set of most likely codes whose mass reaches ``top_p``."""
    ordered, order = torch.sort(logits, descending=True, dim=-1)
    mass = torch.softmax(ordered, -1).cumsum(-1)
    # A code is dropped when the codes before it already hold top_p; the first is always kept.
    drop = (mass - torch.softmax(ordered, -1)) >= top_p
    ordered = ordered.masked_fill(drop, -math.inf)
    return torch.full_like(logits, -math.inf).scatter(-1, order, ordered)
