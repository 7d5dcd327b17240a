"""What a generator returns when it samples: decoded graphs plus their codes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgen.architecture import Architecture
from archgen.protocols import SearchSpace


@dataclass(frozen=True)
class SampleBatch:
    """A batch of sampled, decoded architectures in array form.

    Attributes:
        codes: ``[n, L]`` code indices (-1 in rows that are not well formed).
        well_formed: ``[n]`` True where the sequence had the right length and no
            special token among its codes.
        adjacency: ``[n, N, N]`` decoded 0/1 strict upper triangles (zeros where not well formed).
        op_indices: ``[n, N]`` decoded op indices into the space's vocabulary.
        temperature: The sampling temperature.
        seed: The sampling seed.
    """

    codes: np.ndarray
    well_formed: np.ndarray
    adjacency: np.ndarray
    op_indices: np.ndarray
    temperature: float
    seed: int

    def __len__(self) -> int:
        return len(self.well_formed)

    def architectures(self, space: SearchSpace) -> list[Architecture | None]:
        """Decoded architectures, ``None`` where the sequence was not well formed."""
        rows = np.flatnonzero(self.well_formed)
        decoded = space.from_tensors(self.adjacency[rows], self.op_indices[rows]) if len(rows) else []
        result: list[Architecture | None] = [None] * len(self)
        for row, arch in zip(rows.tolist(), decoded):
            result[row] = arch
        return result
