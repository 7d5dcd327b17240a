"""Self-supervised pre-training of a predictor's graph encoder on the unlabelled space (issue 29).

Every member of a benchmark space is known before a single one is trained: NAS-Bench-201's 15,625
cells cost nothing to list, only their accuracies do. A predictor fitted on 78 labels starts its
encoder from random weights and has to learn, from those 78, what the space's graphs look like.
Pre-training the encoder on the whole unlabelled space first (arch2vec, Yan et al. 2020; GMAE-NAS,
Jing et al. 2022) leaves only the mapping from a good embedding to accuracy to the labels.

The objective here is **masked graph auto-encoding**: a share ``mask_rate`` of each graph's real
nodes has its op one-hot zeroed, the encoder embeds the graph, and two heads reconstruct it --
a linear classifier names the hidden ops (cross-entropy on the masked nodes: the encoder must
infer an op from its neighbourhood, so its embeddings carry the graph's context, not a copy of the
input), and arch2vec's inner-product decoder, ``sigmoid(z_i · z_j)``, rebuilds the adjacency (binary
cross-entropy over the real node pairs; it teaches topology where the space varies it, NAS-Bench-101
and DARTS). The pre-trained encoder initialises every ensemble member; the heads are dropped.

The other objective, ``"contrastive"``, tells two written forms of one network from the rest of
a batch (:mod:`~archgen.plugins.predictors.contrastive`).

Pre-training runs once per space and configuration: its weights are cached under
``$XDG_CACHE_HOME/archgen/pretrained/<space>/<hash>.pt``, the hash covering everything that
changes them (space, vocabulary, encoder shape, pre-training options, which architectures it saw),
so a changed option is a new file and never a stale one. A cache file that cannot be read is
trained again and replaced, with a warning naming it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from archgen.architecture import Architecture
from archgen.errors import CheckpointError
from archgen.io import cache_dir
from archgen.io.module_checkpoint import load_module, save_module
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.contrastive import ContrastiveGraphEncoder, contrastive_loss, written_forms
from archgen.plugins.predictors.masking import hide_ops
from archgen.plugins.predictors.unlabelled import unlabelled_architectures
from archgen.protocols import SearchSpace
from archgen.runtime import Runtime
from archgen.training import train_epochs

log = logging.getLogger(__name__)

CACHE_FORMAT = "archgen-pretrained-encoder-1"
"""Bumped whenever the objective's code changes what a cached file holds."""

OBJECTIVE_OPTIONS = {"masked_graph": {"adjacency_weight"}, "contrastive": {"temperature"}}
"""The options only one objective reads: the others' are left out of its cache key."""


class PretrainOptions(BaseModel):
    """How the encoder is pre-trained before the labels are seen (``objective = "off"``: it is not).

    Attributes:
        objective: ``"masked_graph"`` (masked op and adjacency reconstruction), ``"contrastive"``
            (two masked written forms of a network against the batch's other networks) or ``"off"``.
        epochs: Passes over the unlabelled architectures.
        mask_rate: Share of each graph's real nodes whose op is hidden (at least one per graph).
        adjacency_weight: Weight of the adjacency reconstruction beside the op term (0: ops only,
            for a space whose topology never varies, NAS-Bench-201's among them); ``masked_graph`` only.
        temperature: Softmax temperature of the contrastive similarities; ``contrastive`` only.
        max_archs: The space is listed whole when it has at most this many members, else this
            many architectures are sampled (seed ``seed``).
        batch_size: Graphs per step.
        lr: Adam learning rate.
        seed: Seed of the weights' initialisation, the sample, the masks and the shuffling.
        cache: Keep the weights under the XDG cache and reuse them (``false``: pre-train on every fit).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    objective: Literal["off", "masked_graph", "contrastive"] = "off"
    epochs: int = Field(20, ge=1, le=10_000)
    mask_rate: float = Field(0.3, gt=0.0, le=1.0)
    adjacency_weight: float = Field(1.0, ge=0.0, le=1000.0)
    temperature: float = Field(0.1, gt=0.0, le=100.0)
    max_archs: int = Field(100_000, ge=2, le=10_000_000)
    batch_size: int = Field(256, ge=2, le=1_000_000)
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    seed: int = Field(0, ge=0)
    cache: bool = True


class MaskedGraphAutoEncoder(nn.Module):
    """An encoder with the two reconstruction heads of the masked objective.

    Args:
        encoder: Maps ``(adjacency [B, N, N], ops [B, N, K])`` to node embeddings ``[B, N, D]``
            and has ``out_dim`` (``D``).
        num_ops: ``K``.
    """

    def __init__(self, encoder: nn.Module, num_ops: int):
        super().__init__()
        self.encoder = encoder
        self.op_head = nn.Linear(encoder.out_dim, num_ops)

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(op logits [B, N, K], adjacency logits [B, N, N])`` of the (masked) batch."""
        nodes = self.encoder(adjacency, ops)
        return self.op_head(nodes), nodes @ nodes.transpose(1, 2)


def masked_graph_loss(
    model: MaskedGraphAutoEncoder,
    adjacency: torch.Tensor,
    ops: torch.Tensor,
    mask_rate: float,
    generator: torch.Generator,
    adjacency_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The masked objective on one batch: op cross-entropy on hidden nodes + adjacency BCE on real pairs.

    Args:
        model: The encoder with its heads.
        adjacency: ``[B, N, N]`` 0/1 adjacency.
        ops: ``[B, N, K]`` one-hot ops (all-zero rows are padding).
        mask_rate: Share of real nodes hidden per graph (at least one).
        generator: Draws the masks (CPU generator; the masks are moved to the batch's device).
        adjacency_weight: Weight of the adjacency term.

    Returns:
        ``(loss, {"loss", "op", "adjacency", "op_accuracy"})``.
    """
    real = ops.sum(-1) > 0  # [B, N]
    hidden = hide_ops(ops, mask_rate, generator)
    op_logits, adjacency_logits = model(adjacency, ops * (~hidden).unsqueeze(-1).to(ops.dtype))
    op_loss = F.cross_entropy(op_logits[hidden], ops[hidden].argmax(-1))
    pairs = real[:, :, None] & real[:, None, :]
    adjacency_loss = F.binary_cross_entropy_with_logits(adjacency_logits[pairs], adjacency[pairs])
    accuracy = (op_logits[hidden].argmax(-1) == ops[hidden].argmax(-1)).float().mean()
    loss = op_loss + adjacency_weight * adjacency_loss
    return loss, {"loss": loss.detach(), "op": op_loss.detach(), "adjacency": adjacency_loss.detach(), "op_accuracy": accuracy.detach()}


def cache_key(space: SearchSpace, encoder_config: dict[str, Any], options: PretrainOptions, archs: Sequence[Architecture]) -> str:
    """A 16-hex-digit hash of everything that changes the pre-trained weights."""
    listed = hashlib.sha256("\n".join(space.to_string(arch) for arch in archs).encode("utf-8")).hexdigest()
    identity = {
        "format": CACHE_FORMAT,
        "space": space.name,
        "op_vocabulary": list(space.op_vocabulary),
        "max_nodes": int(space.max_nodes),
        "encoder": encoder_config,
        "pretrain": options.model_dump(exclude={"cache", *_unread_options(options.objective)}),
        "architectures": listed,
        "torch": torch.__version__.split("+")[0],
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def pretrained_encoder_state(
    space: SearchSpace,
    build_encoder: Callable[[], nn.Module],
    encoder_config: dict[str, Any],
    options: PretrainOptions,
    *,
    forms: CanonicalForms | None = None,
    runtime: Runtime | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The encoder's pre-trained weights, from the cache or trained now (and cached).

    Args:
        space: The space whose unlabelled architectures are used.
        build_encoder: Makes a fresh encoder of the predictor's shape.
        encoder_config: JSON-ready description of that shape (part of the cache key).
        options: The pre-training options (``objective`` must not be ``"off"``).
        forms: The predictor's canonical forms, if it uses them.
        runtime: Device and precision (default: CPU, fp32).

    Returns:
        ``(state_dict of the encoder on the CPU, {"path", "cached", "architectures", "seconds", ...})``.
    """
    runtime = runtime or Runtime()
    archs = unlabelled_architectures(space, options.max_archs, options.seed, forms)
    key = cache_key(space, encoder_config, options, archs)
    path = cache_dir("pretrained", space.name) / f"{key}.pt"
    signature = {"space": space.name, "key": key}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        model: nn.Module
        if options.objective == "contrastive":
            model = ContrastiveGraphEncoder(build_encoder())
        else:
            model = MaskedGraphAutoEncoder(build_encoder(), len(space.op_vocabulary))
    if options.cache and path.exists():
        try:
            meta = load_module(path, model, checkpoint_format=CACHE_FORMAT, signature=signature)
            return _encoder_state(model), {**meta, "path": str(path), "cached": True}
        except CheckpointError as error:
            log.warning("pre-trained encoder cache unusable, training it again: %s", error)
    model = model.to(runtime.device)
    masks = torch.Generator().manual_seed(options.seed)
    if options.objective == "contrastive":
        forms = written_forms(space, archs, options.seed).to(runtime.device)
        data = [torch.arange(len(archs), device=runtime.device)]

        def step(wrapped: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            return contrastive_loss(wrapped, forms, batch[0], options.mask_rate, options.temperature, masks)
    else:
        adjacency, ops = space.to_tensors(archs)
        data = [adjacency.float().to(runtime.device), ops.float().to(runtime.device)]

        def step(wrapped: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            return masked_graph_loss(wrapped, batch[0], batch[1], options.mask_rate, masks, options.adjacency_weight)

    result = train_epochs(
        model, torch.optim.Adam(model.parameters(), lr=options.lr), data, step,
        stage="pretrain", epochs=options.epochs, batch_size=min(options.batch_size, len(archs)),
        seed=options.seed, runtime=runtime,
    )
    meta = {
        **signature, "format": CACHE_FORMAT, "objective": options.objective, "architectures": len(archs),
        "epochs": options.epochs, "seconds": result.seconds_per_epoch * options.epochs,
        **{f"final_{name}": float(value) for name, value in result.logs.items()},
    }
    model = model.cpu()
    if options.cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_module(path, model, meta)
    return _encoder_state(model), {**meta, "path": str(path), "cached": False}


def _unread_options(objective: str) -> set[str]:
    return {name for other, names in OBJECTIVE_OPTIONS.items() if other != objective for name in names}


def _encoder_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().cpu().clone() for name, tensor in model.encoder.state_dict().items()}


__all__ = [
    "CACHE_FORMAT", "MaskedGraphAutoEncoder", "OBJECTIVE_OPTIONS", "PretrainOptions", "cache_key", "masked_graph_loss",
    "pretrained_encoder_state",
]
