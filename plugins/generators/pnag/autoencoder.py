"""PNAG's VAE skeleton: graph encoder to a ``C x N x N`` feature map, MSQ, position-wise decoder.

Encoder (pnag.md leaves it open, "a simple graph encoder"): node embeddings ``h`` from any
``archgen.encoders`` plugin (GIN by default) become the pair map
``e_ij = W2 GELU(U (h_i + h_j) + V (h_i * h_j) + a (A_ij + A_ji) + b)``: position ``(i, j)``
describes the pair ``{i, j}`` -- the edge between them, which in every archgen space (nodes in
topological order) can only run from the lower to the higher index -- and the diagonal ``(i, i)``
node ``i``. The map is symmetric by construction, which halves the tokens (see
:mod:`~archgen.plugins.generators.pnag.msq`); the adjacency enters directly, so the map carries the exact
graph even where message passing blurs it.

Decoder ("a two-layer linear decoder"): the same two-layer MLP at every position, with one edge
logit and ``K + 1`` op logits (the vocabulary and an "absent node" class for zero-padded spaces).
Edges are read from the strict upper triangle, ops from the diagonal. Because it is position-wise
it decodes a token map of any side ``n`` into an ``n``-node graph: the sub-architecture of a scale.

Loss: binary cross-entropy of the upper-triangle edges plus cross-entropy of the ops (the
likelihood form of pnag.md's ``||Arc - Âr c||``), MSQ's final-step ``||e - ê||`` and SCC.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from archgen.plugins.generators.pnag.msq import MultiScaleQuantizer, upper_positions
from archgen.plugins.generators.pnag.support import ObservedSupport

# Rows decoded at a time by PositionDecoder.graphs: NB201's 36 upper-triangle positions x 64 hidden
# units x 512 rows is a 4.5 MB activation; a whole 2,048-row sampling chunk over all 64 positions was 33 MB.
DECODE_TILE = 512


class PairFeatureMap(nn.Module):
    """Node embeddings and adjacency to the ``[B, C, N, N]`` feature map ``e``.

    Args:
        node_encoder: Maps ``(adjacency [B, N, N], one-hot ops [B, N, K])`` to ``[B, N, H]``.
        node_dim: ``H``.
        channels: ``C``.
    """

    def __init__(self, node_encoder: nn.Module, node_dim: int, channels: int):
        super().__init__()
        self.node_encoder = node_encoder
        self.node_sum = nn.Linear(node_dim, channels)
        self.node_product = nn.Linear(node_dim, channels, bias=False)
        self.edge = nn.Parameter(torch.zeros(channels))
        self.out = nn.Linear(channels, channels)

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        h = self.node_encoder(adjacency, ops)
        # Sums and products commute exactly in floating point, so e_ij == e_ji bit for bit.
        pair = self.node_sum(h[:, :, None] + h[:, None, :]) + self.node_product(h[:, :, None] * h[:, None, :])
        pair = pair + (adjacency + adjacency.transpose(1, 2))[..., None] * self.edge
        return self.out(F.gelu(pair)).permute(0, 3, 1, 2)


class PositionDecoder(nn.Module):
    """The two-layer decoder applied at every position of a ``[B, C, n, n]`` map.

    Args:
        channels: ``C``.
        hidden: Width of the hidden layer.
        num_ops: ``K``; the op head has ``K + 1`` outputs, the last one "absent node".
    """

    def __init__(self, channels: int, hidden: int, num_ops: int):
        super().__init__()
        self.num_ops = num_ops
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, 1 + num_ops + 1))

    def forward(self, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, C, n, n]`` to (edge logits ``[B, n, n]``, op logits ``[B, n, K + 1]``)."""
        out = self.mlp(feature.permute(0, 2, 3, 1))
        return out[..., 0], torch.diagonal(out[..., 1:], dim1=1, dim2=2).transpose(1, 2)

    @torch.no_grad()
    def graphs(self, feature: torch.Tensor, support: ObservedSupport | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoded graphs: (0/1 strict upper adjacency ``[B, n, n]`` uint8, op indices ``[B, n]``, -1 = absent).

        Only the upper triangle is read (edges above the diagonal, ops on it), so only its positions
        are decoded, a tile of rows at a time: the same per-position outputs as :meth:`forward`,
        without the lower triangle's work or a ``[B, n, n, hidden]`` activation far larger than the
        cache.

        Args:
            feature: ``[B, C, n, n]`` maps.
            support: Restricts the decode to what training showed (:class:`ObservedSupport`; full-size
                maps only); ``None`` decodes every position freely.
        """
        batch, _, n, _ = feature.shape
        rows, cols = upper_positions(n, feature.device)
        diagonal, above = rows == cols, rows != cols
        adjacency = torch.zeros(batch, n, n, dtype=torch.uint8, device=feature.device)
        ops = torch.empty(batch, n, dtype=torch.long, device=feature.device)
        for start in range(0, batch, DECODE_TILE):
            tile = slice(start, start + DECODE_TILE)
            out = self.mlp(feature[tile, :, rows, cols].transpose(1, 2))  # [tile, n(n+1)/2, 1 + K + 1]
            adjacency[tile, rows[above], cols[above]] = (out[:, above, 0] > 0).to(torch.uint8)
            logits = out[:, diagonal, 1:]  # the diagonal, row by row, is node 0..n-1
            ops[tile] = (logits if support is None else support.mask_op_logits(logits)).argmax(-1)
        if support is not None:
            adjacency = support.fix_edges(adjacency)
        return adjacency, torch.where(ops == self.num_ops, torch.full_like(ops, -1), ops)


@dataclass
class AutoencoderOutput:
    """Losses and figures of one training step."""

    reconstruction_loss: torch.Tensor
    feature_loss: torch.Tensor
    scc_loss: torch.Tensor
    deviations: list[torch.Tensor]

    @property
    def loss(self) -> torch.Tensor:
        return self.reconstruction_loss + self.feature_loss + self.scc_loss


class PNAGAutoencoder(nn.Module):
    """Encoder, multi-scale quantizer and decoder.

    Args:
        encoder: :class:`PairFeatureMap`.
        quantizer: :class:`MultiScaleQuantizer`.
        decoder: :class:`PositionDecoder`.
        scc_steps: Intermediate steps SCC constrains (from the coarsest).
        scc_weight: Weight of the SCC term.
    """

    def __init__(
        self, encoder: PairFeatureMap, quantizer: MultiScaleQuantizer, decoder: PositionDecoder, scc_steps: int, scc_weight: float
    ):
        super().__init__()
        self.encoder, self.quantizer, self.decoder = encoder, quantizer, decoder
        self.scc_steps, self.scc_weight = scc_steps, scc_weight

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> AutoencoderOutput:
        quantized = self.quantizer(self.encoder(adjacency, ops), self.scc_steps)
        edge_logits, op_logits = self.decoder(quantized.e_hat)
        upper = torch.triu(torch.ones_like(adjacency[0], dtype=torch.bool), diagonal=1)
        edge_loss = F.binary_cross_entropy_with_logits(edge_logits[:, upper].float(), adjacency[:, upper])
        # Zero one-hot rows (a padded space's absent nodes) are the extra class K.
        op_targets = torch.where(ops.any(-1), ops.argmax(-1), torch.full_like(ops[..., 0], ops.shape[-1], dtype=torch.long))
        op_loss = F.cross_entropy(op_logits.reshape(-1, op_logits.shape[-1]).float(), op_targets.reshape(-1))
        return AutoencoderOutput(
            edge_loss + op_loss, quantized.final_loss, self.scc_weight * quantized.scc_loss, quantized.deviations
        )

    @torch.no_grad()
    def encode(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """Code sequences ``[B, sum n(n+1)/2]`` (eval mode)."""
        return self.quantizer.flatten(self.quantizer.encode(self.encoder(adjacency, ops)))

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, sum n(n+1)/2]`` codes to (adjacency ``[B, N, N]`` uint8, op indices ``[B, N]``)."""
        return self.decoder.graphs(self.quantizer.accumulate(self.quantizer.unflatten(codes)))

    @torch.no_grad()
    def decode_drawn(
        self, codes: torch.Tensor, e_hat: torch.Tensor, codebook: torch.Tensor, support: ObservedSupport | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Graphs of sampled ``codes`` whose ``ê`` the sampler already accumulated with ``codebook``.

        Args:
            codes: ``[B, sum n(n+1)/2]`` drawn codes.
            e_hat: ``[B, C, N, N]``, their code maps interpolated and summed with ``codebook``.
            codebook: The codebook the sampler read (the next-scale transformer's frozen copy).
            support: :meth:`PositionDecoder.graphs`'s restriction to the training support, or ``None``.

        Returns:
            What :meth:`decode_codes` returns for ``codes``: the sampler builds ``ê`` with the same
            operations in the same order, so when ``codebook`` equals this quantizer's it is the very
            map :meth:`decode_codes` would rebuild, and is decoded directly; otherwise (a copy that
            has fallen out of step) the codes are decoded with this quantizer's codebook.
        """
        if not torch.equal(codebook, self.quantizer.codebook.weight):
            e_hat = self.quantizer.accumulate(self.quantizer.unflatten(codes))
        return self.decoder.graphs(e_hat, support)

    @torch.no_grad()
    def sub_architectures(self, codes: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per scale ``n``, the ``n``-node graph its partial reconstruction decodes to.

        After step ``t`` the partial ``ê_t`` is region-averaged to ``n_t x n_t`` and decoded
        position-wise: the sub-architecture of ``n_t`` nodes the coarse-to-fine path passes
        through. The last one is the sample itself.
        """
        maps = self.quantizer.unflatten(codes)
        out = []
        for step, n in enumerate(self.quantizer.scales):
            partial = self.quantizer.accumulate(maps[: step + 1])
            out.append(self.decoder.graphs(F.adaptive_avg_pool2d(partial, n)))
        return out
