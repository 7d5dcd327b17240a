"""``archgen evaluate``: score ``samples.jsonl`` (both protocols) and reconstruction; write the report."""

from __future__ import annotations

from typing import Any

from archgen.atomic import write_text
from archgen.errors import RunDirectoryError
from archgen.metrics import GenerationReference, evaluate_samples, iid_uniqueness_ceiling
from archgen.pipeline import samples_file
from archgen.pipeline.report import aggregate, render_report
from archgen.pipeline.session import Session
from archgen.plugin_outputs import PluginRef, check_sample_batch
from archgen.progress import progress
from archgen.protocols import Reconstructs
from archgen.registry import load


def evaluate(session: Session, *, seeds: int | None = None) -> dict[str, Any]:
    """Scores the stored graphs; writes ``metrics.json`` and ``report.md``.

    Reconstruction accuracy is computed for generators that can reconstruct
    (the :class:`archgen.protocols.Reconstructs` capability); the samples themselves
    are scored from the file alone.
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
    baselines = {baseline: score_baseline(session, baseline, chosen, head["num_samples"], reference)} if baseline else {}
    metrics = {
        "space": session.space.name,
        "generator": session.generator_name,
        "sampling": head.get("sampling", {}),
        "num_samples": head["num_samples"],
        "iid_uniqueness_ceiling": iid_uniqueness_ceiling(session.space.size(), head["num_samples"]),
        "seeds": chosen,
        "per_seed": per_seed,
        "summary": summary,
        "baselines": baselines,
    }
    run.write_json("metrics.json", metrics)
    write_text(run.report_file, render_report(session.run_config, session.space.size(), metrics))
    session.summary = summary
    return metrics


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
