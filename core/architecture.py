"""The architecture data model shared by every space and model.

An :class:`Architecture` is a node-labelled DAG: a strictly upper-triangular
0/1 adjacency matrix (an edge ``i -> j`` needs ``i < j``, so node order is a
topological order) and one op name per node, tagged with the name of the
space it belongs to. It is immutable, hashable, totally ordered and round-trips
through JSON. Whether it is a *valid* member of its space is the space's
business (:meth:`archgen.protocols.SearchSpace.is_valid`), not the model's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgen.errors import InvalidArchitectureError


@dataclass(frozen=True, order=True)
class Architecture:
    """A node-labelled DAG of one search space.

    Args:
        space: Name of the search space (its entry-point name, as ``archgen plugins`` lists it).
        adjacency: Square 0/1 matrix as a tuple of row tuples; strictly upper
            triangular.
        ops: One op label per node, in node order.

    Raises:
        InvalidArchitectureError: If the matrix is not square, not 0/1, not
            strictly upper triangular, or does not match ``len(ops)``.
    """

    space: str
    adjacency: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.ops)
        if len(self.adjacency) != n or any(len(row) != n for row in self.adjacency):
            raise InvalidArchitectureError(
                f"adjacency of shape {len(self.adjacency)}x"
                f"{len(self.adjacency[0]) if self.adjacency else 0} does not match {n} ops"
            )
        for i, row in enumerate(self.adjacency):
            for j, value in enumerate(row):
                if value not in (0, 1):
                    raise InvalidArchitectureError(f"adjacency[{i}][{j}] = {value!r}; expected 0 or 1")
                if value and j <= i:
                    raise InvalidArchitectureError(
                        f"edge {i}->{j} is not strictly upper triangular (need i < j)"
                    )
        if not all(isinstance(op, str) for op in self.ops):
            raise InvalidArchitectureError(f"ops must be strings, got {self.ops!r}")

    @classmethod
    def from_arrays(cls, space: str, adjacency: Any, ops: Any) -> Architecture:
        """Builds an architecture from an array-like matrix and an op sequence.

        Args:
            space: Name of the search space.
            adjacency: Anything ``numpy.asarray`` turns into an ``n x n`` 0/1 matrix.
            ops: Sequence of ``n`` op names.

        Returns:
            The architecture.
        """
        matrix = np.asarray(adjacency)
        if matrix.ndim != 2:
            raise InvalidArchitectureError(f"adjacency must be a 2-D matrix, got shape {matrix.shape}")
        return cls(space, tuple(tuple(int(v) for v in row) for row in matrix.tolist()), tuple(ops))

    @classmethod
    def trusted(cls, space: str, adjacency: tuple[tuple[int, ...], ...], ops: tuple[str, ...]) -> Architecture:
        """Builds without the per-entry checks of ``__init__``.

        For batch decoders that have already checked shape, 0/1 values and
        strict upper triangularity on whole arrays at once (the per-entry
        Python checks dominate decoding 10,000 samples otherwise).
        """
        arch = object.__new__(cls)
        object.__setattr__(arch, "space", space)
        object.__setattr__(arch, "adjacency", adjacency)
        object.__setattr__(arch, "ops", ops)
        return arch

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return sum(map(sum, self.adjacency))

    def adjacency_array(self, dtype: Any = np.int8) -> np.ndarray:
        """The adjacency as a fresh ``numpy`` array."""
        return np.array(self.adjacency, dtype=dtype).reshape(self.num_nodes, self.num_nodes)

    def edges(self) -> list[tuple[int, int]]:
        """All edges ``(i, j)`` in row-major order."""
        return [(i, j) for i, row in enumerate(self.adjacency) for j, v in enumerate(row) if v]

    def to_json(self) -> str:
        """Serialises to a compact JSON object (inverse of :meth:`from_json`)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict form."""
        return {"space": self.space, "adjacency": [list(r) for r in self.adjacency], "ops": list(self.ops)}

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> Architecture:
        """Parses :meth:`to_json` output (a string or the already-decoded dict).

        Raises:
            InvalidArchitectureError: If the JSON is malformed or lacks a field.
        """
        try:
            data = json.loads(text) if isinstance(text, str) else dict(text)
            return cls(str(data["space"]), tuple(tuple(r) for r in data["adjacency"]), tuple(data["ops"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            if isinstance(error, InvalidArchitectureError):
                raise
            raise InvalidArchitectureError(
                f"not an architecture JSON object ({type(error).__name__}: {error}): {str(text)[:80]!r}"
            ) from None
