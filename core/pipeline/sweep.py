"""``archgen sweep``: the metrics against one sampling option (the paper's Figure 2 for temperature)."""

from __future__ import annotations

import json
import math
from typing import Any

from archgen.errors import ConfigError
from archgen.metrics import GenerationReference, evaluate_samples, iid_uniqueness_ceiling
from archgen.metrics.ceilings import ceiling_text, uniqueness_ceilings
from archgen.pipeline.evaluate import choose_seeds
from archgen.pipeline.generate import draw
from archgen.pipeline.report import PROTOCOLS_TEXT, aggregate, plot_sweep, sampling_text, text_table
from archgen.pipeline.session import Session, require_trained
from archgen.progress import progress

#: The most grid points one sweep may have: each point samples and scores every seed.
MAX_POINTS = 1000


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``KEY=START:STOP:STEP`` (inclusive of ``STOP``) or ``KEY=V1,V2,...`` (numbers or JSON values).

    Raises:
        ConfigError: For a malformed spec, a non-finite number, an empty or
            descending range, or more than :data:`MAX_POINTS` points.
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise ConfigError(f"bad sweep {text[:80]!r}; expected KEY=START:STOP:STEP or KEY=V1,V2,... (e.g. temperature=0.5:3.0:0.1)")
    return key, parse_values(values, f"--over {key}=")


def parse_values(text: str, flag: str) -> list[Any]:
    """The grid of one sweep spec (the part after ``KEY=``); see :func:`parse_grid`."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    try:
        if ":" in text:
            start, stop, step = (float(x) for x in text.split(":"))
            if not all(math.isfinite(v) for v in (start, stop, step)) or step <= 0 or stop < start:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_POINTS:
                raise ConfigError(f"{flag}{shown} has {count:,} points; at most {MAX_POINTS} (use a larger step)")
            return [round(start + i * step, 10) for i in range(count)]
        values = [_value(x) for x in text.split(",")]
        if not values or len(values) > MAX_POINTS:
            raise ConfigError(f"{flag}{shown} has {len(values)} points; 1..{MAX_POINTS} allowed")
        return values
    except ConfigError:
        raise
    except ValueError:
        raise ConfigError(
            f"bad sweep values {flag}{shown}; expected START:STOP:STEP with finite numbers and STOP >= START, "
            "STEP > 0 (e.g. 0.5:3.0:0.1), or a comma list"
        ) from None


def _value(text: str) -> Any:
    text = text.strip()
    if not text:
        raise ValueError
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError
    return value


def sweep(session: Session, over: str, values: list[Any], *, n: int | None = None, seeds: int | None = None) -> dict[str, Any]:
    """Samples and scores every seed at each value of one sampling option; writes ``sweep.json`` and ``sweep.png``.

    Every grid point is validated by the generator's ``SamplingOptions`` before any sampling.
    """
    require_trained(session)
    n = n or session.run_config.evaluate.num_samples
    generator = session.new_generator()
    grid = [session.sampling({over: value}, generator) for value in values]
    chosen = choose_seeds(session, seeds, available=session.seeds)
    data = session.dataset()
    reference = GenerationReference.build(session.space, data.train, data.heldout)
    generators = {seed: session.generator(seed) for seed in chosen}
    points = []
    for value, knobs in progress(list(zip(values, grid)), desc=f"sweep {over}", total=len(values)):
        per_seed = [evaluate_samples(session.space, draw(session, generators[s], s, n, knobs), reference) for s in chosen]
        points.append({"value": knobs[over], "sampling": knobs, **aggregate(per_seed)})
    best = {
        metric: max(({"value": p["value"], "score": p["paper"][metric]["mean"]} for p in points), key=lambda b: b["score"])
        for metric in ("absolute_uniqueness", "absolute_novelty")
    }
    result = {
        "space": session.space.name,
        "generator": session.generator_name,
        "over": over,
        "num_samples": n,
        "iid_uniqueness_ceiling": iid_uniqueness_ceiling(session.space.size(), n),
        "uniqueness_ceilings": uniqueness_ceilings(session.space, n),
        "sampling": {key: value for key, value in grid[0].items() if key != over} if grid else {},
        "seeds": len(chosen),
        "points": points,
        "best": best,
    }
    session.run.write_json("sweep.json", result)
    plot_sweep(result, session.run.path / "sweep.png")
    session.summary = {"best": best}
    return result


def sweep_table(result: dict[str, Any]) -> str:
    """One row per grid point: paper and strict figures (means over seeds), then the legend line."""
    header = [result["over"], "paper Validity", "paper Abs. Uniq", "paper Abs. Novelty",
              "strict Validity", "strict Abs. Uniq", "strict Held-out cov."]
    rows = []
    for p in result["points"]:
        value = p["value"]
        rows.append([
            f"{value:.2f}" if isinstance(value, float) else str(value),
            *(f"{p['paper'][k]['mean']:.2f}" for k in ("validity", "absolute_uniqueness", "absolute_novelty")),
            *(f"{p['strict'][k]['mean']:.2f}" for k in ("validity", "absolute_uniqueness", "heldout_coverage")),
        ])
    return f"{text_table(header, rows)}\n{sweep_legend(result)}"


def sweep_legend(result: dict[str, Any]) -> str:
    """The legend under the sweep table: protocols, samples, seeds, the fixed sampling options, ceilings."""
    seeds = result["seeds"]
    parts = [
        PROTOCOLS_TEXT,
        f"{result['num_samples']:,} samples per seed and point",
        "1 seed" if seeds == 1 else f"means over {seeds} seeds (± std in sweep.json)",
        f"{result['over']} swept, {sampling_text(result.get('sampling'))}" if result.get("sampling")
        else f"{result['over']} swept",
        ceiling_text(result.get("uniqueness_ceilings"), result.get("iid_uniqueness_ceiling")),
    ]
    return "legend: " + "; ".join(p for p in parts if p)
