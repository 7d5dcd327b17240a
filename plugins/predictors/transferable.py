"""``transferable``: a surrogate meta-learned over tasks that reads a new task from a few of its labels.

pnag.md §3 attaches to the generator a surrogate trained "as a meta-learning task": rather than one
task's mapping ``P(y | D, Arc)`` it learns how to evaluate architectures across tasks, so that it
predicts quality on an unseen task ``D̃`` and only the surrogate changes with the task. The
predictors of that lineage (MetaD2A, TNAS, DiffusionNAG) describe a task by a set encoder over its
dataset's images. archgen holds no images of a space's tasks, only tables of measured metrics, so a
task is described the way HELP (Lee et al., NeurIPS 2021) describes an unseen device: by a few
architectures measured on it.

The model reads a *support set* of ``(architecture, value)`` pairs and a *query* architecture and
predicts the query's value. Architectures are embedded by the ``gin`` encoder plugin (sum-pooled
node embeddings); each support pair becomes a token; the task vector is the mean token (a DeepSets
encoder), and the query also attends over the tokens (the cross-attention of attentive neural
processes), so that it can borrow the value of a similar labelled architecture. Values are
standardised by the support set's own mean and deviation, so one model serves accuracies in %,
latencies in ms and any other unit.

Fitting has two phases. *Meta-training*: ``meta_steps`` steps over episodes drawn from the
``sources`` (other metrics of the same space, labelled by its oracle): each episode takes one
source task, a support set of random size and a disjoint query set, and the loss scores the query
predictions. *Adaptation*: ``adapt_steps`` steps over episodes split from the labels passed to
``fit`` (the new task's few labels). Prediction conditions on all of those labels. An instance
keeps its meta-trained weights: a later ``fit`` on the same space with the same seed starts from
them and only adapts, so moving to another task costs the adaptation alone. With no
``sources`` the model is trained on the new task's episodes alone: a plain few-shot regressor,
the baseline that meta-training has to beat (``benchmarks/transferable_surrogate.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

import archgen
from archgen.architecture import Architecture
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.plugins.predictors.regression import check_labels, mlp_head, pairwise_rank_loss
from archgen.progress import progress
from archgen.protocols import SearchSpace
from archgen.runtime import Runtime


class TransferableOptions(BaseModel):
    """Options of the ``transferable`` predictor.

    Attributes:
        sources: Metrics of the space's oracle to meta-train on (e.g. ``["cifar10/test@200",
            "cifar100/test@200"]``); leave out the metric you will fit on, or it is not unseen.
        source_archs: Architectures drawn uniformly (``source_seed``) and labelled on every
            source; the episodes are drawn from them.
        source_seed: Seed of that draw.
        meta_steps: Optimiser steps of meta-training (skipped without ``sources``).
        adapt_steps: Optimiser steps on episodes split from ``fit``'s labels.
        episodes_per_step: Episodes in one optimiser step.
        support_min: Fewest support pairs of a meta-training episode.
        support_max: Most support pairs of a meta-training episode.
        query_size: Query architectures of a meta-training episode.
        hidden_dims: Width of each GIN layer of the encoder.
        width: Width of the architecture embeddings, support tokens and task vector.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        rank_weight: Weight of the pairwise logistic ranking loss beside the MSE.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    sources: list[str] = Field(default_factory=list, max_length=256)
    source_archs: int = Field(4000, ge=16, le=1_000_000)
    source_seed: int = Field(0, ge=0)
    meta_steps: int = Field(2000, ge=0, le=1_000_000)
    adapt_steps: int = Field(200, ge=0, le=1_000_000)
    episodes_per_step: int = Field(8, ge=1, le=1024)
    support_min: int = Field(5, ge=1, le=100_000)
    support_max: int = Field(50, ge=1, le=100_000)
    query_size: int = Field(64, ge=1, le=100_000)
    hidden_dims: list[Annotated[int, Field(ge=1, le=4096)]] = Field(default_factory=lambda: [64, 64, 64], min_length=1, max_length=32)
    width: int = Field(64, ge=2, le=4096)
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    rank_weight: float = Field(0.5, ge=0.0, le=1000.0)

    @model_validator(mode="after")
    def _support_range(self) -> TransferableOptions:
        if self.support_min > self.support_max:
            raise ValueError(f"support_min ({self.support_min}) must not exceed support_max ({self.support_max})")
        return self


class SetConditionedSurrogate(nn.Module):
    """Predicts query values from a support set of labelled architectures.

    Args:
        encoder: A graph encoder mapping ``(adjacency [B, N, N], ops [B, N, K])`` to node
            embeddings ``[B, N, D]`` with ``out_dim = D``.
        width: Width of embeddings, tokens and the task vector.
    """

    def __init__(self, encoder: nn.Module, width: int):
        super().__init__()
        self.encoder = encoder
        self.embed = nn.Sequential(nn.Linear(encoder.out_dim, width), nn.LayerNorm(width))
        self.token = nn.Sequential(nn.Linear(width + 1, width), nn.ReLU(), nn.Linear(width, width))
        self.query_key = nn.Linear(width, width, bias=False)
        self.support_key = nn.Linear(width, width, bias=False)
        self.head = mlp_head(3 * width, width, layers=3)

    def embed_graphs(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """``[B, width]`` embeddings of ``B`` graphs (sum over the real nodes)."""
        nodes = self.encoder(adjacency, ops)
        real = (ops.sum(-1, keepdim=True) > 0).to(nodes.dtype)  # padded nodes have no op
        return self.embed((nodes * real).sum(1))

    def forward(self, support: torch.Tensor, support_y: torch.Tensor, support_mask: torch.Tensor,
                query: torch.Tensor) -> torch.Tensor:
        """Predictions for the queries of each episode.

        Args:
            support: ``[E, K, width]`` support embeddings.
            support_y: ``[E, K]`` standardised support values.
            support_mask: ``[E, K]`` True for real support rows.
            query: ``[E, Q, width]`` query embeddings.

        Returns:
            ``[E, Q]`` standardised predictions.
        """
        tokens = self.token(torch.cat([support, support_y.unsqueeze(-1)], -1))
        weights = support_mask.to(tokens.dtype).unsqueeze(-1)
        task = (tokens * weights).sum(1) / weights.sum(1).clamp_min(1.0)
        scores = self.query_key(query) @ self.support_key(support).transpose(1, 2) / math.sqrt(support.shape[-1])
        scores = scores.masked_fill(~support_mask.unsqueeze(1), float("-inf"))
        attended = torch.softmax(scores, -1) @ tokens
        features = torch.cat([query, task.unsqueeze(1).expand_as(query), attended], -1)
        return self.head(features).squeeze(-1)


class _LabelledSet:
    """Featurized architectures and one value column per task (NaN where a task has no entry)."""

    def __init__(self, adjacency: torch.Tensor, ops: torch.Tensor, values: np.ndarray):
        self.adjacency, self.ops, self.values = adjacency, ops, values


#: An episode: support rows, query rows, and the task's value column (rows index a _LabelledSet).
_Episode = tuple[np.ndarray, np.ndarray, np.ndarray]


def _standardise(support_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    scale = float(support_values.std())
    return (values - float(support_values.mean())) / (scale if scale > 1e-12 else 1.0)


class TransferablePredictor:
    """The ``transferable`` predictor: meta-trained on source metrics, conditioned on the new task's labels."""

    Options: ClassVar[type[BaseModel]] = TransferableOptions
    TEST_OPTIONS: ClassVar[dict] = {
        "meta_steps": 0, "adapt_steps": 20, "episodes_per_step": 2, "hidden_dims": [16], "width": 16,
    }

    def __init__(self, options: TransferableOptions | None = None):
        self.options = options or TransferableOptions()
        self.model: SetConditionedSurrogate | None = None
        self.device = torch.device("cpu")
        self._support: tuple[torch.Tensor, torch.Tensor] | None = None
        self._support_values = np.zeros(0)
        self._meta_key: tuple[Any, ...] | None = None
        self._meta_state: dict[str, torch.Tensor] | None = None

    # -- the Predictor protocol -----------------------------------------------------------------
    def fit(
        self,
        space: SearchSpace,
        archs: Sequence[Architecture],
        targets: np.ndarray,
        *,
        runtime: Runtime | None = None,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Meta-trains on the sources, adapts on ``archs``/``targets`` and keeps them as the support set.

        Returns:
            ``{"sources", "source_archs", "meta_steps", "adapt_steps", "meta_loss", "adapt_loss",
            "seconds"}`` (losses: mean of the last 10 % of each phase's steps; None when it ran none).

        Raises:
            ConfigError: If the targets do not match the architectures, a source is not a
                metric of the space, or labels too few of the drawn architectures.
            DataFileError: If the space has no oracle data for the sources.
        """
        o = self.options
        values = check_labels(archs, targets)
        runtime = runtime or Runtime()
        self.device = runtime.device
        started = time.perf_counter()
        target = _LabelledSet(*self._featurize(space, archs), values[:, None])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            encoder = archgen.load("encoder", "gin", input_dim=len(space.op_vocabulary),
                                   hidden_dims=list(o.hidden_dims), out_dim=o.width)
            self.model = SetConditionedSurrogate(encoder, o.width).to(self.device)
        meta_losses: list[float] = []
        source_rows = 0
        meta_key = (id(space), seed, str(self.device))
        if o.sources and self._meta_key == meta_key and self._meta_state is not None:
            self.model.load_state_dict(self._meta_state)
        elif o.sources:
            optimizer = torch.optim.AdamW(self.model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
            rng = np.random.default_rng(seed)
            sources = self._label_sources(space)
            source_rows = len(sources.values)
            for _ in progress(range(o.meta_steps), desc="transferable meta-training"):
                meta_losses.append(self._step(optimizer, self._source_episodes(sources, rng)))
            self._meta_key = meta_key
            self._meta_state = {name: tensor.detach().clone() for name, tensor in self.model.state_dict().items()}
        # Adaptation starts afresh (optimizer, episode draws) either way, so reusing the meta-trained
        # weights gives exactly what meta-training again would.
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
        rng = np.random.default_rng([seed, 1])
        adapt_losses = [self._step(optimizer, self._target_episodes(target, rng))
                        for _ in progress(range(o.adapt_steps), desc="transferable adaptation")]
        self.model.eval()
        self._support = (target.adjacency, target.ops)
        self._support_values = values
        return {
            "sources": list(o.sources),
            "source_archs": source_rows,
            "meta_steps": len(meta_losses),
            "meta_reused": bool(o.sources) and not meta_losses and o.meta_steps > 0,
            "adapt_steps": len(adapt_losses),
            "meta_loss": _tail_mean(meta_losses),
            "adapt_loss": _tail_mean(adapt_losses),
            "seconds": time.perf_counter() - started,
        }

    @torch.no_grad()
    def predict(self, space: SearchSpace, archs: Sequence[Architecture], batch_size: int = 4096) -> np.ndarray:
        """Predictions in the units of ``fit``'s targets, conditioned on all of them.

        Raises:
            RuntimeError: If the predictor has not been fitted.
        """
        if self.model is None or self._support is None:
            raise RuntimeError("TransferablePredictor is not fitted: call fit() first")
        archs = list(archs)
        if not archs:
            return np.zeros(0)
        support = self.model.embed_graphs(*self._support).unsqueeze(0)
        support_y = torch.as_tensor(_standardise(self._support_values, self._support_values),
                                    dtype=torch.float32, device=self.device).unsqueeze(0)
        mask = torch.ones(support_y.shape, dtype=torch.bool, device=self.device)
        out = np.zeros(len(archs))
        for start in range(0, len(archs), batch_size):
            adjacency, ops = self._featurize(space, archs[start : start + batch_size])
            query = self.model.embed_graphs(adjacency, ops).unsqueeze(0)
            out[start : start + len(query[0])] = self.model(support, support_y, mask, query)[0].double().cpu().numpy()
        scale = float(self._support_values.std())
        return out * (scale if scale > 1e-12 else 1.0) + float(self._support_values.mean())

    # -- data -----------------------------------------------------------------------------------
    def _featurize(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[torch.Tensor, torch.Tensor]:
        adjacency, ops = space.to_tensors(list(archs))
        return adjacency.float().to(self.device), ops.float().to(self.device)

    def _label_sources(self, space: SearchSpace) -> _LabelledSet:
        """``source_archs`` uniform draws labelled by every source oracle (NaN where one has no entry)."""
        o = self.options
        oracles = [space.oracle(metric) for metric in o.sources]
        archs = space.sample(o.source_archs, seed=o.source_seed)
        values = np.full((len(archs), len(oracles)), np.nan)
        for column, oracle in enumerate(oracles):
            for row, arch in enumerate(archs):
                try:
                    values[row, column] = oracle.query(arch)
                except InvalidArchitectureError:
                    continue
        counts = np.isfinite(values).sum(0)
        for metric, count in zip(o.sources, counts):
            if count < o.support_min + 1:
                raise ConfigError(
                    f"transferable source {metric!r} labels only {int(count)} of {len(archs)} drawn architectures; "
                    f"an episode needs support_min + 1 = {o.support_min + 1} (raise source_archs or drop the source)"
                )
        return _LabelledSet(*self._featurize(space, archs), values)

    def _source_episodes(self, sources: _LabelledSet, rng: np.random.Generator) -> tuple[list[_Episode], _LabelledSet]:
        o = self.options
        episodes = []
        for _ in range(o.episodes_per_step):
            column = int(rng.integers(sources.values.shape[1]))
            rows = np.flatnonzero(np.isfinite(sources.values[:, column]))
            support_size = int(rng.integers(o.support_min, o.support_max + 1))
            support_size = min(support_size, len(rows) - 1)
            chosen = rng.choice(rows, size=min(len(rows), support_size + o.query_size), replace=False)
            episodes.append((chosen[:support_size], chosen[support_size:], sources.values[:, column]))
        return episodes, sources

    def _target_episodes(self, target: _LabelledSet, rng: np.random.Generator) -> tuple[list[_Episode], _LabelledSet]:
        # The new task's labels split in two: a support set of random size and the rest as queries.
        count = len(target.values)
        episodes = []
        for _ in range(self.options.episodes_per_step):
            order = rng.permutation(count)
            support_size = int(rng.integers(max(1, count // 2), count))
            episodes.append((order[:support_size], order[support_size:], target.values[:, 0]))
        return episodes, target

    # -- training -------------------------------------------------------------------------------
    def _step(self, optimizer: torch.optim.Optimizer, drawn: tuple[list[_Episode], _LabelledSet]) -> float:
        episodes, data = drawn
        batch = self._pad(episodes, data)
        assert self.model is not None
        self.model.train()
        rows = torch.cat([batch.support_rows, batch.query_rows])
        embedded = self.model.embed_graphs(data.adjacency[rows], data.ops[rows])
        support = embedded[: len(batch.support_rows)].reshape(*batch.support_y.shape, -1)
        query = embedded[len(batch.support_rows) :].reshape(*batch.query_y.shape, -1)
        predicted = self.model(support, batch.support_y, batch.support_mask, query)
        mask = batch.query_mask
        loss = F.mse_loss(predicted[mask], batch.query_y[mask])
        if self.options.rank_weight:
            rank = torch.stack([pairwise_rank_loss(predicted[e][mask[e]], batch.query_y[e][mask[e]])
                                for e in range(len(predicted))]).mean()
            loss = loss + self.options.rank_weight * rank
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def _pad(self, episodes: list[_Episode], data: _LabelledSet) -> _PaddedBatch:
        support_width = max(len(support) for support, _, _ in episodes)
        query_width = max(len(query) for _, query, _ in episodes)
        count = len(episodes)
        support_rows = np.zeros((count, support_width), dtype=np.int64)
        query_rows = np.zeros((count, query_width), dtype=np.int64)
        support_y = np.zeros((count, support_width))
        query_y = np.zeros((count, query_width))
        support_mask = np.zeros((count, support_width), dtype=bool)
        query_mask = np.zeros((count, query_width), dtype=bool)
        for e, (support, query, values) in enumerate(episodes):
            support_rows[e, : len(support)], query_rows[e, : len(query)] = support, query
            # Padding repeats row 0 of the episode; the masks keep it out of attention and the loss.
            support_rows[e, len(support) :] = support[0]
            query_rows[e, len(query) :] = query[0] if len(query) else support[0]
            support_y[e, : len(support)] = _standardise(values[support], values[support])
            query_y[e, : len(query)] = _standardise(values[support], values[query])
            support_mask[e, : len(support)], query_mask[e, : len(query)] = True, True
        device = self.device
        return _PaddedBatch(
            torch.as_tensor(support_rows.reshape(-1), device=device),
            torch.as_tensor(query_rows.reshape(-1), device=device),
            torch.as_tensor(support_y, dtype=torch.float32, device=device),
            torch.as_tensor(query_y, dtype=torch.float32, device=device),
            torch.as_tensor(support_mask, device=device),
            torch.as_tensor(query_mask, device=device),
        )


class _PaddedBatch:
    def __init__(self, support_rows, query_rows, support_y, query_y, support_mask, query_mask):
        self.support_rows, self.query_rows = support_rows, query_rows
        self.support_y, self.query_y = support_y, query_y
        self.support_mask, self.query_mask = support_mask, query_mask


def _tail_mean(losses: list[float]) -> float | None:
    if not losses:
        return None
    return float(np.mean(losses[-max(1, len(losses) // 10) :]))


__all__ = ["SetConditionedSurrogate", "TransferableOptions", "TransferablePredictor"]
