"""The figure of ``archgen predict``: Kendall τ against the number of labelled architectures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from archgen.figures import clipped_band, headless_pyplot, legend_outside, save_figure


#: Kendall τ's range, which the ± std band is clipped to.
TAU_LIMITS = (-1.0, 1.0)


def plot_predict(result: dict[str, Any], path: str | Path) -> Path:
    """Kendall τ against N (log scale), ± one std, beside the published τ (the Arch-VQ paper's Figure 3)."""
    return save_figure(draw_predict(result), path)


def draw_predict(result: dict[str, Any]) -> Any:
    """The figure of :func:`plot_predict`, not yet saved; the band is clipped to the axes' limits."""
    plt = headless_pyplot()

    sizes = [p["n"] for p in result["points"]]
    mean = np.array([p["kendall_tau"]["mean"] for p in result["points"]])
    std = np.array([p["kendall_tau"]["std"] for p in result["points"]])
    figure, axis = plt.subplots(figsize=(7.5, 4), dpi=120)
    axis.plot(sizes, mean, "o-", label=f"{result['predictor']['name']} (archgen)")
    if result["trials"] > 1:
        clipped_band(axis, sizes, mean - std, mean + std, TAU_LIMITS, alpha=0.2, label="± 1 std over trials")
    for name in sorted({name for p in result["points"] for name in p["reference"]}):
        known = [(p["n"], p["reference"][name]) for p in result["points"] if name in p["reference"]]
        axis.plot(*zip(*known), "s--", ms=4, label=f"{name} (published)")
    axis.set_xscale("log")
    axis.set_xlabel("labelled architectures N")
    axis.set_ylabel("Kendall τ")
    axis.set_title(f"{result['space']} · {result['metric']} · {result['trials']} trial(s)")
    axis.set_ylim(*_tau_limits(mean, std, result["points"]))
    axis.grid(alpha=0.3)
    legend_outside(axis, fontsize=8)
    return figure


def _tau_limits(mean: np.ndarray, std: np.ndarray, points: list[dict[str, Any]]) -> tuple[float, float]:
    """The y-limits of the τ plot: the data with a margin, inside τ's own range [-1, 1]."""
    values = [*(mean - std), *(mean + std), *(v for p in points for v in p["reference"].values())]
    finite = [v for v in values if np.isfinite(v)] or [0.0, 1.0]
    return max(TAU_LIMITS[0], min(finite) - 0.05), min(TAU_LIMITS[1], max(finite) + 0.05)
