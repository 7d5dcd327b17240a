"""Tables of measured metrics keyed by an architecture's native string.

A space's ``benchmark()`` returns a :class:`BenchmarkTable`; loaders for the
different file formats live beside the space that owns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from archgen.errors import DataFileError


@dataclass(frozen=True)
class BenchmarkTable:
    """Columns of per-architecture metrics, one row per architecture.

    Attributes:
        space: The space's name.
        keys: One native architecture string per row (unique).
        columns: Metric name -> float array of ``len(keys)`` (NaN where unknown).
        source: Where the data came from (a path), for reports.
    """

    space: str
    keys: tuple[str, ...]
    columns: Mapping[str, np.ndarray]
    source: str = ""
    _row: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, column in self.columns.items():
            if len(column) != len(self.keys):
                raise DataFileError(f"column {name!r} has {len(column)} rows, expected {len(self.keys)}")
        self._row.update({key: i for i, key in enumerate(self.keys)})
        if len(self._row) != len(self.keys):
            raise DataFileError(f"benchmark table {self.source or self.space!r} repeats an architecture")

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._row

    @property
    def metrics(self) -> list[str]:
        """Names of the metric columns."""
        return list(self.columns)

    def row(self, key: str) -> dict[str, float]:
        """All metrics of one architecture.

        Raises:
            KeyError: If the architecture is not in the table.
        """
        i = self._row[key]
        return {name: float(column[i]) for name, column in self.columns.items()}

    def column(self, metric: str, keys: Iterable[str] | None = None) -> np.ndarray:
        """One metric for every row, or for ``keys`` (NaN for keys not in the table).

        Raises:
            DataFileError: If the metric is not a column, naming the ones that are.
        """
        if metric not in self.columns:
            raise DataFileError(f"unknown metric {metric!r}; this table has {sorted(self.columns)}")
        values = np.asarray(self.columns[metric], dtype=float)
        if keys is None:
            return values.copy()
        return np.array([values[self._row[k]] if k in self._row else np.nan for k in keys])
