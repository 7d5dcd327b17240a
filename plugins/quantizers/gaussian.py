"""A Gaussian "quantizer": arch2vec's continuous VAE latent in the quantizer slot (Yan et al., 2020).

Composed with the ``gin`` encoder and the inner-product decoder of ``arch_vq``, it turns the VQ-VAE
into arch2vec's VAE: per node, linear maps give a mean ``mu`` and a log-variance, the decoder reads
the reparameterised sample ``z = mu + sigma * eps`` while training (``mu`` in eval mode), and the
loss term is the KL divergence to the standard normal, ``-1/2 sum(1 + log sigma² - mu² - sigma²)``
averaged over nodes and weighted by ``kl_weight``. arch2vec's own loss divides that mean once more
by batch size x nodes (``VAEReconstructed_Loss``: ``-0.5 / (B * N) * mean(sum(...))``), against
reconstruction terms that are per-entry means; the default ``kl_weight = 0.004`` is that factor for
its batch of 32 and NB201's 8 nodes (1/256; 1/224 for NB101's 7). A weight near 1 swamps the
per-entry reconstruction loss and the posterior collapses (no cell reconstructs).

So that the same composition still has codes for a prior (the paper's "VAE + Transformer"
baseline) and for ``encode``/``decode_codes``, a codebook of ``codebook_size`` vectors tracks the
posterior means by the EMA k-means updates of :class:`~archgen.plugins.quantizers.ema.EMAQuantizer`
(no gradient reaches the VAE through it): ``indices`` are each mean's nearest codebook vector. The
continuous representation the arch2vec predictor reads is :meth:`GaussianQuantizer.mean`.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from archgen.plugins.quantizers.ema import EMAQuantizer, Quantized


class GaussianQuantizerOptions(BaseModel):
    """Options of the ``gaussian`` quantizer.

    Attributes:
        dim: Latent dimension per node (arch2vec: 16).
        kl_weight: Weight of the KL term (default: arch2vec's effective 1/(32 x 8), see the module doc).
        codebook_size: Vectors of the EMA k-means codebook over the means (codes for a prior).
        decay: EMA decay of that codebook.
        epsilon: Laplace smoothing of its cluster sizes.
        dead_code_threshold: Usage below which a codebook vector restarts at a mean; 0 disables.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    dim: int = Field(16, ge=1, le=65_536)
    kl_weight: float = Field(0.004, ge=0.0)
    codebook_size: int = Field(512, ge=2, le=1_048_576)
    decay: float = Field(0.99, gt=0.0, lt=1.0)
    epsilon: float = Field(1e-5, gt=0.0)
    dead_code_threshold: float = Field(1e-3, ge=0.0)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` summed over the last axis, averaged over the others."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)).mean()


class GaussianQuantizer(EMAQuantizer):
    """Reparameterised Gaussian latent per node, with an EMA k-means codebook over the means.

    Args:
        options: :class:`GaussianQuantizerOptions`.
    """

    Options: ClassVar[type[BaseModel]] = GaussianQuantizerOptions

    def __init__(self, options: GaussianQuantizerOptions | None = None):
        super().__init__(options or GaussianQuantizerOptions())  # type: ignore[arg-type]
        self.to_mu = nn.Linear(self.dim, self.dim)
        self.to_logvar = nn.Linear(self.dim, self.dim)

    def mean(self, z_e: torch.Tensor) -> torch.Tensor:
        """The posterior mean ``mu`` of every node (``[..., dim]``)."""
        return self.to_mu(z_e)

    def nearest(self, z_e: torch.Tensor) -> torch.Tensor:
        """The codebook vector nearest each node's mean (the encoder output ``z_e`` goes through ``to_mu``)."""
        return super().nearest(self.mean(z_e))

    def forward(self, z_e: torch.Tensor) -> Quantized:
        """``z_q`` = the reparameterised sample (the mean in eval mode), ``loss`` = ``kl_weight`` * KL."""
        with torch.autocast(z_e.device.type, enabled=False):
            z = z_e.float()
            mu, logvar = self.to_mu(z), self.to_logvar(z)
            sample = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
            indices = EMAQuantizer.nearest(self, mu.detach())
            if self.training:
                self._update(mu.detach().reshape(-1, self.dim), indices.reshape(-1))
            usage = torch.bincount(indices.reshape(-1), minlength=self.codebook_size).float()
            probabilities = usage / usage.sum()
            perplexity = torch.exp(-(probabilities * torch.log(probabilities + 1e-10)).sum())
            loss = self.options.kl_weight * gaussian_kl(mu, logvar)
        return Quantized(sample, indices, loss, perplexity)
