"""Multi-scale sub-architecture quantization (MSQ) with stepwise consistency constraints (SCC).

pnag.md, "Key Designs" 1 and 2. For each scale ``n`` in turn the *residual* of the feature map
(what the coarser scales have not yet explained) is region-averaged to ``n x n``
(``e'_{c,i,j} = mean over R_ij``), every position is replaced by its nearest code of one codebook
shared by all scales, and the code map is interpolated back to ``N x N`` and added to the running
reconstruction ``ê``. This is the residual scheme of VAR's multi-scale tokenizer (Tian et al. 2024,
``VectorQuantizer2``); the last scale is ``N`` itself, so pooling and interpolation are identities
there and the final codes can fix what the coarse ones left.

Losses (all mean squared errors over ``B x C x N x N``):

* ``||e - ê||`` of the final step: ``beta * ||e - sg(ê)||² + ||sg(e) - ê||²`` -- the encoder is
  pulled toward its codes (commitment) and the codebook toward the encoder (the codebook learns by
  gradient, not EMA, so that SCC can shape it: see docs/pnag.md);
* SCC: the same two terms on the partial reconstruction ``ê_t`` after each of the first
  ``scc_steps`` intermediate scales, averaged over those steps. With every step constrained this
  is exactly VAR's per-scale loss; with none only the final step is supervised (the paper's
  ablation baseline).

The decoder sees ``e + sg(ê - e)`` (straight-through): the reconstruction loss trains the encoder
through the quantizer.

Token maps are symmetric. Every archgen space orders nodes topologically, so an edge ``i -> j``
has ``i < j`` and the encoder's map is symmetric by construction (``e_ij = e_ji`` describes the
pair); region averaging and interpolation keep a symmetric map symmetric, so only the upper
triangle (diagonal included) of each ``n x n`` map is a token -- ``n(n+1)/2`` per scale instead of
``n²`` -- and the lower triangle is its mirror image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def region_average(feature: torch.Tensor, n: int) -> torch.Tensor:
    """``[B, C, N, N]`` to ``[B, C, n, n]``: each cell is the mean of its region (pnag.md's ``R_ij``)."""
    if feature.shape[-1] == n:
        return feature
    return F.adaptive_avg_pool2d(feature, n)


def interpolate(feature: torch.Tensor, size: int) -> torch.Tensor:
    """``[B, C, n, n]`` back to ``[B, C, size, size]`` by bilinear interpolation (pnag.md, SCC)."""
    if feature.shape[-1] == size:
        return feature
    return F.interpolate(feature, size=(size, size), mode="bilinear", align_corners=False)


def upper_positions(n: int, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of the upper triangle (diagonal included) of an ``n x n`` map, row by row."""
    rows, cols = torch.triu_indices(n, n, device=device)
    return rows, cols


def tokens_of(code_map: torch.Tensor) -> torch.Tensor:
    """The ``[B, n(n+1)/2]`` tokens (upper triangle, row by row) of a ``[B, n, n]`` code map."""
    rows, cols = upper_positions(code_map.shape[-1], code_map.device)
    return code_map[:, rows, cols]


def map_of(tokens: torch.Tensor, n: int) -> torch.Tensor:
    """The symmetric ``[B, n, n]`` code map of ``[B, n(n+1)/2]`` upper-triangle tokens."""
    rows, cols = upper_positions(n, tokens.device)
    code_map = tokens.new_zeros(tokens.shape[0], n, n)
    code_map[:, rows, cols] = tokens
    code_map[:, cols, rows] = tokens
    return code_map


@dataclass
class MSQOutput:
    """One pass of :class:`MultiScaleQuantizer` over a batch.

    Attributes:
        e_hat: Final reconstruction with straight-through gradients to ``e`` (``[B, C, N, N]``).
        indices: Per scale, the code map ``[B, n, n]``.
        final_loss: ``beta * ||e - sg(ê)||² + ||sg(e) - ê||²`` of the last step.
        scc_loss: The same terms averaged over the constrained intermediate steps (0 when none).
        deviations: Per scale, ``||e - ê_t||²`` (mean, detached): how far each partial
            reconstruction still is from ``e``.
    """

    e_hat: torch.Tensor
    indices: list[torch.Tensor]
    final_loss: torch.Tensor
    scc_loss: torch.Tensor
    deviations: list[torch.Tensor]


class MultiScaleQuantizer(nn.Module):
    """A codebook of ``codebook_size`` vectors of ``dim`` channels shared by every scale.

    Args:
        codebook_size: ``V``, the number of codes.
        dim: ``C``, channels of the feature map.
        scales: Side lengths of the token maps, increasing, the last one the map size ``N``.
        beta: Commitment weight.
    """

    def __init__(self, codebook_size: int, dim: int, scales: Sequence[int], beta: float):
        super().__init__()
        if list(scales) != sorted(set(scales)) or not scales:
            raise ValueError(f"scales must be strictly increasing, got {list(scales)}")
        self.codebook_size, self.dim, self.scales, self.beta = codebook_size, dim, list(scales), beta
        self.size = self.scales[-1]
        self.codebook = nn.Embedding(codebook_size, dim)
        # VAR's initialisation: small codes, so early partial sums do not overshoot e.
        nn.init.uniform_(self.codebook.weight, -1.0 / codebook_size, 1.0 / codebook_size)

    @property
    def sequence_length(self) -> int:
        """Tokens of one architecture over all scales (``sum n(n+1)/2``)."""
        return sum(n * (n + 1) // 2 for n in self.scales)

    def nearest(self, vectors: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code (L2) of each ``[..., C]`` vector, in fp32."""
        flat = vectors.reshape(-1, self.dim).float()
        weight = self.codebook.weight.float()
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ weight.t() + weight.pow(2).sum(1)[None, :]
        return distances.argmin(1).reshape(vectors.shape[:-1])

    def code_map(self, indices: torch.Tensor) -> torch.Tensor:
        """``[B, n, n]`` indices to the ``[B, C, n, n]`` map of their codes."""
        return self.codebook(indices).permute(0, 3, 1, 2)

    def forward(self, e: torch.Tensor, scc_steps: int) -> MSQOutput:
        """Quantizes ``e`` (``[B, C, N, N]``) scale by scale.

        Args:
            e: The encoder's feature map.
            scc_steps: How many intermediate steps (from the coarsest) SCC constrains;
                clipped to the ``len(scales) - 1`` there are.
        """
        with torch.autocast(e.device.type, enabled=False):
            e = e.float()
            target = e.detach()
            residual = target.clone()
            e_hat = torch.zeros_like(target)
            indices, deviations, scc_terms = [], [], []
            for step, n in enumerate(self.scales):
                # The upper triangle decides; mirroring it keeps float noise from breaking symmetry.
                codes = map_of(tokens_of(self.nearest(region_average(residual, n).permute(0, 2, 3, 1))), n)
                upsampled = interpolate(self.code_map(codes), self.size)
                e_hat = e_hat + upsampled
                residual = residual - upsampled.detach()
                indices.append(codes)
                deviations.append(F.mse_loss(e_hat.detach(), target))
                if step < len(self.scales) - 1 and step < scc_steps:
                    scc_terms.append(self._consistency(e, target, e_hat))
            final = self._consistency(e, target, e_hat)
            scc = torch.stack(scc_terms).mean() if scc_terms else final.new_zeros(())
            straight_through = e + (e_hat - e).detach()
        return MSQOutput(straight_through, indices, final, scc, deviations)

    def _consistency(self, e: torch.Tensor, target: torch.Tensor, e_hat: torch.Tensor) -> torch.Tensor:
        return self.beta * F.mse_loss(e, e_hat.detach()) + F.mse_loss(e_hat, target)

    @torch.no_grad()
    def encode(self, e: torch.Tensor) -> list[torch.Tensor]:
        """Per scale, the ``[B, n, n]`` code map of ``e`` (no losses, no statistics)."""
        return self.forward(e, scc_steps=0).indices

    def accumulate(self, indices: Sequence[torch.Tensor]) -> torch.Tensor:
        """``ê`` of the given scales' code maps: the sum of their codes interpolated to ``N x N``.

        Args:
            indices: The code maps of the first ``len(indices)`` scales, coarsest first.
        """
        e_hat = None
        for codes in indices:
            upsampled = interpolate(self.code_map(codes), self.size)
            e_hat = upsampled if e_hat is None else e_hat + upsampled
        if e_hat is None:
            raise ValueError("accumulate() needs at least one scale's codes")
        return e_hat

    def flatten(self, indices: Sequence[torch.Tensor]) -> torch.Tensor:
        """Per-scale code maps to one ``[B, sum n(n+1)/2]`` token sequence, coarsest first."""
        return torch.cat([tokens_of(codes) for codes in indices], 1)

    def unflatten(self, sequence: torch.Tensor) -> list[torch.Tensor]:
        """Inverse of :meth:`flatten`."""
        maps, start = [], 0
        for n in self.scales:
            length = n * (n + 1) // 2
            maps.append(map_of(sequence[:, start : start + length], n))
            start += length
        return maps
