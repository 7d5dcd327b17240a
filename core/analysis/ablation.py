"""``ablation``: Arch-VQ's Table 7 (arch-vq.md 6.1) -- what the discrete codes and the autoregressive prior each add.

Every row is a generator configuration loaded through the registry from the run's own
``[generator]`` (which must compose ``quantizer`` and ``prior`` plugins, as ``arch_vq`` does):

* ``vae_transformer`` -- "VAE + Transformer": the ``gaussian`` quantizer (arch2vec's continuous
  latent, with a k-means codebook over the means for the prior) in place of the VQ codebook;
* ``vqvae_independent`` -- "VQ-VAE + Standard Prior": the ``independent`` per-position categorical
  in place of the transformer;
* ``arch_vq`` -- the run's own trained replicates, sampled at each of ``temperatures`` (paper: 2.4, 2.9).

The two variants are trained on the run's split with the run's options (``epochs`` overrides both
stages' epochs, e.g. for a quick look), sampled with the run's sampling options, and scored by
:func:`archgen.metrics.evaluate_samples` -- the same metrics and both protocols as ``archgen evaluate``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs
from archgen.atomic import write_text
from archgen.errors import ConfigError
from archgen.metrics import evaluate_samples
from archgen.metrics.aggregate import aggregate
from archgen.progress import progress
from archgen.registry import load

FIGURE = "ablation.md"
VARIANTS = ("vae_transformer", "vqvae_independent")
#: arch-vq.md Table 7 (NB201): validity, uniqueness, absolute uniqueness, novelty, absolute novelty.
PAPER = {
    "VAE + Transformer": (100.0, 28.12, 28.12, 11.18, 11.18),
    "VQ-VAE + Standard Prior": (100.0, 74.84, 74.84, 13.76, 13.76),
    "Arch-VQ (t=2.4)": (97.52, 95.66, 93.30, 69.32, 67.65),
    "Arch-VQ (t=2.9)": (89.66, 99.15, 88.91, 91.02, 81.64),
}
LABELS = {"vae_transformer": "VAE + Transformer", "vqvae_independent": "VQ-VAE + Standard Prior"}
COLUMNS = ("validity", "uniqueness", "absolute_uniqueness", "novelty", "absolute_novelty")


class Options(BaseModel):
    """Options of the ``ablation`` analysis.

    Attributes:
        variants: Which trained variants to include (``vae_transformer``, ``vqvae_independent``).
        temperatures: Temperatures of the run's own Arch-VQ rows (paper: 2.4 and 2.9).
        epochs: Epochs of both training stages of the variants (default: the run's).
        n: Samples per row and replicate (default: the run's ``[evaluate] num_samples``).
        seeds: Replicates (default: the first trained one).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    variants: list[str] = Field(default_factory=lambda: list(VARIANTS))
    temperatures: list[float] = Field(default_factory=lambda: [2.4, 2.9])
    epochs: int | None = Field(None, ge=0, le=1_000_000)
    n: int | None = Field(None, ge=1, le=10_000_000)
    seeds: list[int] | None = None


def variant_spec(spec: dict[str, Any], variant: str, epochs: int | None) -> dict[str, Any]:
    """The generator configuration of one variant, derived from the run's ``[generator]``.

    Raises:
        ConfigError: For an unknown variant, or a generator without quantizer and prior choices.
    """
    options = copy.deepcopy(spec["options"])
    if not {"quantizer", "prior"} <= set(options):
        raise ConfigError(f"ablation needs a generator that composes a quantizer and a prior (like arch_vq); "
                          f"generator {spec['name']!r} has neither option")
    if variant == "vae_transformer":
        kept = {k: v for k, v in options["quantizer"].get("options", {}).items() if k in ("dim", "codebook_size")}
        options["quantizer"] = {"name": "gaussian", "options": kept}
    elif variant == "vqvae_independent":
        options["prior"] = {"name": "independent", "options": {}}
    else:
        raise ConfigError(f"unknown ablation variant {variant!r}; choose from {list(VARIANTS)}")
    if epochs is not None:
        options["vqvae_epochs"] = options["prior_epochs"] = epochs
    return {"name": spec["name"], "options": options}


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Trains each variant per replicate, samples and scores every row; writes Table 7 as Markdown."""
    space = inputs.space
    spec = inputs.generator_spec
    specs = {variant: variant_spec(spec, variant, options.epochs) for variant in options.variants}  # refuse early
    seeds = [inputs.replicate(s) for s in options.seeds] if options.seeds else [inputs.trained_seeds[0]]
    n = options.n or inputs.config.evaluate.num_samples
    rows: dict[str, list[dict[str, Any]]] = {}
    for seed in seeds:
        for variant, variant_config in progress(specs.items(), desc=f"ablation seed {seed}", total=len(specs)):
            generator = load("generator", variant_config["name"], **variant_config["options"])
            generator.fit(space, inputs.train, validation=inputs.heldout, runtime=inputs.runtime, seed=seed)
            figures = evaluate_samples(space, inputs.draw(generator, n, seed), inputs.reference)
            figures["reconstruction_accuracy"] = _reconstruction(generator, space, inputs.heldout)
            rows.setdefault(LABELS[variant], []).append(figures)
        trained = inputs.generator(seed)
        for temperature in options.temperatures:
            sampling = inputs.sampling_with({**inputs.sampling, "temperature": temperature}, trained)
            figures = evaluate_samples(space, inputs.draw(trained, n, seed, sampling), inputs.reference)
            figures["reconstruction_accuracy"] = _reconstruction(trained, space, inputs.heldout)
            rows.setdefault(f"Arch-VQ (t={temperature:g})", []).append(figures)
    result = {
        "analysis": "ablation",
        "space": space.name,
        "generator": spec["name"],
        "seeds": seeds,
        "num_samples": n,
        "sampling": inputs.sampling,
        "variants": {label: {"config": specs[v]} for v, label in LABELS.items() if v in specs},
        "rows": {label: {"per_seed": per_seed, "summary": aggregate(per_seed)} for label, per_seed in rows.items()},
        "paper_nb201": {label: dict(zip(COLUMNS, values)) for label, values in PAPER.items()},
    }
    write_text(figure, render(result))
    return result


def _reconstruction(generator: Any, space: Any, heldout: list[Any]) -> float:
    method = getattr(generator, "reconstruction_accuracy", None)
    return float(method(space, heldout)) if method is not None and heldout else float("nan")


def render(result: dict[str, Any]) -> str:
    """Table 7 under both protocols, beside the paper's NB201 figures."""
    lines = [
        f"# Ablation (arch-vq.md Table 7): {result['space']}, {result['num_samples']} samples, seeds {result['seeds']}",
        "",
        "| Method | Protocol | Recon. Acc | Validity | Uniqueness | Abs. Uniq | Novelty | Abs. Novelty |",
        "|---|---|---|---|---|---|---|---|",
    ]
    k = len(result["seeds"])
    for label, row in result["rows"].items():
        summary = row["summary"]
        for protocol in ("paper", "strict"):
            cells = [_cell(summary["reconstruction_accuracy"], k)] + [_cell(summary[protocol][c], k) for c in COLUMNS]
            lines.append(f"| {label} | {protocol} | " + " | ".join(cells) + " |")
        if label in result["paper_nb201"]:
            lines.append(f"| {label} | published | - | " + " | ".join(f"{v:.2f}" for v in result["paper_nb201"][label].values()) + " |")
    return "\n".join(lines) + "\n"


def _cell(summary: dict[str, float] | None, replicates: int) -> str:
    if not summary or summary["mean"] != summary["mean"]:
        return "-"
    if replicates == 1:  # one seed: no spread was measured, so none is shown
        return f"{summary['mean']:.2f}"
    return f"{summary['mean']:.2f} ± {summary['std']:.2f}"


def headline(result: dict[str, Any]) -> str:
    """The figures the analysis is about: each variant's paper absolute uniqueness and novelty."""
    rows = "; ".join(
        f"{label} {_cell(row['summary']['paper']['absolute_uniqueness'], 1)}/{_cell(row['summary']['paper']['absolute_novelty'], 1)}"
        for label, row in result["rows"].items()
    )
    seeds = len(result["seeds"])
    return (f"paper Abs. Uniq/Abs. Novelty ({result['num_samples']} samples, "
            f"{'1 seed' if seeds == 1 else f'means of {seeds} seeds'}): {rows}")
