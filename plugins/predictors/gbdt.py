"""``gbdt``: gradient-boosted trees on the flat encoding (scikit-learn), the non-neural baseline.

NAS predictor surveys (White et al., "How Powerful are Performance Predictors in NAS?", NeurIPS
2021) find tree ensembles on the adjacency + one-hot encoding among the strongest predictors at
small N. scikit-learn's ``HistGradientBoostingRegressor`` is a well-kept, well-tested
implementation of exactly that, so we use it rather than write a booster: it is the optional
extra ``archgen[sklearn]`` (the test extra includes it), imported only when this plugin is built.

Features are the space's padded graph form, flattened: the strict upper triangle of the adjacency
(the graph forms are DAGs in topological order) and the one-hot ops of every node. Targets are
checked like every predictor's (:func:`check_labels`); an ensemble averages boosters fitted with
different seeds on row subsamples drawn without replacement, so ``guided`` search gets a spread to sample from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.plugins.predictors.regression import check_labels
from archgen.protocols import SearchSpace
from archgen.runtime import Runtime


class GBDTOptions(BaseModel):
    """Options of the ``gbdt`` predictor (scikit-learn ``HistGradientBoostingRegressor``).

    Attributes:
        max_iter: Boosting iterations.
        learning_rate: Shrinkage per iteration.
        max_leaf_nodes: Leaves per tree.
        min_samples_leaf: Smallest leaf (scikit-learn's default 20 is too large for N = 78).
        l2_regularization: L2 penalty on leaf values.
        ensemble: Boosters fitted with different seeds, predictions averaged.
        subsample: Fraction of the labelled rows each ensemble member sees (1.0 = all; the members
            then differ only through their seeds).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    max_iter: int = Field(500, ge=1, le=100_000)
    learning_rate: float = Field(0.05, gt=0.0, le=1.0)
    max_leaf_nodes: int = Field(15, ge=2, le=4096)
    min_samples_leaf: int = Field(5, ge=1, le=100_000)
    l2_regularization: float = Field(0.0, ge=0.0)
    ensemble: int = Field(1, ge=1, le=100)
    subsample: float = Field(1.0, gt=0.0, le=1.0)


def flat_encoding(space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
    """``[B, N(N-1)/2 + N*K]`` float32: upper-triangular adjacency entries, then one-hot ops.

    Args:
        space: The space whose ``to_tensors`` gives the padded graph form.
        archs: Architectures of that space.
    """
    adjacency, ops = space.to_tensors(list(archs))
    adjacency, ops = adjacency.numpy(), ops.numpy()
    rows, cols = np.triu_indices(adjacency.shape[-1], k=1)
    return np.concatenate([adjacency[:, rows, cols], ops.reshape(len(ops), -1)], axis=1).astype(np.float32)


def _regressor_class() -> Any:
    try:
        from sklearn.ensemble import HistGradientBoostingRegressor
    except ImportError:
        raise ConfigError("predictor 'gbdt' needs scikit-learn: pip install 'archgen[sklearn]'") from None
    return HistGradientBoostingRegressor


class GBDTPredictor:
    """Gradient-boosted trees over :func:`flat_encoding` (a :class:`archgen.protocols.Predictor`)."""

    Options: ClassVar[type[BaseModel]] = GBDTOptions
    TEST_OPTIONS: ClassVar[dict] = {"max_iter": 30, "min_samples_leaf": 2, "ensemble": 2, "subsample": 0.8}

    def __init__(self, options: GBDTOptions | None = None):
        self.options = options or GBDTOptions()
        self.members: list[Any] = []

    def fit(
        self,
        space: SearchSpace,
        archs: Sequence[Architecture],
        targets: np.ndarray,
        *,
        runtime: Runtime | None = None,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Fits ``ensemble`` boosters; member ``m`` uses seed ``seed * 1000 + m`` for its rows and splits.

        Returns:
            ``{"members", "iterations", "train_mse"}`` (iterations and MSE averaged over members).

        Raises:
            ConfigError: If the targets do not match the architectures or are not finite, or
                scikit-learn is not installed.
        """
        o = self.options
        values = check_labels(archs, targets)
        regressor = _regressor_class()
        features = flat_encoding(space, archs)
        self.members = []
        for member in range(o.ensemble):
            member_seed = seed * 1000 + member
            rows = np.arange(len(values))
            if o.subsample < 1.0:
                keep = max(2, int(round(o.subsample * len(values))))
                rows = np.sort(np.random.default_rng(member_seed).choice(len(values), keep, replace=False))
            model = regressor(
                max_iter=o.max_iter,
                learning_rate=o.learning_rate,
                max_leaf_nodes=o.max_leaf_nodes,
                min_samples_leaf=min(o.min_samples_leaf, max(1, len(rows) // 2)),
                l2_regularization=o.l2_regularization,
                early_stopping=False,  # a held-out split would take labels from N = 78
                random_state=member_seed,
            )
            self.members.append(model.fit(features[rows], values[rows]))
        predicted = self.predict(space, archs)
        return {
            "members": o.ensemble,
            "iterations": float(np.mean([model.n_iter_ for model in self.members])),
            "train_mse": float(np.mean((predicted - values) ** 2)),
        }

    def predict(self, space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
        """The ensemble's mean prediction per architecture (``[B]`` float64).

        Raises:
            RuntimeError: If the predictor has not been fitted.
        """
        if not self.members:
            raise RuntimeError("GBDTPredictor is not fitted: call fit() first")
        archs = list(archs)
        if not archs:
            return np.zeros(0)
        features = flat_encoding(space, archs)
        return np.mean([model.predict(features) for model in self.members], axis=0).astype(np.float64)


__all__ = ["GBDTOptions", "GBDTPredictor", "flat_encoding"]
