"""What every neural predictor here shares: the training objective, target scaling and ensembling.

The options the predictor literature found to matter are the same for every model, so they live
once, here: targets standardised to zero mean and unit variance (``normalise_targets``), a
pairwise ranking loss beside the MSE (``rank_weight``; the figure of merit is Kendall's τ, a
ranking statistic, and a ranking term is what TNASP-style and NPENAS-style predictors add),
ensembles of independently initialised members whose predictions are averaged (``ensemble``),
one written form per network (``canonical_inputs``: the space's equal cells featurized alike), and
students trained on the ensemble's own predictions over unlabelled architectures
(``self_training``, :mod:`~archgen.plugins.predictors.self_training`).
A model plugs in by saying how architectures become tensors (:meth:`NeuralRegressor.featurize`)
and which module maps them to one number each (:meth:`NeuralRegressor.build_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.self_training import SelfTrainingOptions, pseudo_label_draws
from archgen.protocols import SearchSpace
from archgen.runtime import Runtime
from archgen.training import train_epochs


class RegressorOptions(BaseModel):
    """Training options shared by the neural predictors.

    Attributes:
        epochs: Passes over the labelled architectures per ensemble member.
        batch_size: Architectures per step.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        normalise_targets: Standardise the targets (predictions are mapped back).
        rank_weight: Weight of the pairwise logistic ranking loss beside the MSE (0 = MSE only).
        ensemble: Independently initialised members, predictions averaged.
        canonical_inputs: Featurize each architecture's class representative instead of the
            architecture as written (:class:`~archgen.plugins.predictors.canonical_forms.CanonicalForms`),
            so equal networks written apart get one prediction and share their labels.
        self_training: Pseudo-labelling rounds after the labelled fit
            (:class:`~archgen.plugins.predictors.self_training.SelfTrainingOptions`; off by default).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    epochs: int = Field(200, ge=1, le=100_000)
    batch_size: int = Field(32, ge=2, le=1_000_000)
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    normalise_targets: bool = True
    rank_weight: float = Field(0.5, ge=0.0, le=1000.0)
    ensemble: int = Field(1, ge=1, le=100)
    canonical_inputs: bool = False
    self_training: SelfTrainingOptions = Field(default_factory=SelfTrainingOptions)


def pairwise_rank_loss(predicted: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean logistic loss over every ordered pair of the batch with different targets.

    ``log(1 + exp(-(p_i - p_j)))`` for each pair with ``y_i > y_j``: zero gradient only when the
    predictions order every pair as the targets do, by a margin.

    Args:
        predicted: ``[B]`` predictions.
        target: ``[B]`` targets.
        weight: ``[B]`` example weights (``None``: all 1); a pair weighs ``w_i * w_j`` and the
            mean is weighted.

    Returns:
        A scalar (0 when no pair differs).
    """
    better = target[:, None] > target[None, :]
    if not bool(better.any()):
        return predicted.sum() * 0.0
    margin = predicted[:, None] - predicted[None, :]
    losses = F.softplus(-margin[better])
    if weight is None:
        return losses.mean()
    pair_weight = (weight[:, None] * weight[None, :])[better]
    return (losses * pair_weight).sum() / pair_weight.sum()


def check_labels(archs: Sequence[Architecture], targets: Any) -> np.ndarray:
    """The targets as a float64 vector, refused unless there is one finite target per architecture.

    Raises:
        ConfigError: For a length mismatch, a non-numeric, NaN or infinite target, or fewer than two.
    """
    try:
        values = np.asarray(targets, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"predictor targets must be numbers, got {type(targets).__name__}") from None
    if values.ndim != 1 or len(values) != len(archs):
        raise ConfigError(f"predictor got {len(archs)} architectures but targets of shape {list(values.shape)}; one target per architecture is needed")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ConfigError(f"predictor targets must be finite; target {int(bad[0])} is {values[bad[0]]} ({len(bad)} such)")
    if len(values) < 2:
        raise ConfigError(f"a predictor needs at least 2 labelled architectures, got {len(values)}")
    return values


class NeuralRegressor:
    """A :class:`archgen.protocols.Predictor` made of a featurizer and a module (subclasses supply both).

    Args:
        options: The subclass's options (a :class:`RegressorOptions` subclass).
    """

    options: RegressorOptions

    def __init__(self, options: RegressorOptions):
        self.options = options
        self.members: list[nn.Module] = []
        self.mean, self.scale = 0.0, 1.0
        self.device = torch.device("cpu")
        self.forms: CanonicalForms | None = None

    # -- what a model supplies ----------------------------------------------------------------
    def featurize(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[torch.Tensor, ...]:
        """Architectures to tensors with one row per architecture."""
        raise NotImplementedError

    def build_model(self, space: SearchSpace) -> nn.Module:
        """A fresh module mapping a featurized batch (``*tensors``) to ``[B]`` predictions."""
        raise NotImplementedError

    def prepare(self, space: SearchSpace, runtime: Runtime) -> dict[str, Any]:
        """Work done once per fit before the members are built (e.g. pre-training); returns fit statistics."""
        return {}

    def forward(self, model: nn.Module, batch: tuple[torch.Tensor, ...], generator: torch.Generator | None) -> torch.Tensor:
        """Runs ``model`` on a batch; ``generator`` is set while training (for random augmentation)."""
        return model(*batch)

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
        """Trains ``ensemble`` members on the labelled architectures.

        Member ``m`` is initialised, shuffled and augmented from ``seed * 1000 + m``, so a fit is
        reproducible and members differ. torch's global random state is left as it was.

        With ``self_training``, each round the ensemble predicts a draw of unlabelled
        architectures and is replaced by ``ensemble`` students (seeds ``seed * 1000 + 100 * round + m``)
        trained on the labels and those pseudo-labels together.

        Returns:
            ``{"epochs", "members", "canonical_inputs", "loss", "mse", "rank", "seconds_per_epoch"}``
            (last epoch of the last ensemble, member mean; ``canonical_inputs`` is the
            :class:`CanonicalForms` method or ``"off"``), with ``"self_training"`` (rounds, pseudo-labels
            per round) when it ran.

        Raises:
            ConfigError: If the targets do not match the architectures or are not finite.
        """
        o = self.options
        values = check_labels(archs, targets)
        runtime = runtime or Runtime()
        self.device = runtime.device
        if o.normalise_targets:
            self.mean, self.scale = float(values.mean()), float(values.std()) or 1.0
        else:
            self.mean, self.scale = 0.0, 1.0
        y = torch.as_tensor((values - self.mean) / self.scale, dtype=torch.float32, device=runtime.device)
        self.forms = CanonicalForms(space) if o.canonical_inputs else None
        prepared = self.prepare(space, runtime)
        inputs = self._inputs(archs)
        features = [tensor.to(runtime.device) for tensor in self.featurize(space, inputs)]
        logs = self._train_ensemble(space, features, y, None, seed * 1000, o.epochs, runtime)
        draws = [draw for draw in pseudo_label_draws(space, inputs, o.self_training, self.forms) if draw]
        for round_index, draw in enumerate(draws, start=1):
            # The draw is already in the predictor's written forms, so it is featurized beside the labels as is.
            both = [tensor.to(runtime.device) for tensor in self.featurize(space, inputs + draw)]
            pseudo = self._predict_standardised(tuple(tensor[len(inputs):] for tensor in both)).float()
            targets = torch.cat([y, pseudo])
            weights = torch.cat([torch.ones_like(y), torch.full_like(pseudo, o.self_training.weight)])
            epochs = o.self_training.epochs or o.epochs
            logs = self._train_ensemble(space, both, targets, weights, seed * 1000 + 100 * round_index, epochs, runtime)
        summary = {key: float(np.mean([log[key] for log in logs])) for key in ("loss", "mse", "rank", "seconds_per_epoch")}
        forms = self.forms.method if self.forms is not None else "off"
        extra = {"self_training": {"rounds": len(draws), "pseudo_labels": len(draws[0])}} if draws else {}
        return {"epochs": o.epochs, "members": o.ensemble, "canonical_inputs": forms, **summary, **prepared, **extra}

    def _train_ensemble(
        self,
        space: SearchSpace,
        features: list[torch.Tensor],
        y: torch.Tensor,
        weights: torch.Tensor | None,
        first_seed: int,
        epochs: int,
        runtime: Runtime,
    ) -> list[dict[str, float]]:
        """Replaces ``self.members`` with ``ensemble`` fresh members (member ``m`` seeded ``first_seed + m``)."""
        members, logs = [], []
        for member in range(self.options.ensemble):
            member_seed = first_seed + member
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(member_seed)
                model = self.build_model(space).to(runtime.device)
                logs.append(self._train(model, features, y, weights, member_seed, epochs, runtime))
            members.append(model.eval())
        self.members = members
        return logs

    def _inputs(self, archs: Sequence[Architecture]) -> list[Architecture]:
        return self.forms(archs) if self.forms is not None else list(archs)

    def _train(
        self,
        model: nn.Module,
        features: list[torch.Tensor],
        y: torch.Tensor,
        weights: torch.Tensor | None,
        seed: int,
        epochs: int,
        runtime: Runtime,
    ) -> dict[str, float]:
        o = self.options
        optimizer = torch.optim.AdamW(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
        augment = torch.Generator().manual_seed(seed)
        # An unweighted fit keeps F.mse_loss rather than a mean weighted by ones: the two differ in the
        # last bits, and every recorded τ was measured on the unweighted path.
        weighted = weights is not None

        def step(wrapped: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            if weighted:
                *inputs, target, weight = batch
            else:
                (*inputs, target), weight = batch, None
            predicted = self.forward(wrapped, tuple(inputs), augment).float()
            if weight is None:
                mse = F.mse_loss(predicted, target)
            else:
                mse = (weight * (predicted - target) ** 2).sum() / weight.sum()
            rank = pairwise_rank_loss(predicted, target, weight) if o.rank_weight else mse.detach() * 0.0
            loss = mse + o.rank_weight * rank
            return loss, {"loss": loss.detach(), "mse": mse.detach(), "rank": rank.detach()}

        # Fewer labels than a batch (N = 78 at batch 128) train as one full batch per epoch.
        batch_size = min(o.batch_size, len(y))
        data = [*features, y, weights] if weighted else [*features, y]
        result = train_epochs(
            model, optimizer, data, step,
            stage="predictor", epochs=epochs, batch_size=batch_size, seed=seed, runtime=runtime,
        )
        return {**result.logs, "seconds_per_epoch": result.seconds_per_epoch}

    @torch.no_grad()
    def predict(self, space: SearchSpace, archs: Sequence[Architecture], batch_size: int = 4096) -> np.ndarray:
        """The ensemble's mean prediction per architecture, in the targets' units.

        Raises:
            RuntimeError: If the predictor has not been fitted.
        """
        if not self.members:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() first")
        archs = list(archs)
        if not archs:
            return np.zeros(0)
        out = np.zeros(len(archs))
        for start in range(0, len(archs), batch_size):
            chunk = archs[start : start + batch_size]
            features = tuple(tensor.to(self.device) for tensor in self.featurize(space, self._inputs(chunk)))
            out[start : start + len(chunk)] = self._predict_standardised(features).cpu().numpy()
        return out * self.scale + self.mean

    @torch.no_grad()
    def _predict_standardised(self, features: tuple[torch.Tensor, ...], batch_size: int = 4096) -> torch.Tensor:
        """The members' mean prediction (float64) of featurized architectures, in standardised units."""
        rows = len(features[0])
        parts = []
        for start in range(0, rows, batch_size):
            batch = tuple(tensor[start : start + batch_size] for tensor in features)
            parts.append(sum(self.forward(member, batch, None).double() for member in self.members) / len(self.members))
        return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64, device=self.device)


def mlp_head(in_dim: int, hidden: int, layers: int = 2) -> nn.Sequential:
    """``layers`` linear maps with ReLU between them, ending in one output."""
    blocks: list[nn.Module] = []
    dim = in_dim
    for _ in range(layers - 1):
        blocks += [nn.Linear(dim, hidden), nn.ReLU()]
        dim = hidden
    blocks.append(nn.Linear(dim, 1))
    return nn.Sequential(*blocks)


__all__ = ["NeuralRegressor", "RegressorOptions", "check_labels", "mlp_head", "pairwise_rank_loss"]
