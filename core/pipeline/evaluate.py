"""``archgen evaluate``: score ``samples.jsonl`` (both protocols) and reconstruction; write the report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from archgen.atomic import write_text
from archgen.errors import ArchgenError, RunDirectoryError
from archgen.metrics import GenerationReference, evaluate_samples, iid_uniqueness_ceiling
from archgen.metrics.ceilings import uniqueness_ceilings
from archgen.pipeline import samples_file
from archgen.pipeline.report import aggregate, render_report
from archgen.pipeline.session import Session
from archgen.plugin_outputs import PluginRef, check_sample_batch
from archgen.progress import progress
from archgen.protocols import Reconstructs
from archgen.registry import load


def evaluate(session: Session, *, seeds: int | None = None, overall: Any = None) -> dict[str, Any]:
    """Scores the stored graphs; writes ``metrics.json`` and ``report.md``.

    Reconstruction accuracy is computed for generators that can reconstruct
    (the :class:`archgen.protocols.Reconstructs` capability); the samples themselves
    are scored from the file alone.

    Args:
        session: The staged run.
        seeds: Score the first ``seeds`` replicates (default: all).
        overall: The command's overall progress, moved to its ``baseline`` stage when one is scored.
    """
    run = session.run
    head, batches = samples_file.read_samples(run.samples_file, session.space, run.describe(run.samples_file))
    chosen = choose_seeds(session, seeds, available=sorted(batches))
    data = session.dataset()
    reference = GenerationReference.build(session.space, data.train, data.heldout)
    per_seed = []
    for seed in progress(chosen, desc="evaluate", total=len(chosen)):
        figures = evaluate_samples(session.space, batches[seed], reference)
        generator = session.generator(seed) if _reconstructs(session) else None
        figures["reconstruction_accuracy"] = (
            generator.reconstruction_accuracy(session.space, data.heldout) if generator is not None else float("nan")
        )
        training = run.read_json(f"checkpoints/seed-{seed}/training.json", "re-run 'archgen train'")
        figures["codebook"] = {k: training.get(k) for k in ("codebook_used", "codebook_size", "dead_code_restarts")}
        figures["seed"] = seed
        session.hooks.archgen_metrics_computed(seed=seed, metrics=figures)
        per_seed.append(figures)
    summary = aggregate(per_seed)
    baseline = session.run_config.evaluate.baseline
    if baseline and overall is not None:
        overall.start("baseline")
    baselines = {baseline: score_baseline(session, baseline, chosen, head["num_samples"], reference)} if baseline else {}
    metrics = {
        "space": session.space.name,
        "generator": session.generator_name,
        "sampling": head.get("sampling", {}),
        "num_samples": head["num_samples"],
        "iid_uniqueness_ceiling": iid_uniqueness_ceiling(session.space.size(), head["num_samples"]),
        "uniqueness_ceilings": uniqueness_ceilings(session.space, head["num_samples"]),
        "seeds": chosen,
        "per_seed": per_seed,
        "summary": summary,
        "baselines": baselines,
    }
    run.write_json("metrics.json", metrics)
    write_text(run.report_file, render_report(session.run_config, session.space.size(), metrics))
    for name in STALE_FILES:  # left by a failed re-score: these fresh scores supersede them
        (run.path / name).unlink(missing_ok=True)
    session.summary = summary
    return metrics


#: What ``archgen evaluate`` derives from ``samples.jsonl``: stale once the samples change.
SCORED_FILES = ("metrics.json", "report.md")
#: Where they are moved when the new samples cannot be scored (same names, ``.stale`` before the suffix).
STALE_FILES = ("metrics.stale.json", "report.stale.md")
#: The first line of ``report.stale.md``; the reason follows it.
STALE_MARK = "> STALE: these figures describe samples that `archgen generate` replaced; re-scoring them failed: "


def rescore_if_scored(session: Session) -> dict[str, Any] | None:
    """Scores the new ``samples.jsonl`` again when the run holds scores of the previous one.

    Evaluation is one pass over the samples plus reconstruction, so a command that replaces the
    samples re-scores them in the same staged commit rather than leave a ``report.md`` describing
    samples that no longer exist. The previous evaluation's seed count is kept (``--seeds``). If the
    new samples cannot be scored (an :class:`~archgen.errors.ArchgenError`, e.g. a missing checkpoint),
    the samples are still kept and the old scores are moved aside to :data:`STALE_FILES`, the report
    headed by :data:`STALE_MARK` and the reason, so that no file under its usual name is untrue.

    Returns:
        The new metrics, or ``None`` when the run had never been evaluated or could not be re-scored.
    """
    folder = session.run.path
    if not any((folder / name).exists() for name in SCORED_FILES):
        return None
    try:
        previous = len(json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["seeds"])
    except (OSError, ValueError, KeyError, TypeError):
        previous = None  # a report without readable metrics: score every seed
    try:
        metrics = evaluate(session, seeds=previous if previous is not None and 0 < previous <= len(session.seeds) else None)
    except ArchgenError as error:
        _set_aside(folder, str(error))
        return None
    return metrics


def _set_aside(folder: Path, reason: str) -> None:
    """Moves the scores of replaced samples to their stale names, the report headed by the reason."""
    for name, stale in zip(SCORED_FILES, STALE_FILES):
        if (folder / name).exists():
            os.replace(folder / name, folder / stale)
    if (folder / STALE_FILES[1]).exists():
        text = (folder / STALE_FILES[1]).read_text(encoding="utf-8")
        write_text(folder / STALE_FILES[1], f"{STALE_MARK}{reason}\n\n{text}")


def score_baseline(session: Session, name: str, seeds: list[int], n: int, reference: GenerationReference) -> dict[str, Any]:
    """Scores a training-free baseline generator with the run's split, sample count and seeds.

    Returns:
        ``{"per_seed": [...], "summary": {...}}`` in the shape of the run's own figures.
    """
    generator = load("generator", name)
    generator.fit(session.space, session.dataset().train, runtime=session.runtime, seed=seeds[0])
    per_seed = []
    for seed in progress(seeds, desc=f"baseline {name}", total=len(seeds)):
        batch = check_sample_batch(generator.sample(session.space, n, seed=seed), session.space, n=n, seed=seed,
                                   plugin=PluginRef("generator", name, generator))
        figures = evaluate_samples(session.space, batch, reference)
        per_seed.append({**figures, "seed": seed})
    return {"per_seed": per_seed, "summary": aggregate(per_seed)}


def _reconstructs(session: Session) -> bool:
    return isinstance(session.new_generator(), Reconstructs)


def choose_seeds(session: Session, seeds: int | None, available: list[int]) -> list[int]:
    """The first ``seeds`` trained replicates (all by default), each of which must have samples.

    Raises:
        RunDirectoryError: If more seeds are asked for than were trained or sampled.
    """
    trained = session.seeds
    if seeds is None:
        chosen = [s for s in trained if s in available]
    else:
        if seeds > len(trained):
            raise RunDirectoryError(
                f"--seeds {seeds} asked for, but the run has {len(trained)} trained replicate(s) {trained}; "
                f"train with --seeds {seeds}"
            )
        chosen = trained[:seeds]
    missing = [s for s in chosen if s not in available]
    if missing or not chosen:
        raise RunDirectoryError(f"samples.jsonl has no samples of seed(s) {missing or trained}; run 'archgen generate' again")
    return chosen
