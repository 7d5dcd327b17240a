"""``codes``: per position, the code-index distribution of the training set vs generated novel samples
(arch-vq.md 5.4.2, Figure 4; arch-llm.md Figure 3).

The papers show, for each sequence position, a two-row heatmap: the frequency of every codebook
index among the training architectures' codes (top) and among the generated novel architectures'
codes (bottom). Here every position is drawn, and the match is also a number: the Jensen-Shannon
distance (base 2, so in ``[0, 1]``; scipy's ``jensenshannon``) between the two rows of each position,
beside the same distance for all well-formed samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs, sampled_codes
from archgen.analysis.novelty import novel_rows
from archgen.figures import headless_pyplot, save_figure

FIGURE = "codes.png"


class Options(BaseModel):
    """Options of the ``codes`` analysis.

    Attributes:
        n: Samples drawn from the prior.
        novel: Which samples form the bottom row: novel by the ``paper`` or ``strict`` protocol, or
            ``all`` well-formed samples.
        seed: Replicate to analyse (default: the first trained one).
        sample_seed: Seed of the draws.
    """

    model_config = ConfigDict(extra="forbid")
    n: int = Field(10_000, ge=1, le=10_000_000)
    novel: Literal["paper", "strict", "all"] = "paper"
    seed: int | None = None
    sample_seed: int = 0


def code_histograms(codes: np.ndarray, codebook_size: int) -> np.ndarray:
    """``[L, K]`` counts of each code index at each position of ``[M, L]`` codes (each row sums to ``M``)."""
    codes = np.asarray(codes, dtype=np.int64)
    length = codes.shape[1]
    counts = np.zeros((length, codebook_size), dtype=np.int64)
    for position in range(length):
        counts[position] = np.bincount(codes[:, position], minlength=codebook_size)[:codebook_size]
    return counts


def js_distances(first: np.ndarray, second: np.ndarray) -> list[float | None]:
    """Per position (row), the base-2 Jensen-Shannon distance of two count rows; ``None`` where one is empty."""
    from scipy.spatial.distance import jensenshannon

    out: list[float | None] = []
    for a, b in zip(first, second):
        if a.sum() == 0 or b.sum() == 0:
            out.append(None)
        else:
            out.append(float(jensenshannon(a / a.sum(), b / b.sum(), base=2)))
    return out


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Histograms of the training codes and of the novel samples' codes; writes the heatmap."""
    seed = inputs.replicate(options.seed)
    model = inputs.code_model(seed, "codes")
    space = inputs.space
    codebook_size = int(model.vqvae.quantizer.codebook_size) if hasattr(model, "vqvae") else None
    train_codes = np.asarray(model.encode(space, inputs.train), dtype=np.int64)
    batch = inputs.draw(model, options.n, options.sample_seed)
    sample_codes, rows = sampled_codes(batch, space.max_nodes)
    if options.novel == "all":
        keep = np.ones(len(rows), dtype=bool)
    else:
        keep = novel_rows(space, batch, inputs.reference, options.novel)[rows]
    novel_codes = sample_codes[keep]
    if codebook_size is None:  # a code model without a visible codebook: size it by the largest code seen
        codebook_size = int(max(train_codes.max(initial=0), sample_codes.max(initial=0))) + 1
    train_counts = code_histograms(train_codes, codebook_size)
    novel_counts = code_histograms(novel_codes, codebook_size)
    sample_counts = code_histograms(sample_codes, codebook_size)
    result = {
        "analysis": "codes",
        "space": space.name,
        "generator": inputs.generator_spec["name"],
        "replicate_seed": seed,
        "sample_seed": options.sample_seed,
        "sampling": inputs.sampling,
        "codebook_size": codebook_size,
        "train_sequences": int(len(train_codes)),
        "samples": int(options.n),
        "well_formed_samples": int(len(rows)),
        "novel_protocol": options.novel,
        "novel_samples": int(len(novel_codes)),
        "js_distance_train_vs_novel": js_distances(train_counts, novel_counts),
        "js_distance_train_vs_samples": js_distances(train_counts, sample_counts),
        "train_counts": train_counts.tolist(),
        "novel_counts": novel_counts.tolist(),
    }
    plot(result, figure)
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    """One two-row heatmap per position: training frequencies above, novel-sample frequencies below."""
    return save_figure(draw(result), path)


def draw(result: dict[str, Any]) -> Any:
    """The figure of :func:`plot`, not yet saved; each colour bar is labelled with what its colour is."""
    plt = headless_pyplot()

    train, novel = np.asarray(result["train_counts"], float), np.asarray(result["novel_counts"], float)
    length = len(train)
    figure, axes = plt.subplots(length, 1, figsize=(11, 0.95 * length + 1.0), dpi=110, squeeze=False)
    for position, axis in enumerate(axes[:, 0]):
        rows = np.stack([r / r.sum() if r.sum() else r for r in (train[position], novel[position])])
        image = axis.imshow(rows, aspect="auto", cmap="viridis", interpolation="nearest")
        distance = result["js_distance_train_vs_novel"][position]
        shown = "n/a" if distance is None else f"{distance:.3f}"
        axis.set_yticks([0, 1], ["train", "novel"], fontsize=7)
        axis.set_ylabel(f"pos {position}", fontsize=7, rotation=0, ha="right", va="center")
        axis.set_title(f"JS distance {shown}", fontsize=7, loc="right", pad=2)
        axis.tick_params(axis="x", labelsize=6, labelbottom=position == length - 1)
        bar = figure.colorbar(image, ax=axis, pad=0.01, fraction=0.02)
        bar.set_label("share", fontsize=5)
        bar.ax.tick_params(labelsize=5)
    axes[-1, 0].set_xlabel("codebook index (colour: share of the row's codes at that position)")
    figure.suptitle(
        f"{result['space']} · {result['generator']}: code frequencies, {result['train_sequences']} training vs "
        f"{result['novel_samples']} novel ({result['novel_protocol']}) samples, sampling "
        + (", ".join(f"{k}={v}" for k, v in result["sampling"].items() if v is not None) or "defaults"),
        fontsize=8,
    )
    return figure


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: how far the novel samples' codes are from the training codes."""
    distances = [d for d in result["js_distance_train_vs_novel"] if d is not None]
    if not distances:
        return f"no {result['novel_protocol']}-novel samples among {result['samples']}: no code distances to report"
    worst = max(range(len(distances)), key=distances.__getitem__)
    return (f"JS distance of training vs {result['novel_protocol']}-novel codes: mean {sum(distances) / len(distances):.3f} "
            f"over {len(distances)} positions (largest {distances[worst]:.3f}); {result['novel_samples']} novel of "
            f"{result['samples']} samples")
