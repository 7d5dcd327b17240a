"""The observed support: which operation each node, and which value each edge, took in training.

PNAG's decoder reads every position of the feature map on its own (an edge logit above the
diagonal, operation logits on it), so a sampled map that drifts off the training distribution can
decode to an operation no training graph ever had at that node (an ``output`` label in the middle of
an MBV3 chain) or break an edge every training graph agreed on (a chain edge). Restricting the
decode to the support seen in training is output masking, not a rule of any space: it is learnt
from the training set alone, and a position whose values varied in training is left free
(docs/pnag.md, decision 14a). It is off unless sampled with ``support = "observed"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from archgen.errors import CheckpointError

if TYPE_CHECKING:
    from archgen.architecture import Architecture
    from archgen.protocols import SearchSpace


@dataclass(frozen=True)
class ObservedSupport:
    """Per node the operations seen, per node pair the edge value every training graph agreed on.

    Attributes:
        ops: ``[N, K + 1]`` bool: operation ``k`` was seen at node ``i`` (column ``K``: the node absent).
        edges: ``[N, N]`` int8: ``0`` or ``1`` where every training graph had that value, ``-1`` where
            they differed (the diagonal and lower triangle are ``0``: no graph has such edges).
    """

    ops: torch.Tensor
    edges: torch.Tensor

    @classmethod
    def of(cls, space: SearchSpace, archs: Sequence[Architecture]) -> ObservedSupport:
        """The support of ``archs`` in ``space``'s graph form.

        Raises:
            ValueError: If ``archs`` is empty (no support to learn).
        """
        if not archs:
            raise ValueError("the observed support needs at least one training architecture")
        adjacency, one_hot = space.to_tensors(archs)
        adjacency = adjacency.bool()
        present = one_hot.any(-1)
        num_ops = one_hot.shape[-1]
        index = torch.where(present, one_hot.argmax(-1), torch.full_like(present, num_ops, dtype=torch.long))
        ops = torch.zeros(one_hot.shape[1], num_ops + 1, dtype=torch.bool)
        ops[torch.arange(one_hot.shape[1]).expand_as(index), index] = True
        always, never = adjacency.all(0), ~adjacency.any(0)
        edges = torch.full(always.shape, -1, dtype=torch.int8)
        edges[always], edges[never] = 1, 0
        return cls(ops, edges)

    def to(self, device: torch.device | str) -> ObservedSupport:
        return ObservedSupport(self.ops.to(device), self.edges.to(device))

    def mask_op_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """``[B, N, K + 1]`` operation logits with every operation unseen at its node set to ``-inf``."""
        return logits.masked_fill(~self.ops, float("-inf"))

    def fix_edges(self, adjacency: torch.Tensor) -> torch.Tensor:
        """``[B, N, N]`` 0/1 adjacency with every agreed edge set to its training value."""
        fixed = self.edges >= 0
        return torch.where(fixed, self.edges.to(adjacency.dtype), adjacency)

    def to_json(self) -> dict[str, Any]:
        return {"ops": self.ops.cpu().to(torch.uint8).tolist(), "edges": self.edges.cpu().tolist()}

    @classmethod
    def from_json(cls, data: Any, nodes: int, num_ops: int, source: str = "pnag checkpoint") -> ObservedSupport:
        """The support a checkpoint header holds (``source`` names the file in errors).

        Raises:
            CheckpointError: If it is not an ``N x (K + 1)`` op table and an ``N x N`` edge table.
        """
        try:
            ops = torch.tensor(data["ops"], dtype=torch.uint8).bool()
            edges = torch.tensor(data["edges"], dtype=torch.int8)
        except (TypeError, KeyError, ValueError) as error:
            raise CheckpointError(f"{source}: observed support is malformed ({type(error).__name__})") from None
        if ops.shape != (nodes, num_ops + 1) or edges.shape != (nodes, nodes) or not ops.any(1).all():
            raise CheckpointError(f"{source}: observed support has shapes {tuple(ops.shape)} / {tuple(edges.shape)}, "
                                  f"not ({nodes}, {num_ops + 1}) / ({nodes}, {nodes}) with an operation at every node")
        return cls(ops, edges)


__all__ = ["ObservedSupport"]
