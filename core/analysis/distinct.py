"""``distinct``: n distinct valid architectures from a generator, by rejecting repeats -- and the draws it took.

What a NAS user asks a generator for is a set of *different* candidates. This analysis draws in
batches, keeps each valid sample (``space.is_valid``) whose ``canonical_key`` it has not kept yet,
and stops at ``n``; it reports how many draws that needed, and how many of the kept architectures
are novel (canonical key outside the training split) or held-out ones. It is reported on its own,
never mixed into the i.i.d. metrics of ``archgen evaluate``. The same procedure is run on a
training-free baseline generator (``uniform`` by default) for scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs
from archgen.atomic import write_text
from archgen.distinct_sampling import distinct_sample
from archgen.plugin_outputs import PluginRef
from archgen.registry import load

FIGURE = "distinct.md"


class Options(BaseModel):
    """Options of the ``distinct`` analysis.

    Attributes:
        n: Distinct valid architectures wanted.
        batch: Draws per generator call (default: ``n``).
        max_draws: Give up after this many draws (the result says so).
        seed: Replicate to analyse (default: the first trained one).
        sample_seed: Seeds the per-batch sampling seeds (recorded in the result).
        baseline: A training-free generator run the same way (``""``: none).
    """

    model_config = ConfigDict(extra="forbid")
    n: int = Field(1000, ge=1, le=10_000_000)
    batch: int | None = Field(None, ge=1, le=10_000_000)
    max_draws: int = Field(1_000_000, ge=1)
    seed: int | None = None
    sample_seed: int = 0
    baseline: str = "uniform"


def _figures(found: dict[str, Any], inputs: AnalysisInputs) -> dict[str, Any]:
    reference = inputs.reference
    keys = found.pop("keys")
    novel = sum(key not in reference.train_classes for key in keys)
    heldout = sum(key in reference.heldout_classes for key in keys)
    return {
        **{k: v for k, v in found.items() if k != "architectures"},
        "distinct": len(keys),
        "draws_per_distinct": found["draws"] / len(keys) if keys else None,
        "novel": novel,
        "heldout": heldout,
        "architectures": found["architectures"],
    }


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Distinct sampling from one replicate (and the baseline); writes a Markdown table."""
    seed = inputs.replicate(options.seed)
    space = inputs.space
    batch = options.batch or options.n
    generator = inputs.generator(seed)
    model = _figures(distinct_sample(
        space, lambda count, s: inputs.draw(generator, count, s), options.n, batch, options.max_draws,
        np.random.default_rng(options.sample_seed)), inputs)
    rows = {inputs.generator_spec["name"]: model}
    if options.baseline:
        baseline = load("generator", options.baseline)
        baseline.fit(space, inputs.train, runtime=inputs.runtime, seed=seed)
        rows[options.baseline] = _figures(distinct_sample(
            space, lambda count, s: baseline.sample(space, count, seed=s), options.n, batch, options.max_draws,
            np.random.default_rng(options.sample_seed), plugin=PluginRef("generator", options.baseline, baseline)), inputs)
    result = {
        "analysis": "distinct",
        "space": space.name,
        "space_size": space.size(),
        "replicate_seed": seed,
        "sampling": inputs.sampling,
        "n": options.n,
        "generators": rows,
    }
    write_text(figure, render(result))
    return result


def render(result: dict[str, Any]) -> str:
    """The draws each generator needed for ``n`` distinct valid architectures, as Markdown."""
    lines = [
        f"# Distinct sampling: {result['n']} distinct valid {result['space']} architectures (by canonical key)",
        "",
        f"Replicate {result['replicate_seed']}, sampling {result['sampling']}. Repeats and invalid draws are rejected.",
        "",
        "| generator | distinct | draws | draws / distinct | valid draws | malformed | novel (not in train) | held-out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["generators"].items():
        ratio = "-" if row["draws_per_distinct"] is None else f"{row['draws_per_distinct']:.2f}"
        lines.append(
            f"| {name} | {row['distinct']}{'' if row['complete'] else ' (max_draws reached)'} | {row['draws']} | {ratio} | "
            f"{row['valid_draws']} | {row['malformed_draws']} | {row['novel']} | {row['heldout']} |"
        )
    return "\n".join(lines) + "\n"


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: draws per distinct valid architecture, per generator."""
    parts = []
    for name, row in result["generators"].items():
        ratio = "-" if row["draws_per_distinct"] is None else f"{row['draws_per_distinct']:.2f}"
        parts.append(f"{name} {row['distinct']} in {row['draws']:,} draws ({ratio} per distinct"
                     + ("" if row["complete"] else ", max_draws reached") + ")")
    return f"{result['n']} distinct valid architectures: " + "; ".join(parts)
