"""What a generator returns when it samples: decoded graphs, whatever the method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.validation_messages import describe_validation_error


class TensorForm(Protocol):
    """What a batch needs of a search space: its padded tensor form (part of ``archgen.protocols.SearchSpace``).

    Declared here rather than imported because the protocols name :class:`SampleBatch` as what a
    generator returns; importing them back would make the two modules a cycle.
    """

    op_vocabulary: tuple[str, ...]
    max_nodes: int

    def to_tensors(self, archs: Sequence[Architecture]) -> tuple[Any, Any]: ...

    def from_tensors(self, adjacency: Any, ops: Any) -> list[Architecture]: ...


@runtime_checkable
class ArrayForm(Protocol):
    """Capability of spaces that give the padded graph form as integer arrays (cheaper than tensors).

    One of the space capabilities of :mod:`archgen.protocols`, which re-exports it; defined here
    because :meth:`SampleBatch.from_architectures` checks for it, and this module may not import
    the protocols (they name :class:`SampleBatch`: the two would be a cycle).
    """

    def to_arrays(self, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """Padded ``(adjacency [B, N, N] uint8, op indices [B, N] int64)``; ``-1`` marks zero padding."""


@dataclass(frozen=True)
class SampleBatch:
    """A batch of sampled architectures as decoded graphs in the space's padded array form.

    Decoded graphs are kept raw: a graph that left the space's topology is
    still here (it is the metrics' business to judge it), so evaluation never
    needs the generator again.

    Attributes:
        adjacency: ``[n, N, N]`` 0/1 strict upper triangles (zeros where not well formed).
        op_indices: ``[n, N]`` op indices into the space's vocabulary (``-1`` marks zero padding).
        well_formed: ``[n]`` True where the generator produced a decodable graph
            (e.g. a code sequence of the right length without special tokens).
        tokens: Per sample, the generator's own opaque representation (VQ code
            lists, LLM text, ...), JSON-ready; stored beside the graph, never read back
            by evaluation.
        sampling: The sampling options used (validated by the generator's ``SamplingOptions``).
        seed: The sampling seed.
    """

    adjacency: np.ndarray
    op_indices: np.ndarray
    well_formed: np.ndarray
    tokens: list[Any] | None = None
    sampling: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        n = len(self.well_formed)
        if self.adjacency.shape[0] != n or self.op_indices.shape[0] != n or self.adjacency.ndim != 3:
            raise ValueError(
                f"SampleBatch: adjacency {self.adjacency.shape}, op_indices {self.op_indices.shape} and "
                f"well_formed {self.well_formed.shape} disagree"
            )
        if self.tokens is not None and len(self.tokens) != n:
            raise ValueError(f"SampleBatch: {len(self.tokens)} tokens for {n} samples")

    def __len__(self) -> int:
        return len(self.well_formed)

    @classmethod
    def from_architectures(
        cls,
        space: TensorForm,
        archs: list[Architecture | None],
        *,
        tokens: list[Any] | None = None,
        sampling: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> SampleBatch:
        """A batch from decoded architectures (``None`` where a draw was not well formed)."""
        n, m = len(archs), space.max_nodes
        adjacency = np.zeros((n, m, m), dtype=np.uint8)
        op_indices = np.zeros((n, m), dtype=np.int64)
        well_formed = np.array([a is not None for a in archs], dtype=bool)
        rows = np.flatnonzero(well_formed)
        if len(rows):
            present = [archs[i] for i in rows]
            if isinstance(space, ArrayForm):
                adjacency[rows], op_indices[rows] = space.to_arrays(present)
            else:
                adjacency_t, ops_t = space.to_tensors(present)
                adjacency[rows] = adjacency_t.numpy().astype(np.uint8)
                op_indices[rows] = np.where(ops_t.numpy().any(-1), ops_t.numpy().argmax(-1), -1)
        return cls(adjacency, op_indices, well_formed, tokens, dict(sampling or {}), int(seed))

    def architectures(self, space: TensorForm) -> list[Architecture | None]:
        """Decoded architectures, ``None`` where the draw was not well formed."""
        rows = np.flatnonzero(self.well_formed)
        decoded = space.from_tensors(self.adjacency[rows], self._ops_for(space, rows)) if len(rows) else []
        result: list[Architecture | None] = [None] * len(self)
        for row, arch in zip(rows.tolist(), decoded):
            result[row] = arch
        return result

    def _ops_for(self, space: TensorForm, rows: np.ndarray) -> np.ndarray:
        ops = self.op_indices[rows]
        if (ops >= 0).all():
            return ops
        # Zero-padded rows go back as all-zero one-hot rows, which from_tensors drops.
        one_hot = np.zeros((*ops.shape, len(space.op_vocabulary)), dtype=np.float32)
        b, node = np.nonzero(ops >= 0)
        one_hot[b, node, ops[b, node]] = 1.0
        return one_hot


class TokenSamplingOptions(BaseModel):
    """The usual knobs of a model that samples token by token (transformer, LLM priors).

    Attributes:
        temperature: Divides the logits (``> 0``, finite); 1 is the model's own distribution.
        top_k: Keep only the k most likely tokens (``None`` = off).
        top_p: Nucleus sampling: the smallest set of tokens with this much mass (``None`` = off).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    temperature: float = Field(1.0, gt=0.0, le=1000.0)
    top_k: int | None = Field(None, ge=1)
    top_p: float | None = Field(None, gt=0.0, le=1.0)


class NoSamplingOptions(BaseModel):
    """Sampling options of a generator that takes none (e.g. ``uniform``)."""

    model_config = ConfigDict(extra="forbid")


def validate_sampling(model: type[BaseModel], sampling: dict[str, Any] | BaseModel) -> Any:
    """Validates sampling options against a generator's or prior's ``SamplingOptions``.

    Raises:
        ConfigError: One line naming each bad key or value and the accepted keys.
    """
    if isinstance(sampling, model):
        return sampling
    try:
        return model.model_validate(dict(sampling))
    except ValidationError as error:
        raise ConfigError(
            f"bad sampling options: {describe_validation_error(error)} (accepted: {sorted(model.model_fields) or 'none'})"
        ) from None
