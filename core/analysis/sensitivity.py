"""``sensitivity``: reconstruction accuracy against codebook size K, commitment weight β and EMA decay γ
(arch-vq.md 6.2, Figure 5).

One hyperparameter varies at a time, the others keep the run's values; each point trains the
run's VQ-VAE configuration (no prior: ``prior_epochs = 0``) on the run's training split and reports
the held-out reconstruction accuracy. The paper does this on NB101; here it is the run's space.
The options are the quantizer's own (``codebook_size``, ``beta``, ``decay`` of ``ema``), set through
the registry.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs
from archgen.errors import ConfigError
from archgen.figures import headless_pyplot, save_figure
from archgen.progress import progress
from archgen.registry import load

FIGURE = "sensitivity.png"


class Options(BaseModel):
    """Options of the ``sensitivity`` analysis (grids: the paper's).

    Attributes:
        codebook_size: Values of K.
        beta: Values of the commitment weight.
        decay: Values of the EMA decay.
        epochs: VQ-VAE epochs per point (default: the run's).
        seed: Training seed of every point (default: the first trained replicate).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    codebook_size: list[int] = Field(default_factory=lambda: [128, 256, 512, 1024])
    beta: list[float] = Field(default_factory=lambda: [0.1, 0.25, 0.5, 0.75, 1.0])
    decay: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
    epochs: int | None = Field(None, ge=0, le=1_000_000)
    seed: int | None = None


def point_spec(spec: dict[str, Any], parameter: str, value: Any, epochs: int | None) -> dict[str, Any]:
    """The run's generator configuration with one quantizer option changed and no prior training."""
    options = copy.deepcopy(spec["options"])
    if "quantizer" not in options:
        raise ConfigError(f"sensitivity needs a generator with a quantizer choice (like arch_vq); {spec['name']!r} has none")
    options["quantizer"] = {**options["quantizer"], "options": {**options["quantizer"].get("options", {}), parameter: value}}
    options["prior_epochs"] = 0
    if epochs is not None:
        options["vqvae_epochs"] = epochs
    return {"name": spec["name"], "options": options}


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Trains one VQ-VAE per grid point; writes the three-panel plot."""
    space = inputs.space
    spec = inputs.generator_spec
    seed = inputs.replicate(options.seed)
    grid = [(p, v) for p in ("codebook_size", "beta", "decay") for v in getattr(options, p)]
    specs = [point_spec(spec, p, v, options.epochs) for p, v in grid]
    for config in specs:  # every point's options are validated before the first one trains
        load("generator", config["name"], **config["options"])
    points = []
    for (parameter, value), config in progress(list(zip(grid, specs)), desc="sensitivity", total=len(grid)):
        generator = load("generator", config["name"], **config["options"])
        stats = generator.fit(space, inputs.train, validation=inputs.heldout, runtime=inputs.runtime, seed=seed)
        points.append({
            "parameter": parameter, "value": value,
            "reconstruction_accuracy": float(generator.reconstruction_accuracy(space, inputs.heldout)),
            "codebook_used": stats.get("codebook_used"),
        })
    result = {
        "analysis": "sensitivity",
        "space": space.name,
        "generator": spec["name"],
        "seed": seed,
        "vqvae_epochs": specs[0]["options"]["vqvae_epochs"] if specs else None,
        "run_quantizer": spec["options"].get("quantizer"),
        "points": points,
    }
    plot(result, figure)
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    """Reconstruction accuracy against each hyperparameter, one panel each (Figure 5's layout)."""
    return save_figure(draw(result), path)


def draw(result: dict[str, Any]) -> Any:
    """The figure of :func:`plot`, not yet saved."""
    plt = headless_pyplot()

    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6), dpi=110)
    for axis, (parameter, label) in zip(axes, (("codebook_size", "codebook size K"), ("beta", "β"), ("decay", "γ"))):
        points = [p for p in result["points"] if p["parameter"] == parameter]
        xs = list(range(len(points))) if parameter == "codebook_size" else [p["value"] for p in points]
        axis.plot(xs, [p["reconstruction_accuracy"] for p in points], marker="o")
        if parameter == "codebook_size":
            axis.set_xticks(xs, [str(p["value"]) for p in points])
        axis.set_xlabel(label)
        axis.set_ylabel("held-out reconstruction accuracy (%)")
        axis.grid(alpha=0.3)
    figure.suptitle(f"{result['space']} · {result['generator']}: sensitivity ({result['vqvae_epochs']} VQ-VAE epochs, seed {result['seed']})",
                    fontsize=9)
    return figure


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: the best held-out reconstruction per hyperparameter, and its range."""
    parts = []
    for parameter in ("codebook_size", "beta", "decay"):
        points = [p for p in result["points"] if p["parameter"] == parameter]
        if points:
            best = max(points, key=lambda p: p["reconstruction_accuracy"])
            low = min(p["reconstruction_accuracy"] for p in points)
            parts.append(f"{parameter} best {best['reconstruction_accuracy']:.2f} at {best['value']} (lowest {low:.2f})")
    return "held-out reconstruction accuracy (%): " + "; ".join(parts)
