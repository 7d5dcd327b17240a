"""``search.json``: mean ± std over trials of every searcher of one experiment."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgen.pipeline.report import mean_std
from archgen.pipeline.search_command.trial import TRIAL_FORMAT

SEARCH_FORMAT = "archgen.search/1"


def best_after(record: dict[str, Any], queries: int) -> float:
    """The reported figure of the best-signal architecture among the first ``queries`` (NaN before any)."""
    rows = record["queries"]
    if not rows:
        return math.nan
    return float(rows[min(queries, len(rows)) - 1]["report_of_best"])


def summarize(
    experiment: Path,
    *,
    checkpoints: Sequence[int],
    space: str,
    note: str,
    published: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Mean ± std over trials of every searcher folder of an experiment, at each checkpoint and query.

    Args:
        experiment: The experiment's folder (one sub-folder per searcher label).
        checkpoints: Query counts the table reports.
        space: The space's name.
        note: How the signal relates to the report (and what the pool is).
        published: The space's published results of the reported metric
            (:meth:`archgen.published.PublishedResults.search_anchors`).

    Returns:
        The summary (``search.json``).
    """
    searchers: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for folder in sorted(p for p in experiment.iterdir() if p.is_dir()):
        trials = [record for record in map(_read_json, sorted(folder.glob("trial-*.json")))
                  if record.get("format") == TRIAL_FORMAT]
        if not trials or not (folder / "settings.json").is_file():
            continue
        settings = _read_json(folder / "settings.json")
        searchers[folder.name] = _searcher_summary(trials, settings, checkpoints)
    return {
        "format": SEARCH_FORMAT,
        "space": space,
        "signal": settings.get("signal"),
        "report": settings.get("report"),
        "constraint": settings.get("constraint"),
        "note": note,
        "checkpoints": list(checkpoints),
        "searchers": searchers,
        "published": list(published),
    }


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _searcher_summary(trials: list[dict[str, Any]], settings: dict[str, Any], checkpoints: Sequence[int]) -> dict[str, Any]:
    horizon = max(len(t["queries"]) for t in trials)
    curve = np.array([[best_after(t, q) for q in range(1, horizon + 1)] for t in trials], dtype=float)
    return {
        "searcher": settings["searcher"],
        "budget": settings["budget"],
        "trials": len(trials),
        "seeds": [t["seed"] for t in trials],
        "evaluated": mean_std([t["evaluated"] for t in trials]),
        "at": {str(c): mean_std([best_after(t, c) for t in trials]) for c in checkpoints},
        "final_best": [t["best"] for t in trials],
        "curve_mean": np.nanmean(curve, axis=0).round(4).tolist(),
        "curve_std": np.nanstd(curve, axis=0).round(4).tolist(),
    }
