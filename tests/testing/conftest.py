"""Tiny, correct in-test plugins of every slot, for the kit tests to run and to break on purpose.

Each is the smallest honest implementation of its protocol: a per-position
categorical generator and prior fitted by counting, a mean predictor, a random
searcher, and an oracle whose score is a fixed function of the canonical key.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from pydantic import BaseModel, ConfigDict, Field

import archgen
from archgen.atomic import atomic_path
from archgen.errors import BudgetExhaustedError, CheckpointError, InvalidArchitectureError
from archgen.generation import SampleBatch, validate_sampling


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmoothingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smoothing: float = Field(0.0, ge=0.0)


class CountingGenerator:
    """Per-node categorical over ops, fitted by counting; the adjacency is the first training graph's."""

    Options: ClassVar[type[BaseModel]] = NoOptions
    SamplingOptions: ClassVar[type[BaseModel]] = SmoothingOptions

    def __init__(self, options: BaseModel | None = None):
        self.counts: np.ndarray | None = None
        self.adjacency: np.ndarray | None = None

    def fit(self, space, train, *, validation=(), runtime=None, seed=0, callbacks=()) -> dict[str, Any]:
        adjacency, ops = space.to_tensors(train)
        ops = ops.numpy()
        self.counts = ops.sum(0)  # [N, K]
        self.adjacency = adjacency[0].numpy().astype(np.uint8)
        for callback in callbacks:
            callback("count", 1, {"architectures": float(len(train))})
        return {"architectures": len(train)}

    def sample(self, space, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        knobs = validate_sampling(self.SamplingOptions, sampling)
        return self._sample(space, n, np.random.default_rng(seed), knobs.model_dump(), seed)

    def _sample(self, space, n: int, rng: np.random.Generator, knobs: dict[str, Any], seed: int) -> SampleBatch:
        weights = self.counts + knobs.get("smoothing", 0.0)
        probabilities = weights / weights.sum(-1, keepdims=True)
        cumulative = probabilities.cumsum(-1)
        u = rng.random((n, len(probabilities), 1))
        ops = (u > cumulative[None]).sum(-1).clip(max=probabilities.shape[-1] - 1)
        adjacency = np.repeat(self.adjacency[None], n, axis=0)
        return SampleBatch(adjacency, ops.astype(np.int64), np.ones(n, dtype=bool), ops.tolist(), knobs, seed)

    def save(self, directory) -> list[Path]:
        path = Path(directory) / "counts.json"
        with atomic_path(path) as temporary:
            Path(temporary).write_text(json.dumps({"counts": self.counts.tolist(), "adjacency": self.adjacency.tolist()}))
        return [path]

    def load(self, directory, space, runtime=None):
        path = Path(directory) / "counts.json"
        if not path.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} not found")
        try:
            state = json.loads(path.read_text())
            self.counts = np.asarray(state["counts"], dtype=np.float64)
            self.adjacency = np.asarray(state["adjacency"], dtype=np.uint8)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise CheckpointError(f"checkpoint {str(path)!r} is corrupt") from None
        return self


class CountingPrior:
    """Per-position categorical over codes; every draw is well formed."""

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")
        vocab_size: int = 0
        seq_len: int = 0

    SamplingOptions: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None):
        self.options = options or self.Options()
        self.counts = np.ones((self.options.seq_len, self.options.vocab_size))

    def fit(self, sequences: torch.Tensor, **training: Any) -> dict[str, float]:
        for position, column in enumerate(sequences.T.tolist()):
            self.counts[position] += np.bincount(column, minlength=self.options.vocab_size)
        return {"sequences": float(len(sequences))}

    def sample(self, n: int, *, seed: int = 0, **sampling: Any) -> tuple[torch.Tensor, torch.Tensor]:
        validate_sampling(self.SamplingOptions, sampling)
        rng = np.random.default_rng(seed)
        codes = np.stack([rng.choice(len(p), size=n, p=p / p.sum()) for p in self.counts], axis=1)
        return torch.from_numpy(codes), torch.ones(n, dtype=torch.bool)


class MeanPredictor:
    """Predicts the training targets' mean for every architecture."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None):
        self.mean: float | None = None

    def fit(self, space, archs, targets, *, runtime=None, seed=0) -> dict[str, Any]:
        self.mean = float(np.mean(targets))
        return {"mean": self.mean}

    def predict(self, space, archs) -> np.ndarray:
        if self.mean is None:
            raise RuntimeError("MeanPredictor is not fitted: call fit() first")
        return np.full(len(archs), self.mean)


class RandomSearcher:
    """Queries uniformly sampled architectures until the oracle's budget refuses."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None):
        pass

    def propose(self, space, rng: np.random.Generator):
        return space.sample(1, seed=int(rng.integers(2**31)))[0]

    def search(self, space, oracle, *, seed: int = 0, runtime=None) -> None:
        rng = np.random.default_rng(seed)
        while True:
            try:
                oracle.query(self.propose(space, rng))
            except BudgetExhaustedError:
                return


class FormulaOracle:
    """Scores every valid architecture of a space by a fixed hash of its canonical key (percent)."""

    metric, unit, higher_is_better = "synthetic", "%", True

    def __init__(self, space):
        self._space = space
        self.space = space.name

    def query(self, arch) -> float:
        reason = self._space.why_invalid(arch)
        if reason is not None:
            raise InvalidArchitectureError(f"not a member of {self.space!r}: {reason}")
        return zlib.crc32(repr(self._space.canonical_key(arch)).encode()) % 10_000 / 100.0


@pytest.fixture(scope="session")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="session")
def nb201_train(nb201):
    """About 200 NB201 cells, the training set of every kit run here."""
    return nb201.sample(200, seed=0)


@pytest.fixture(scope="session")
def plugins() -> dict[str, type]:
    """The in-test plugin classes, by role."""
    return {
        "generator": CountingGenerator,
        "prior": CountingPrior,
        "predictor": MeanPredictor,
        "searcher": RandomSearcher,
        "oracle": FormulaOracle,
    }
