"""Mean ± standard deviation over replicates, of one list of figures or of every leaf of per-seed dicts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and sample standard deviation (0 for a single value), ignoring NaN."""
    array = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(array) == 0:
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(array.mean()), "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0}


def aggregate(per_seed: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± std over seeds of every numeric leaf of the per-seed metric dicts."""

    def walk(items: Sequence[Any]) -> Any:
        first = items[0]
        if isinstance(first, dict):
            return {k: walk([item[k] for item in items]) for k in first if k != "seed"}
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            return mean_std([float(v) for v in items])
        return None

    return walk(list(per_seed)) if per_seed else {}
