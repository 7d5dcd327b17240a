"""Contrastive pre-training over a network's written forms (``pretrain.objective = "contrastive"``).

A cell space writes one network many ways (NAS-Bench-201's 15,625 cells are 6,466 networks), and
each network differs from the next in what it computes. CAP (Ji et al., IJCAI 2024) pre-trains a
predictor's encoder by telling matching graph pairs from the rest of a batch; here the pairs are
two *written forms* of one network: the encoder's pooled, projected embeddings of the two are
pulled together and pushed away from every other network in the batch (NT-Xent, SimCLR: Chen et
al. 2020). Each view also has a share ``mask_rate`` of its nodes' ops hidden, as the masked
objective does, so that even a network written one way only is never its own trivial match.

Where a network's forms come from depends on what the space offers: a space small enough to list
(:data:`~archgen.plugins.predictors.canonical_forms.ENUMERATE_LIMIT`) gives every member of each
``canonical_key`` class; otherwise a space with ``equivalent_forms`` gives the architecture and
those; otherwise the architecture alone (the masks are then the only difference between views).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.plugins.predictors.canonical_forms import ENUMERATE_LIMIT, finite_size
from archgen.plugins.predictors.masking import hide_ops
from archgen.protocols import EquivalentForms, SearchSpace


class ContrastiveGraphEncoder(nn.Module):
    """An encoder with the projection head of the contrastive objective.

    The graph embedding is the sum of the real nodes' embeddings, as the ``gin`` predictor pools
    them, so the pre-trained encoder is trained for the pooling it will be fine-tuned under.

    Args:
        encoder: Maps ``(adjacency [B, N, N], ops [B, N, K])`` to node embeddings ``[B, N, D]``
            and has ``out_dim`` (``D``).
    """

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        width = encoder.out_dim
        self.projection = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """Unit-length projected graph embeddings ``[B, D]``."""
        nodes = self.encoder(adjacency, ops)
        real = (ops.sum(-1, keepdim=True) > 0).to(nodes.dtype)
        return F.normalize(self.projection((nodes * real).sum(1)), dim=-1)


@dataclass(frozen=True)
class WrittenForms:
    """Every written form of each pre-training network, as tensors.

    Network ``i``'s forms are rows ``first[i] : first[i] + count[i]`` of ``adjacency`` and ``ops``.

    Attributes:
        adjacency: ``[M, N, N]`` adjacency of every form.
        ops: ``[M, N, K]`` one-hot ops of every form.
        first: ``[n]`` each network's first row.
        count: ``[n]`` how many forms each network has (at least one).
    """

    adjacency: torch.Tensor
    ops: torch.Tensor
    first: torch.Tensor
    count: torch.Tensor

    def to(self, device: torch.device | str) -> WrittenForms:
        """The same forms on ``device``."""
        return WrittenForms(*(tensor.to(device) for tensor in (self.adjacency, self.ops, self.first, self.count)))

    def draw(self, networks: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One form of each of ``networks`` (indices), uniformly among its forms: ``(adjacency, ops)``."""
        uniform = torch.rand(len(networks), generator=generator).to(networks.device)
        count = self.count[networks]
        rows = self.first[networks] + (uniform * count).long().clamp(max=count - 1)
        return self.adjacency[rows], self.ops[rows]


def written_forms(space: SearchSpace, archs: Sequence[Architecture], seed: int) -> WrittenForms:
    """The forms of each of ``archs`` (the module docstring says where they come from).

    Args:
        space: The architectures' space.
        archs: The pre-training networks, one per row of the result's ``first`` / ``count``.
        seed: Seed of ``equivalent_forms``' draws.
    """
    size = finite_size(space)
    if size is not None and size <= ENUMERATE_LIMIT:
        groups = _classes(space, archs)
    elif isinstance(space, EquivalentForms):
        rng = random.Random(seed)
        groups = [[arch, *_distinct_forms(space, arch, rng)] for arch in archs]
    else:
        groups = [[arch] for arch in archs]
    rows: list[Architecture] = []
    first, count = [], []
    for group in groups:
        first.append(len(rows))
        count.append(len(group))
        rows.extend(group)
    adjacency, ops = space.to_tensors(rows)
    return WrittenForms(adjacency.float(), ops.float(), torch.tensor(first), torch.tensor(count))


def _classes(space: SearchSpace, archs: Sequence[Architecture]) -> list[list[Architecture]]:
    members: dict[Hashable, list[Architecture]] = {}
    for arch in space.enumerate():
        members.setdefault(space.canonical_key(arch), []).append(arch)
    groups = []
    for arch in archs:
        try:
            groups.append(members.get(space.canonical_key(arch), [arch]))
        except InvalidArchitectureError:
            groups.append([arch])
    return groups


def _distinct_forms(space: SearchSpace, arch: Architecture, rng: random.Random) -> list[Architecture]:
    seen = {space.to_string(arch)}
    forms = []
    for form in space.equivalent_forms(arch, rng):  # type: ignore[attr-defined]
        written = space.to_string(form)
        if written not in seen:
            seen.add(written)
            forms.append(form)
    return forms


def contrastive_loss(
    model: ContrastiveGraphEncoder,
    forms: WrittenForms,
    networks: torch.Tensor,
    mask_rate: float,
    temperature: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """NT-Xent over two masked written forms of each of ``networks``.

    Each of the ``2B`` views has one positive (the other view of its network) and ``2B - 2``
    negatives (the views of the batch's other networks); the loss is the cross-entropy of picking
    the positive from the cosine similarities divided by ``temperature``.

    Args:
        model: The encoder with its projection head.
        forms: Every network's written forms.
        networks: ``[B]`` indices into ``forms``.
        mask_rate: Share of each view's real nodes whose op is hidden (at least one).
        temperature: Softmax temperature of the similarities.
        generator: Draws the forms and the masks (CPU generator).

    Returns:
        ``(loss, {"loss", "match_accuracy"})``: the accuracy is the share of views whose most
        similar other view is their positive.
    """
    views = []
    for _ in range(2):
        adjacency, ops = forms.draw(networks, generator)
        hidden = hide_ops(ops, mask_rate, generator)
        views.append(model(adjacency, ops * (~hidden).unsqueeze(-1).to(ops.dtype)))
    embeddings = torch.cat(views)
    similarity = embeddings @ embeddings.T / temperature
    similarity = similarity.masked_fill(torch.eye(len(embeddings), dtype=torch.bool, device=embeddings.device), float("-inf"))
    batch = len(networks)
    positives = (torch.arange(2 * batch, device=embeddings.device) + batch) % (2 * batch)
    loss = F.cross_entropy(similarity, positives)
    accuracy = (similarity.argmax(1) == positives).float().mean()
    return loss, {"loss": loss.detach(), "match_accuracy": accuracy.detach()}


__all__ = ["ContrastiveGraphEncoder", "WrittenForms", "contrastive_loss", "written_forms"]
