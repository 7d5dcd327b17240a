"""The VQ-VAE of Arch-VQ: GIN encoder, vector quantizer, inner-product decoder.

Decoder (arch-vq.md 3.1.4, eqs. 4-5): ``P(A_ij = 1) = σ(z_iᵀ z_j)`` and
``P(X_i) = softmax(W_o z_i + b_o)``. Because ``σ(z_iᵀ z_j)`` is symmetric it
reconstructs ``Ã = A + Aᵀ``; the directed adjacency is read back from the
strict upper triangle (node order is topological in every archgen space).
The loss (eq. 8) is the reconstruction negative log-likelihood -- binary
cross-entropy over off-diagonal pairs plus cross-entropy of the ops -- and
the quantizer's commitment term; the codebook learns by EMA.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def edge_loss(adjacency_logits: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of ``[B, N, N]`` logits ``z_iᵀ z_j`` against ``A + Aᵀ``, off the diagonal."""
    symmetric = (adjacency + adjacency.transpose(1, 2)).clamp(max=1)
    # The diagonal is excluded: σ(||z||²) >= 0.5 can never say "no self-loop".
    off_diagonal = ~torch.eye(adjacency.shape[1], dtype=torch.bool, device=adjacency.device)
    return F.binary_cross_entropy_with_logits(adjacency_logits[:, off_diagonal], symmetric[:, off_diagonal])


def edges_from_logits(adjacency_logits: torch.Tensor) -> torch.Tensor:
    """The directed 0/1 adjacency (strict upper triangle, uint8) that ``[B, N, N]`` edge logits decode to."""
    return torch.triu(adjacency_logits > 0, diagonal=1).to(torch.uint8)


@dataclass
class VQVAEOutput:
    """One forward pass: decoder logits, codes and losses."""

    adjacency_logits: torch.Tensor
    op_logits: torch.Tensor
    indices: torch.Tensor
    reconstruction_loss: torch.Tensor
    commitment_loss: torch.Tensor
    perplexity: torch.Tensor

    @property
    def loss(self) -> torch.Tensor:
        return self.reconstruction_loss + self.commitment_loss


class VQVAE(nn.Module):
    """Encoder + quantizer + decoder.

    Args:
        encoder: Maps ``(adjacency, one-hot ops)`` to ``[B, N, D]``.
        quantizer: Quantizes ``[B, N, D]`` node embeddings.
        num_ops: Size of the op vocabulary (decoder output width).
    """

    def __init__(self, encoder: nn.Module, quantizer: nn.Module, num_ops: int):
        super().__init__()
        self.encoder, self.quantizer = encoder, quantizer
        self.op_head = nn.Linear(quantizer.dim, num_ops)

    def decode(self, z_q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, N, D]`` -> (adjacency logits ``[B, N, N]``, op logits ``[B, N, K]``)."""
        return z_q @ z_q.transpose(1, 2), self.op_head(z_q)

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> VQVAEOutput:
        quantized = self.quantizer(self.encoder(adjacency, ops))
        adjacency_logits, op_logits = self.decode(quantized.z_q)
        adjacency_loss = edge_loss(adjacency_logits, adjacency)
        op_loss = F.cross_entropy(op_logits.reshape(-1, op_logits.shape[-1]), ops.argmax(-1).reshape(-1))
        return VQVAEOutput(
            adjacency_logits, op_logits, quantized.indices, adjacency_loss + op_loss, quantized.loss, quantized.perplexity
        )

    @torch.no_grad()
    def encode(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """Code indices ``[B, N]`` of a batch (eval mode)."""
        return self.quantizer.nearest(self.encoder(adjacency, ops))

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Code indices ``[B, N]`` -> (0/1 strict upper adjacency ``[B, N, N]`` uint8, op indices ``[B, N]``)."""
        adjacency_logits, op_logits = self.decode(self.quantizer.lookup(codes))
        return edges_from_logits(adjacency_logits), op_logits.argmax(-1)
