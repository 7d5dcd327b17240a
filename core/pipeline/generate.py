"""``archgen generate``: sample every trained replicate into ``samples.jsonl``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archgen.atomic import write_with
from archgen.generation import SampleBatch
from archgen.pipeline import samples_file
from archgen.pipeline.session import Session, require_trained
from archgen.progress import progress


def draw(session: Session, generator: Any, seed: int, n: int, sampling: dict[str, Any]) -> SampleBatch:
    """One replicate's samples; fires ``archgen_samples_generated``."""
    batch = generator.sample(session.space, n, seed=seed, **sampling)
    session.hooks.archgen_samples_generated(
        space=session.space.name, sampling=dict(batch.sampling or sampling), num_samples=len(batch),
        num_well_formed=int(batch.well_formed.sum()),
    )
    return batch


def generate(session: Session, *, n: int | None = None, sampling: dict[str, Any] | None = None) -> Path:
    """Samples every replicate and writes ``samples.jsonl`` (one decoded graph a line).

    Args:
        session: The staged run.
        n: Samples per seed (default ``[evaluate] num_samples``).
        sampling: Overrides of ``[evaluate.sampling]``, validated by the generator.
    """
    require_trained(session)
    n = n or session.config["evaluate"]["num_samples"]
    knobs = session.sampling(sampling)
    lines: list[str] = []
    for seed in progress(session.seeds, desc="generate", total=len(session.seeds)):
        batch = draw(session, session.generator(seed), seed, n, knobs)
        lines.extend(samples_file.sample_lines(session.space, batch))
    head = samples_file.header(session.space, session.config["generator"]["name"], knobs, n, session.seeds)
    return write_with(session.run.samples_file, lambda handle: handle.writelines([head, *lines]))
