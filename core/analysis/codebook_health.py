"""``codebook``: how well each replicate uses its codebook -- used codes, perplexity, dead-code restarts.

A VQ-VAE whose codes collapse onto a few vectors represents little; the usual health figures
(van den Oord et al., 2017; Dhariwal et al., 2020) are the number of codes in use and the
perplexity ``exp(H)`` of the code-usage distribution (``H`` in nats: a perplexity of ``k`` means
usage as spread as ``k`` equally used codes). They are computed here from the training set's codes
(all positions pooled, and per position), beside what training recorded in
``checkpoints/seed-<s>/training.json``: the codebook size, the codes used, the last epoch's batch
perplexity and the total dead-code restarts. A per-epoch restart curve is drawn when the training
history records one (a ``dead_code_restarts_per_epoch`` list, as ``arch_vq`` writes).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from archgen.analysis.inputs import AnalysisInputs
from archgen.figures import headless_pyplot, legend_outside, save_figure

FIGURE = "codebook.png"


class Options(BaseModel):
    """Options of the ``codebook`` analysis.

    Attributes:
        seeds: Replicates to analyse (default: every trained one).
    """

    model_config = ConfigDict(extra="forbid")
    seeds: list[int] | None = None


def usage_figures(counts: np.ndarray) -> dict[str, float]:
    """``used`` codes and usage ``perplexity`` (``exp`` of the entropy in nats) of a count vector."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total == 0:
        return {"used": 0, "perplexity": math.nan}
    p = counts[counts > 0] / total
    return {"used": int((counts > 0).sum()), "perplexity": float(math.exp(-(p * np.log(p)).sum()))}


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Codebook use of every chosen replicate; writes the rank-frequency plot."""
    seeds = [inputs.replicate(s) for s in options.seeds] if options.seeds else inputs.trained_seeds
    space = inputs.space
    per_seed = []
    for seed in seeds:
        model = inputs.code_model(seed, "codebook")
        codes = np.asarray(model.encode(space, inputs.train), dtype=np.int64)
        training = inputs.training_stats(seed)
        size = int(training.get("codebook_size") or codes.max(initial=0) + 1)
        pooled = np.bincount(codes.reshape(-1), minlength=size)
        per_position = [usage_figures(np.bincount(codes[:, i], minlength=size)) for i in range(codes.shape[1])]
        per_seed.append({
            "seed": seed,
            "codebook_size": size,
            **usage_figures(pooled),
            "unused": int(size - (pooled > 0).sum()),
            "per_position": per_position,
            "distinct_sequences": int(len(np.unique(codes, axis=0))),
            "training": {
                "codebook_used": training.get("codebook_used"),
                "dead_code_restarts": training.get("dead_code_restarts"),
                "final_batch_perplexity": (training.get("vqvae_final") or {}).get("perplexity"),
                "dead_code_restarts_per_epoch": training.get("dead_code_restarts_per_epoch"),
            },
            "sorted_usage": sorted(pooled.tolist(), reverse=True),
        })
    result = {
        "analysis": "codebook",
        "space": space.name,
        "generator": inputs.generator_spec["name"],
        "train_sequences": len(inputs.train),
        "per_seed": per_seed,
        "summary": {
            key: _mean_std([s[key] for s in per_seed]) for key in ("used", "perplexity", "distinct_sequences")
        } | {"dead_code_restarts": _mean_std([s["training"]["dead_code_restarts"] for s in per_seed])},
    }
    plot(result, figure)
    return result


def _mean_std(values: list[Any]) -> dict[str, float]:
    array = np.asarray([v for v in values if v is not None], dtype=float)
    if not len(array):
        return {"mean": math.nan, "std": math.nan}
    return {"mean": float(array.mean()), "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0}


def plot(result: dict[str, Any], path: Path) -> Path:
    """Rank-frequency of code usage per replicate, and the restart curve where one was recorded."""
    return save_figure(draw(result), path)


def draw(result: dict[str, Any]) -> Any:
    """The figure of :func:`plot`, not yet saved; legends sit outside the data."""
    plt = headless_pyplot()

    curves = [s for s in result["per_seed"] if s["training"]["dead_code_restarts_per_epoch"]]
    figure, axes = plt.subplots(1, 2 if curves else 1, figsize=(13 if curves else 8.5, 4), dpi=110, squeeze=False)
    axis = axes[0, 0]
    for s in result["per_seed"]:
        usage = np.asarray(s["sorted_usage"], float)
        axis.plot(np.arange(1, len(usage) + 1), usage / usage.sum(), lw=1,
                  label=f"seed {s['seed']}: {s['used']}/{s['codebook_size']} used, perplexity {s['perplexity']:.0f}")
    axis.set_yscale("log")
    axis.set_xlabel("code rank")
    axis.set_ylabel("share of training codes")
    axis.set_title(f"{result['space']} · {result['generator']}: codebook use ({result['train_sequences']} training cells)", fontsize=9)
    axis.grid(alpha=0.3)
    legend_outside(axis)
    if curves:
        axis = axes[0, 1]
        for s in curves:
            axis.plot(range(1, len(s["training"]["dead_code_restarts_per_epoch"]) + 1),
                      s["training"]["dead_code_restarts_per_epoch"], label=f"seed {s['seed']}")
        axis.set_xlabel("VQ-VAE epoch")
        axis.set_ylabel("dead-code restarts")
        axis.grid(alpha=0.3)
        legend_outside(axis)
    return figure


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: how much of the codebook the training set uses."""
    summary, seeds = result["summary"], len(result["per_seed"])
    size = result["per_seed"][0]["codebook_size"] if result["per_seed"] else 0
    k = 1 if seeds == 1 else 2
    return (f"codebook use: {_shown(summary['used'], k, 0)} of {size} codes used, perplexity {_shown(summary['perplexity'], k, 1)}, "
            f"{_shown(summary['distinct_sequences'], k, 0)} distinct code sequences for {result['train_sequences']} "
            f"training cells ({seeds} seed{'s' if seeds != 1 else ''})")


def _shown(summary: dict[str, float], replicates: int, digits: int) -> str:
    if summary["mean"] != summary["mean"]:
        return "-"
    value = f"{summary['mean']:.{digits}f}"
    return value if replicates == 1 else f"{value} ± {summary['std']:.{digits}f}"
