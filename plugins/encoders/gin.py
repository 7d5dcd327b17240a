"""GIN encoder of arch2vec / Arch-VQ (arch-vq.md section 3.1.2, equation 1).

``H(k) = MLP(k)((1 + eps(k)) H(k-1) + Ã H(k-1))`` with ``Ã = A + Aᵀ`` (both
directions of every edge), ``H(0) = X`` (one-hot ops), each MLP a stack of
linear-BatchNorm-ReLU triplets, ``eps`` learnable; the last layer's node
embeddings go through a fully connected layer to give ``Z_e``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn


class GINOptions(BaseModel):
    """Options of the ``gin`` encoder.

    Attributes:
        input_dim: Size of the one-hot op vector (set by the generator from the space).
        hidden_dims: Width of each GIN layer; the paper uses 128 x 4 then 16 (256 x 4 then 16 on DARTS).
        out_dim: Width of ``Z_e`` (the codebook dimension D).
        mlp_layers: Linear-BN-ReLU triplets per GIN layer.
        max_nodes: Set by the generator from the space (needed by ``position_features`` and
            ``position_embedding``).
        position_features: Append a one-hot of each node's index to its op one-hot (not in the
            paper). Message passing cannot tell apart **twin nodes** (same op, same in- and
            out-neighbours, padding nodes included), so they get one code, and the inner-product
            decoder then joins them by an edge (``‖z‖² > 0``) they do not have: no cell with twins
            is ever reconstructed exactly (``archgen analyze <run> reconstruction`` counts them;
            docs/results/analyses.md). The node index tells twins apart and lifts that ceiling.
        position_embedding: Add a learned vector per node index to the output ``Z_e`` (not in the
            paper). The inner-product decoder needs the node vectors of a fixed topology in one
            particular geometry -- on MBV3's 22-node chain, every neighbour pair acute and every
            other pair obtuse -- and the GIN's output mixes each node's neighbourhood of ops (five
            hops with the paper's five layers) into its vector, so that geometry shifts with every
            op choice: from the GIN's output alone no MBV3 chain is ever decoded
            (benchmarks/arch_vq_positions.py; docs/results/arch-vq.md#mbv3). A vector per
            index gives the geometry a term of its own, and the GIN's output carries the ops.
        position_embedding_gain: The embedding is stored divided by this and multiplied back, so
            Adam, which moves every parameter by about the learning rate per step, moves it this
            many times faster than the GIN's weights: at the GIN's learning rate the vectors take
            thousands of steps to grow to the norm the geometry needs (measured in the benchmark).
    """

    # Every bound is one that a value outside of would crash or exhaust memory later, mid-training
    # (a zero width is an IndexError in BatchNorm), so it fails here, naming the key, instead.
    model_config = ConfigDict(extra="forbid")
    input_dim: int = Field(0, ge=0, le=65_536)
    hidden_dims: list[Annotated[int, Field(ge=1, le=65_536)]] = Field(
        default_factory=lambda: [128, 128, 128, 128, 16], min_length=1, max_length=64
    )
    out_dim: int = Field(16, ge=1, le=65_536)
    mlp_layers: int = Field(2, ge=1, le=64)
    max_nodes: int = Field(0, ge=0, le=65_536)
    position_features: bool = False
    position_embedding: bool = False
    position_embedding_gain: float = Field(10.0, gt=0.0, le=1_000.0, allow_inf_nan=False)


def _mlp(in_dim: int, out_dim: int, layers: int) -> nn.Sequential:
    blocks: list[nn.Module] = []
    for i in range(layers):
        blocks += [nn.Linear(in_dim if i == 0 else out_dim, out_dim), nn.BatchNorm1d(out_dim), nn.ReLU()]
    return nn.Sequential(*blocks)


class GINEncoder(nn.Module):
    """Node embeddings of a padded graph batch.

    Args:
        options: :class:`GINOptions`; ``input_dim`` must be set (> 0).
    """

    Options: ClassVar[type[BaseModel]] = GINOptions

    def __init__(self, options: GINOptions | None = None):
        super().__init__()
        self.options = options or GINOptions()
        if self.options.input_dim <= 0:
            raise ValueError("GINEncoder needs input_dim > 0 (the size of the space's op vocabulary)")
        for flag in ("position_features", "position_embedding"):
            if getattr(self.options, flag) and self.options.max_nodes <= 0:
                raise ValueError(f"GINEncoder with {flag} needs max_nodes > 0 (the space's node count)")
        positions = self.options.max_nodes if self.options.position_features else 0
        dims = [self.options.input_dim + positions, *self.options.hidden_dims]
        self.mlps = nn.ModuleList(_mlp(dims[i], dims[i + 1], self.options.mlp_layers) for i in range(len(dims) - 1))
        self.eps = nn.Parameter(torch.zeros(len(self.mlps)))
        self.out = nn.Linear(dims[-1], self.options.out_dim)
        self.out_dim = self.options.out_dim
        if self.options.position_embedding:
            # Initial vectors of norm about 0.3 * sqrt(out_dim) once multiplied by the gain.
            initial = 0.3 * torch.randn(self.options.max_nodes, self.options.out_dim)
            self.position_embedding = nn.Parameter(initial / self.options.position_embedding_gain)

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """Encodes ``[B, N, N]`` adjacency and ``[B, N, K]`` ops into ``[B, N, out_dim]``."""
        symmetric = adjacency + adjacency.transpose(1, 2)
        batch, nodes = ops.shape[:2]
        h = ops
        if self.options.position_features:
            index = torch.eye(self.options.max_nodes, dtype=ops.dtype, device=ops.device)[:nodes]
            h = torch.cat([ops, index.expand(batch, nodes, -1)], dim=-1)
        for layer, mlp in enumerate(self.mlps):
            aggregated = (1 + self.eps[layer]) * h + symmetric @ h
            # BatchNorm1d normalises over every node of the batch, as arch2vec's encoder does.
            h = mlp(aggregated.reshape(batch * nodes, -1)).reshape(batch, nodes, -1)
        z = self.out(h)
        if self.options.position_embedding:
            z = z + self.options.position_embedding_gain * self.position_embedding[:nodes]
        return z
