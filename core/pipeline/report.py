"""Presenting per-seed figures (text tables, Markdown, the sweep plot); aggregating them is archgen.metrics.aggregate."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from archgen.figures import headless_pyplot, save_figure
from archgen.metrics.aggregate import aggregate, mean_std  # noqa: F401 - re-exported: evaluate, sweep, search
from archgen.runs import RunConfig

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


def _cell(summary: dict[str, float] | None) -> str:
    if not summary or math.isnan(summary["mean"]):
        return "-"
    return f"{summary['mean']:.2f} ± {summary['std']:.2f}"


def table_rows(summary: dict[str, Any], baselines: dict[str, Any] | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows (paper, strict, then each baseline's paper and strict) of the results table."""
    header = ["Protocol", *(h for _, h in TABLE_COLUMNS), *(h for _, h in STRICT_EXTRA)]
    rows = []
    sources = [("", summary)] + [(f"{name} ", entry["summary"]) for name, entry in (baselines or {}).items()]
    for prefix, figures_of in sources:
        for protocol in ("paper", "strict"):
            figures = {**figures_of.get(protocol, {}), "reconstruction_accuracy": figures_of.get("reconstruction_accuracy")}
            row = [f"{prefix}{protocol}", *(_cell(figures.get(k)) for k, _ in TABLE_COLUMNS)]
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
    """Validity, absolute uniqueness and absolute novelty against a sampling option (the paper's Figure 2
    when it is the temperature).

    Solid lines are the paper protocol, dashed the strict one; bands are ± one std over seeds.
    """
    plt = headless_pyplot()

    over = sweep.get("over", "temperature")
    temperatures = [point["value"] for point in sweep["points"]]
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
        axis.axvline(best["absolute_uniqueness"]["value"], color="tab:orange", lw=0.8, ls=":")
    if "absolute_novelty" in best:
        axis.axvline(best["absolute_novelty"]["value"], color="tab:green", lw=0.8, ls=":")
    axis.set_xlabel(f"sampling {over.replace('_', ' ')}")
    axis.set_ylabel("%")
    axis.set_ylim(0, 101)
    axis.set_title(f"{sweep['space']} · {sweep['generator']} · {sweep['num_samples']} samples × {sweep['seeds']} seed(s)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, ncol=2, loc="lower left")
    return save_figure(figure, path)


def results_table(metrics: dict[str, Any]) -> str:
    """The paper's Table 3 columns for both protocols, mean ± std over seeds."""
    return text_table(*table_rows(metrics["summary"], metrics.get("baselines")))


def render_report(config: RunConfig, space_size: int, metrics: dict[str, Any]) -> str:
    """``report.md``: the results table and what to read it against.

    Args:
        config: The run's configuration (its name and data split head the report).
        space_size: Members of the space (for the i.i.d. uniqueness ceiling).
        metrics: ``metrics.json`` as :func:`archgen.pipeline.evaluate.evaluate` writes it.
    """
    summary = metrics["summary"]
    paper = summary.get("paper", {})
    codebook = summary.get("codebook", {}) or {}
    sampling = ", ".join(f"{k} {v}" for k, v in metrics["sampling"].items()) or "no options"
    lines = [
        f"# {config.run.name}: {metrics['generator']} on {metrics['space']}",
        "",
        f"{metrics['num_samples']} samples per seed ({sampling}); seeds {metrics['seeds']}; "
        f"split {config.data_sizes}.",
        "",
        markdown_table(*table_rows(summary, metrics.get("baselines"))),
        "",
        "*paper*: validity, uniqueness and novelty as the arch2vec/Arch-VQ code counts them "
        "(docs/metrics.md); *strict*: `is_valid`, `canonical_key`. "
        "Held-out coverage: share of the held-out split's canonical classes among the valid samples. "
        + (f"Rows prefixed *{next(iter(metrics['baselines']))}* score that baseline generator with the same split, "
           "sample count and seeds." if metrics.get("baselines") else ""),
        "",
        f"- well-formed draws: {_cell(summary.get('well_formed'))}",
        f"- highest absolute uniqueness that {metrics['num_samples']} i.i.d. samples of the space's "
        f"{space_size:,} members can reach (uniform sampling): {metrics['iid_uniqueness_ceiling']:.2f} %; "
        "a paper-protocol figure above it counts decodes that are not members",
        f"- paper-novel samples that are off-topology (invalid under the strict check): "
        f"{_cell(paper.get('off_topology_share_of_novel'))} %",
        f"- held-out coverage of classes absent from the training split: "
        f"{_cell(summary.get('strict', {}).get('heldout_only_coverage'))} %",
    ]
    if codebook.get("codebook_size"):
        lines.append(
            f"- codebook: {_cell(codebook.get('codebook_used'))} of {_cell(codebook.get('codebook_size'))} codes used; "
            f"dead-code restarts {_cell(codebook.get('dead_code_restarts'))}"
        )
    return "\n".join([*lines, ""])
