"""Presenting per-seed figures (text tables, Markdown, the sweep plot); aggregating them is archgen.metrics.aggregate.

Every printed table ends with a legend line (what the rows count, the samples, the seeds, the
sampling options and the i.i.d. uniqueness ceiling), and a figure of one seed shows the value
alone: a ``± 0.00`` would claim a spread that was never measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgen.figures import clipped_band, headless_pyplot, legend_outside, save_figure
from archgen.metrics.aggregate import aggregate, mean_std  # noqa: F401 - re-exported: evaluate, sweep, search
from archgen.metrics.ceilings import ceiling_text
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
PROTOCOLS_TEXT = "paper = arch2vec/Arch-VQ counting, strict = is_valid + canonical_key (docs/metrics.md)"


def cell(summary: dict[str, float] | None, replicates: int = 2, digits: int = 2) -> str:
    """``mean ± std``, the value alone for one replicate, ``-`` for no figure.

    Args:
        summary: ``{"mean": ..., "std": ...}`` from :func:`mean_std`.
        replicates: How many seeds (or trials) the mean is over.
        digits: Decimals shown.
    """
    if not summary or math.isnan(summary["mean"]):
        return "-"
    if replicates == 1:
        return f"{summary['mean']:.{digits}f}"
    return f"{summary['mean']:.{digits}f} ± {summary['std']:.{digits}f}"


def replicates_text(seeds: Sequence[Any] | int, unit: str = "seed") -> str:
    """``1 seed (0)`` or ``mean ± std over 3 seeds (0, 1, 2)`` for a legend."""
    listed = list(seeds) if not isinstance(seeds, int) else []
    count = seeds if isinstance(seeds, int) else len(listed)
    named = f" ({', '.join(map(str, listed))})" if listed and len(listed) <= 8 else ""
    return f"1 {unit}{named}" if count == 1 else f"mean ± std over {count} {unit}s{named}"


def sampling_text(sampling: dict[str, Any] | None) -> str:
    """``sampling temperature=1.0 (top_k, top_p unset)`` for a legend (or ``no sampling options``)."""
    items = ", ".join(f"{key}={value}" for key, value in (sampling or {}).items() if value is not None)
    unset = [key for key, value in (sampling or {}).items() if value is None]
    if not items:
        return f"sampling {', '.join(unset)} unset" if unset else "no sampling options"
    return f"sampling {items}" + (f" ({', '.join(unset)} unset)" if unset else "")


def results_legend(metrics: dict[str, Any]) -> str:
    """The legend under the run/evaluate table: protocols, samples, seeds, sampling, ceilings."""
    parts = [
        PROTOCOLS_TEXT,
        f"{metrics['num_samples']:,} samples per seed",
        replicates_text(metrics["seeds"]),
        sampling_text(metrics.get("sampling")),
        ceiling_text(metrics.get("uniqueness_ceilings"), metrics.get("iid_uniqueness_ceiling")),
    ]
    if metrics.get("baselines"):
        parts.append(f"rows prefixed {', '.join(metrics['baselines'])}: that baseline, same split, samples and seeds")
    return "legend: " + "; ".join(p for p in parts if p)


def table_rows(summary: dict[str, Any], baselines: dict[str, Any] | None = None,
               replicates: int = 2) -> tuple[list[str], list[list[str]]]:
    """Header and rows (paper, strict, then each baseline's paper and strict) of the results table.

    Args:
        summary: The run's aggregated figures.
        baselines: Baseline name -> ``{"summary": ...}``.
        replicates: Seeds the figures are over (one shows values without ``± std``).
    """
    header = ["Protocol", *(h for _, h in TABLE_COLUMNS), *(h for _, h in STRICT_EXTRA)]
    rows = []
    sources = [("", summary)] + [(f"{name} ", entry["summary"]) for name, entry in (baselines or {}).items()]
    for prefix, figures_of in sources:
        for protocol in ("paper", "strict"):
            figures = {**figures_of.get(protocol, {}), "reconstruction_accuracy": figures_of.get("reconstruction_accuracy")}
            row = [f"{prefix}{protocol}", *(cell(figures.get(k), replicates) for k, _ in TABLE_COLUMNS)]
            row += [cell(figures.get(k), replicates) if protocol == "strict" else "" for k, _ in STRICT_EXTRA]
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


#: The sweep plot's curves: (metric, colour).
SWEEP_CURVES = (("validity", "tab:blue"), ("absolute_uniqueness", "tab:orange"), ("absolute_novelty", "tab:green"))
#: Its y-limits (percent), which the ± std bands are clipped to.
PERCENT_LIMITS = (0.0, 101.0)


def draw_sweep(sweep: dict[str, Any]) -> Any:
    """The sweep figure (see :func:`plot_sweep`), not yet saved: a ``matplotlib.figure.Figure``."""
    plt = headless_pyplot()

    over = sweep.get("over", "temperature")
    values = [point["value"] for point in sweep["points"]]
    figure, axis = plt.subplots(figsize=(8.6, 4.2), dpi=120)
    for metric, color in SWEEP_CURVES:
        for protocol, style in (("paper", "-"), ("strict", "--")):
            mean = np.array([p[protocol][metric]["mean"] for p in sweep["points"]])
            std = np.array([p[protocol][metric]["std"] for p in sweep["points"]])
            label = f"{metric.replace('_', ' ')} ({protocol})"
            axis.plot(values, mean, style, color=color, label=label, marker="o" if protocol == "paper" else None, ms=3)
            if protocol == "paper" and sweep["seeds"] > 1:
                clipped_band(axis, values, mean - std, mean + std, PERCENT_LIMITS, color=color, alpha=0.15)
    ceiling = sweep.get("iid_uniqueness_ceiling")
    if ceiling is not None and ceiling < 99.5:
        axis.axhline(ceiling, color="gray", lw=0.8, ls=":", label=f"i.i.d. uniqueness ceiling, paper ({ceiling:.1f})")
    for metric, color in SWEEP_CURVES[1:]:
        if metric in sweep.get("best", {}):
            best = sweep["best"][metric]
            axis.axvline(best["value"], color=color, lw=0.8, ls=":",
                         label=f"best {metric.replace('_', ' ')}: {best['score']:.1f} at {best['value']}")
    axis.set_xlabel(f"sampling {over.replace('_', ' ')}")
    axis.set_ylabel("% of samples")
    axis.set_ylim(*PERCENT_LIMITS)
    seeds = "1 seed" if sweep["seeds"] == 1 else f"{sweep['seeds']} seeds, bands ± 1 std"
    axis.set_title(f"{sweep['space']} · {sweep['generator']} · {sweep['num_samples']} samples × {seeds}", fontsize=9)
    axis.grid(alpha=0.3)
    legend_outside(axis, title="solid: paper, dashed: strict", title_fontsize=7)
    return figure


def plot_sweep(sweep: dict[str, Any], path: str | Path) -> Path:
    """Validity, absolute uniqueness and absolute novelty against a sampling option (the paper's Figure 2
    when it is the temperature).

    Solid lines are the paper protocol, dashed the strict one; bands (two seeds or more) are ± one std
    over seeds, clipped to the axes; dotted lines mark the best values and the i.i.d. ceiling.
    """
    return save_figure(draw_sweep(sweep), path)


def results_table(metrics: dict[str, Any]) -> str:
    """The paper's Table 3 columns for both protocols (mean ± std over seeds), then the legend line."""
    table = text_table(*table_rows(metrics["summary"], metrics.get("baselines"), len(metrics["seeds"])))
    return f"{table}\n{results_legend(metrics)}"


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
    k = len(metrics["seeds"])
    sampling = ", ".join(f"{k} {v}" for k, v in metrics["sampling"].items()) or "no options"
    strict_ceiling = (metrics.get("uniqueness_ceilings") or {}).get("strict")
    lines = [
        f"# {config.run.name}: {metrics['generator']} on {metrics['space']}",
        "",
        f"{metrics['num_samples']} samples per seed ({sampling}); seeds {metrics['seeds']}; "
        f"split {config.data_sizes}.",
        "",
        markdown_table(*table_rows(summary, metrics.get("baselines"), k)),
        "",
        results_legend(metrics).replace("legend: ", "Legend: ", 1) + ".",
        "",
        "*paper*: validity, uniqueness and novelty as the arch2vec/Arch-VQ code counts them "
        "(docs/metrics.md); *strict*: `is_valid`, `canonical_key`. "
        "Held-out coverage: share of the held-out split's canonical classes among the valid samples. "
        + (f"Rows prefixed *{next(iter(metrics['baselines']))}* score that baseline generator with the same split, "
           "sample count and seeds." if metrics.get("baselines") else ""),
        "",
        f"- well-formed draws: {cell(summary.get('well_formed'), k)}",
        f"- highest absolute uniqueness that {metrics['num_samples']} i.i.d. samples of the space's "
        f"{space_size:,} members can reach (uniform sampling): {metrics['iid_uniqueness_ceiling']:.2f} %; "
        "a paper-protocol figure above it counts decodes that are not members",
    ]
    if strict_ceiling and strict_ceiling["over"] == "canonical classes":
        lines.append(f"- the same for the strict protocol, which counts the space's {strict_ceiling['count']:,} canonical "
                     f"classes: {strict_ceiling['ceiling']:.2f} %")
    lines += [
        f"- paper-novel samples that are off-topology (invalid under the strict check): "
        f"{cell(paper.get('off_topology_share_of_novel'), k)} %",
        f"- held-out coverage of classes absent from the training split: "
        f"{cell(summary.get('strict', {}).get('heldout_only_coverage'), k)} %",
    ]
    if codebook.get("codebook_size"):
        lines.append(
            f"- codebook: {cell(codebook.get('codebook_used'), k)} of {cell(codebook.get('codebook_size'), k)} codes used; "
            f"dead-code restarts {cell(codebook.get('dead_code_restarts'), k)}"
        )
    return "\n".join([*lines, ""])
