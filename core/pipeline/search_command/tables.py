"""What a search summary looks like: the terminal table, ``search.md`` and the anytime figure ``search.png``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from archgen.figures import clipped_band, headless_pyplot, legend_outside, save_figure
from archgen.pipeline.report import cell, markdown_table, text_table


def _table(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each searcher's mean ± std at each checkpoint, then the published anchors."""
    checkpoints = summary["checkpoints"]
    header = ["searcher", "trials", *(f"@{c}" for c in checkpoints)]
    rows = []
    for label, entry in summary["searchers"].items():
        cells = []
        for c in checkpoints:
            stat = entry["at"][str(c)]
            cells.append("" if stat is None or math.isnan(stat["mean"]) else cell(stat, entry["trials"]))
        rows.append([label, str(entry["trials"]), *cells])
    for item in summary["published"]:
        cells = [f"{item['value']:.2f}" if item["queries"] is None or item["queries"] == c else "" for c in checkpoints]
        if item["queries"] is not None and item["queries"] not in checkpoints:
            cells.append(f"{item['value']:.2f} @{item['queries']}")
        rows.append([f"{item['method']} (published)", "", *cells[: len(checkpoints)]] + cells[len(checkpoints):])
    width = max(len(r) for r in rows) if rows else len(header)
    header += ["published elsewhere"] * (width - len(header))
    rows = [r + [""] * (width - len(r)) for r in rows]
    return header, rows


def search_table(summary: dict[str, Any]) -> str:
    """The terminal table: mean ± std of the reported figure at each checkpoint, then the published anchors."""
    header, rows = _table(summary)
    return f"{summary['space']}: {summary['note']}\n" + text_table(header, rows) + f"\n{search_legend(summary)}"


def search_legend(summary: dict[str, Any]) -> str:
    """The legend under the search table: what a cell is, over how many trials, within what budget."""
    trials = sorted({entry["trials"] for entry in summary["searchers"].values()})
    budgets = sorted({entry["budget"] for entry in summary["searchers"].values()})
    over = ("1 trial" if trials == [1] else f"mean ± std over {'/'.join(map(str, trials))} trials (seeded)") if trials else "no trials"
    signal = summary.get("signal") or summary.get("report")
    return (f"legend: @N = {summary.get('report')} of the best-{signal} architecture after N distinct oracle queries; "
            f"{over}; budget {'/'.join(map(str, budgets)) or '-'} queries per trial")


def search_markdown(summary: dict[str, Any]) -> str:
    """``search.md``: the same table in Markdown."""
    header, rows = _table(summary)
    title = f"# Search: {summary['space']}, reported {summary['report']}\n\n{summary['note']}.\n"
    if summary.get("constraint"):
        title += f"\nConstraint: {summary['constraint']['metric']} <= {summary['constraint']['max']:g}.\n"
    return title + "\nMean ± std over trials of the reported figure of the best-signal architecture after N distinct queries.\n\n" + markdown_table(header, rows) + "\n"


def plot_anytime(summary: dict[str, Any], path: Path) -> Path:
    """The anytime curve: one line per searcher (mean over trials), a ± std band, published anchors as marks."""
    return save_figure(draw_anytime(summary), path)


def draw_anytime(summary: dict[str, Any]) -> Any:
    """The figure of :func:`plot_anytime`, not yet saved; bands are clipped to the axes' y-limits."""
    plt = headless_pyplot()

    figure, axis = plt.subplots(figsize=(8.4, 4.2), dpi=120)
    limits = _limits(summary)
    for label, entry in summary["searchers"].items():
        mean, std = np.array(entry["curve_mean"], dtype=float), np.array(entry["curve_std"], dtype=float)
        x = np.arange(1, len(mean) + 1)
        (line,) = axis.plot(x, mean, label=f"{label} ({entry['trials']} trial{'s' if entry['trials'] != 1 else ''})")
        if entry["trials"] > 1:
            # Early on few architectures are seen, so the std is wide; past the limits it reads as data.
            clipped_band(axis, x, mean - std, mean + std, limits or (-np.inf, np.inf), color=line.get_color(), alpha=0.2)
    for item in summary["published"]:
        if item["queries"] is None:
            axis.axhline(item["value"], color="gray", lw=0.8, ls=":", label=f"{item['method']} {item['value']:.2f} (published)")
        else:
            axis.plot([item["queries"]], [item["value"]], "x", ms=6, label=f"{item['method']} (published)")
    axis.set_xlabel("distinct oracle queries")
    axis.set_ylabel(str(summary["report"]))
    axis.set_title(f"{summary['space']}: best-signal architecture's {summary['report']}, bands ± 1 std over trials", fontsize=9)
    if limits is not None:
        axis.set_ylim(*limits)
    axis.grid(alpha=0.3)
    legend_outside(axis)
    return figure


def _limits(summary: dict[str, Any]) -> tuple[float, float] | None:
    """The y-limits: from the 5th percentile of the mean curves to the best value shown, with a margin."""
    finite = [v for e in summary["searchers"].values() for v in e["curve_mean"] if v == v]
    if not finite:
        return None
    low = float(np.percentile(finite, 5))
    top = max([*finite, *(i["value"] for i in summary["published"])])
    return low - 0.5, top + 0.3
