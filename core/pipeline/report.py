"""Aggregating per-seed figures and presenting them (text tables, Markdown, the sweep plot)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import atomic_path

#: The paper's Table 2-4 columns, in order: (key, header).
TABLE_COLUMNS = (
    ("reconstruction_accuracy", "Recon. Acc"),
    ("validity", "Validity"),
    ("uniqueness", "Uniqueness"),
    ("absolute_uniqueness", "Abs. Uniq"),
    ("novelty", "Novelty"),
    ("absolute_novelty", "Abs. Novelty"),
)
STRICT_EXTRA = (("heldout_coverage", "Held-out cov."),)


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


def _cell(summary: dict[str, float] | None) -> str:
    if not summary or math.isnan(summary["mean"]):
        return "-"
    return f"{summary['mean']:.2f} ± {summary['std']:.2f}"


def table_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (paper, strict) of the results table."""
    header = ["Protocol", *(h for _, h in TABLE_COLUMNS), *(h for _, h in STRICT_EXTRA)]
    rows = []
    for protocol in ("paper", "strict"):
        figures = {**summary.get(protocol, {}), "reconstruction_accuracy": summary.get("reconstruction_accuracy")}
        row = [protocol, *(_cell(figures.get(k)) for k, _ in TABLE_COLUMNS)]
        row += [_cell(figures.get(k)) if protocol == "strict" else "" for k, _ in STRICT_EXTRA]
        rows.append(row)
    return header, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A fixed-width table for the terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """The same table in Markdown."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def plot_sweep(sweep: dict[str, Any], path: str | Path) -> Path:
    """Validity, absolute uniqueness and absolute novelty against temperature (the paper's Figure 2).

    Solid lines are the paper protocol, dashed the strict one; bands are ± one std over seeds.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    temperatures = [point["temperature"] for point in sweep["points"]]
    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=120)
    for metric, color in (("validity", "tab:blue"), ("absolute_uniqueness", "tab:orange"), ("absolute_novelty", "tab:green")):
        for protocol, style in (("paper", "-"), ("strict", "--")):
            mean = np.array([p[protocol][metric]["mean"] for p in sweep["points"]])
            std = np.array([p[protocol][metric]["std"] for p in sweep["points"]])
            label = f"{metric.replace('_', ' ')} ({protocol})"
            axis.plot(temperatures, mean, style, color=color, label=label, marker="o" if protocol == "paper" else None, ms=3)
            if protocol == "paper":
                axis.fill_between(temperatures, mean - std, mean + std, color=color, alpha=0.15)
    ceiling = sweep.get("iid_uniqueness_ceiling")
    if ceiling is not None and ceiling < 99.5:
        axis.axhline(ceiling, color="gray", lw=0.8, ls=":", label=f"i.i.d. uniqueness ceiling ({ceiling:.1f})")
    best = sweep.get("best", {})
    if "absolute_uniqueness" in best:
        axis.axvline(best["absolute_uniqueness"]["temperature"], color="tab:orange", lw=0.8, ls=":")
    if "absolute_novelty" in best:
        axis.axvline(best["absolute_novelty"]["temperature"], color="tab:green", lw=0.8, ls=":")
    axis.set_xlabel("sampling temperature")
    axis.set_ylabel("%")
    axis.set_ylim(0, 101)
    axis.set_title(f"{sweep['space']} · {sweep['generator']} · {sweep['num_samples']} samples × {sweep['seeds']} seed(s)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, ncol=2, loc="lower left")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return Path(path)
