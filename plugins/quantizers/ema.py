"""Vector quantizer with EMA codebook updates (arch-vq.md 3.1.3 and 3.2, eqs. 2, 3, 6-8).

Nearest-codebook lookup, straight-through gradients, the commitment loss
``beta * ||z_e - sg[e]||²``, and codebook vectors updated as exponential
moving averages ``e_i = m_i / N_i`` of the encoder outputs assigned to them
(van den Oord et al., 2017, appendix A.1), with Laplace smoothing of ``N_i``.

Dead codes -- vectors that have not been chosen for a while -- are restarted
at random encoder outputs of the current batch (Dhariwal et al., 2020,
Jukebox); the number of restarts is kept in ``restarts`` so runs report it.

Data parallelism: each rank's per-batch cluster counts and sums are summed
over all ranks before the EMA update (DDP must run with
``broadcast_buffers=False``, or rank 0's buffers would overwrite the others'),
so every rank applies the update the whole global batch implies and the
codebooks stay identical; restart vectors are rank 0's. The codebook and its
statistics stay fp32 under autocast: distances and sums are computed with
autocast off, since a bf16 argmin or EMA sum would lose the small updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from archgen.training.distributed import all_reduce_sum_, broadcast_


class EMAQuantizerOptions(BaseModel):
    """Options of the ``ema`` quantizer.

    Attributes:
        codebook_size: K, the number of codes (paper: 512).
        dim: D, the code dimension (paper: 16).
        beta: Commitment weight (paper: 0.25).
        decay: EMA decay gamma (paper: 0.99).
        epsilon: Laplace smoothing of the cluster sizes.
        dead_code_threshold: A code whose EMA usage count falls below this is
            restarted at a random encoder output; 0 disables restarts.
    """

    # nan/inf would silently poison the codebook (every distance nan, argmin 0), so they fail here.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    codebook_size: int = Field(512, ge=2, le=1_048_576)
    dim: int = Field(16, ge=1, le=65_536)
    beta: float = Field(0.25, ge=0.0)
    decay: float = Field(0.99, gt=0.0, lt=1.0)
    epsilon: float = Field(1e-5, gt=0.0)
    dead_code_threshold: float = Field(1e-3, ge=0.0)


@dataclass
class Quantized:
    """Output of :class:`EMAQuantizer`.

    Attributes:
        z_q: Quantized vectors with straight-through gradients to ``z_e``.
        indices: Chosen code per vector.
        loss: Commitment loss (the codebook itself learns by EMA).
        perplexity: ``exp`` of the entropy of code usage in the batch.
    """

    z_q: torch.Tensor
    indices: torch.Tensor
    loss: torch.Tensor
    perplexity: torch.Tensor


class EMAQuantizer(nn.Module):
    """EMA vector quantizer.

    Args:
        options: :class:`EMAQuantizerOptions`.
    """

    Options: ClassVar[type[BaseModel]] = EMAQuantizerOptions

    def __init__(self, options: EMAQuantizerOptions | None = None):
        super().__init__()
        self.options = options or EMAQuantizerOptions()
        self.codebook_size, self.dim = self.options.codebook_size, self.options.dim
        embedding = torch.randn(self.codebook_size, self.dim)
        self.register_buffer("embedding", embedding)
        self.register_buffer("cluster_size", torch.ones(self.codebook_size))
        self.register_buffer("embedding_sum", embedding.clone())
        self.register_buffer("restarts", torch.zeros((), dtype=torch.long))

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codebook vectors for ``indices``."""
        return F.embedding(indices, self.embedding)

    def nearest(self, z_e: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code (L2) for every vector of ``[..., dim]`` (in fp32, even under autocast)."""
        with torch.autocast(z_e.device.type, enabled=False):
            flat = z_e.reshape(-1, self.dim).float()
            # ||z - e||² = ||z||² - 2 z·e + ||e||²; the first term is the same for every code, so
            # the argmin needs only ||e||² - 2 z·e: one fused addmm instead of three [B·N, K] passes.
            distances = torch.addmm(self.embedding.pow(2).sum(1)[None, :], flat, self.embedding.t(), alpha=-2.0)
        return distances.argmin(1).reshape(z_e.shape[:-1])

    def forward(self, z_e: torch.Tensor) -> Quantized:
        """Quantizes ``z_e`` (``[..., dim]``); updates the codebook when training.

        Under autocast ``z_e`` may arrive in bf16/fp16; quantization runs in fp32 and
        ``z_q`` is fp32 (gradients flow back to ``z_e`` through the cast).
        """
        with torch.autocast(z_e.device.type, enabled=False):
            z = z_e.float()
            indices = self.nearest(z.detach())
            if self.training:
                self._update(z.detach().reshape(-1, self.dim), indices.reshape(-1))
            quantized = self.lookup(indices)
            loss = self.options.beta * F.mse_loss(z, quantized.detach())
            usage = torch.bincount(indices.reshape(-1), minlength=self.codebook_size).float()
            probabilities = usage / usage.sum()
            perplexity = torch.exp(-(probabilities * torch.log(probabilities + 1e-10)).sum())
            z_q = z + (quantized - z).detach()
        return Quantized(z_q, indices, loss, perplexity)

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, indices: torch.Tensor) -> None:
        decay, eps, k = self.options.decay, self.options.epsilon, self.codebook_size
        one_hot = F.one_hot(indices, k).type(flat.dtype)
        counts, sums = one_hot.sum(0), one_hot.t() @ flat
        # Counts and sums are additive over the global batch: summing them over ranks gives
        # every rank the update one process would make on all ranks' vectors.
        all_reduce_sum_(counts, sums)
        self.cluster_size.mul_(decay).add_(counts, alpha=1 - decay)
        self.embedding_sum.mul_(decay).add_(sums, alpha=1 - decay)
        total = self.cluster_size.sum()
        smoothed = (self.cluster_size + eps) / (total + k * eps) * total
        self.embedding.copy_(self.embedding_sum / smoothed.unsqueeze(1))
        if self.options.dead_code_threshold > 0:
            dead = self.cluster_size < self.options.dead_code_threshold
            # Restart dead codes at encoder outputs of this batch so every code stays reachable.
            # One candidate per code and a masked select, not ``int(dead.sum())`` picks: asking the
            # host how many codes died would stall a GPU once per step.
            picks = torch.randint(0, flat.shape[0], (k,), device=flat.device)
            restart = flat[picks]
            # Every rank has the same dead codes (the statistics are all-reduced) but its own
            # batch; rank 0's candidates keep the codebooks identical.
            broadcast_(restart)
            column = dead.unsqueeze(1)
            self.embedding.copy_(torch.where(column, restart, self.embedding))
            self.embedding_sum.copy_(torch.where(column, restart, self.embedding_sum))
            self.cluster_size.masked_fill_(dead, 1.0)
            self.restarts.add_(dead.sum())
