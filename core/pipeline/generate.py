"""``archgen generate``: sample every trained replicate into ``samples.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import write_with
from archgen.distinct_sampling import distinct_sample
from archgen.generation import SampleBatch
from archgen.pipeline import samples_file
from archgen.pipeline.evaluate import rescore_if_scored
from archgen.pipeline.session import Session, require_trained
from archgen.plugin_outputs import PluginRef, check_sample_batch
from archgen.progress import progress


def draw(session: Session, generator: Any, seed: int, n: int, sampling: dict[str, Any]) -> SampleBatch:
    """One replicate's samples, checked as they leave the plugin; fires ``archgen_samples_generated``.

    Raises:
        PluginOutputError: If the batch breaks the SampleBatch contract (before anything is written).
    """
    batch = check_sample_batch(
        generator.sample(session.space, n, seed=seed, **sampling), session.space, n=n, seed=seed,
        plugin=PluginRef("generator", session.generator_name, generator),
        sampling_model=getattr(generator, "SamplingOptions", None),
    )
    session.hooks.archgen_samples_generated(
        space=session.space.name, sampling=dict(batch.sampling or sampling), num_samples=len(batch),
        num_well_formed=int(batch.well_formed.sum()),
    )
    return batch


def generate(session: Session, *, n: int | None = None, sampling: dict[str, Any] | None = None) -> Path:
    """Samples every replicate and writes ``samples.jsonl`` (one decoded graph a line).

    A run already evaluated is re-scored on the new samples in the same commit
    (:func:`archgen.pipeline.evaluate.rescore_if_scored`), so ``metrics.json`` and ``report.md``
    never describe samples that were replaced.

    Args:
        session: The staged run.
        n: Samples per seed (default ``[evaluate] num_samples``).
        sampling: Overrides of ``[evaluate.sampling]``, validated by the generator.
    """
    require_trained(session)
    n = n or session.run_config.evaluate.num_samples
    knobs = session.sampling(sampling)
    lines: list[str] = []
    for seed in progress(session.seeds, desc="generate", total=len(session.seeds)):
        batch = draw(session, session.generator(seed), seed, n, knobs)
        lines.extend(samples_file.sample_lines(session.space, batch))
    head = samples_file.header(session.space, session.generator_name, knobs, n, session.seeds)
    path = write_with(session.run.samples_file, lambda handle: handle.writelines([head, *lines]))
    rescore_if_scored(session)
    return path


def generate_distinct(session: Session, *, n: int | None = None, sampling: dict[str, Any] | None = None,
                      max_draws: int | None = None) -> Path:
    """Draws until every replicate has ``n`` valid architectures with distinct canonical keys; writes ``distinct.jsonl``.

    Not an i.i.d. sample, so it never touches ``samples.jsonl`` (what ``archgen evaluate`` scores, so
    ``metrics.json`` and ``report.md`` stay true without re-scoring): the
    header line holds, per seed, the draws it took (valid, malformed, whether ``n`` was reached); each
    further line one kept architecture, ``{"seed": s, "arch": "<native string>"}``.

    Args:
        session: The staged run.
        n: Distinct architectures per seed (default ``[evaluate] num_samples``).
        sampling: Overrides of ``[evaluate.sampling]``, validated by the generator.
        max_draws: Give up after this many draws per seed (default ``1000 * n``).
    """
    require_trained(session)
    n = n or session.run_config.evaluate.num_samples
    max_draws = max_draws or 1000 * n
    knobs = session.sampling(sampling)
    per_seed: dict[str, Any] = {}
    lines: list[str] = []
    for seed in progress(session.seeds, desc="generate distinct", total=len(session.seeds)):
        generator = session.generator(seed)
        found = distinct_sample(
            session.space, lambda count, s: draw(session, generator, s, count, knobs), n, n, max_draws,
            np.random.default_rng(seed),
        )
        kept = found.pop("architectures")
        found.pop("keys")
        per_seed[str(seed)] = {**found, "distinct": len(kept), "draws_per_distinct": found["draws"] / len(kept) if kept else None}
        lines.extend(json.dumps({"seed": seed, "arch": arch}) + "\n" for arch in kept)
    head = json.dumps({
        "kind": "archgen.distinct", "space": session.space.name, "generator": session.generator_name,
        "sampling": knobs, "n": n, "max_draws": max_draws, "by_canonical_key": True, "seeds": per_seed,
    }) + "\n"
    return write_with(session.run.distinct_file, lambda handle: handle.writelines([head, *lines]))


def distinct_summary(path: Path) -> str:
    """One line per seed of a ``distinct.jsonl`` header: distinct kept, draws, draws per distinct."""
    head = json.loads(Path(path).read_text(encoding="utf-8").split("\n", 1)[0])
    lines = [f"{head['n']} distinct valid {head['space']} architectures per seed (by canonical key), sampling {head['sampling']}:"]
    for seed, row in head["seeds"].items():
        ratio = "-" if row["draws_per_distinct"] is None else f"{row['draws_per_distinct']:.2f}"
        cap = "" if row["complete"] else f" (stopped at max_draws {head['max_draws']})"
        lines.append(f"  seed {seed}: {row['distinct']} kept from {row['draws']} draws ({ratio} per distinct; "
                     f"{row['valid_draws']} valid, {row['malformed_draws']} malformed){cap}")
    return "\n".join(lines)
