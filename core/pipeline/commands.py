"""The commands as Python functions: each validates everything first, then stages its run.

``archgen <command>`` calls these; so can a notebook. Every one works on a
staged copy of the run (:func:`archgen.pipeline.session.command_session`):
on any failure, ``KeyboardInterrupt`` or SIGTERM the earlier run stays
byte-identical, and the hooks' ``archgen_run_end`` fires only on success.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgen.config import RegistryConfig
from archgen.errors import ConfigError
from archgen.generation import NoSamplingOptions, validate_sampling
from archgen.pipeline import evaluate as evaluate_step
from archgen.pipeline import generate as generate_step
from archgen.pipeline import sweep as sweep_step
from archgen.pipeline import train as train_step
from archgen.pipeline.session import command_session, resolve_config
from archgen.pipeline.stages import RunProgress
from archgen.registry import load
from archgen.runs import RunConfig


def train(config: RegistryConfig, *, run_dir: Path, seeds: int, overwrite: bool = False, device: str | None = None,
          extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Creates the run and trains one generator per seed; returns the resolved configuration."""
    resolved = resolve_config(config, seeds, device)
    _require_generator(config)
    with command_session("train", run_dir, resolved=resolved, overwrite=overwrite, device=device,
                         extra_hooks=extra_hooks) as session:
        train_step.train(session)
    return session.config


def run(config: RegistryConfig, *, run_dir: Path, seeds: int, overwrite: bool = False, device: str | None = None,
        n: int | None = None, sampling: dict[str, Any] | None = None, extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Train, generate and evaluate as one staged command; returns the metrics."""
    resolved = resolve_config(config, seeds, device)
    _require_generator(config)
    _check_sampling(RunConfig.model_validate(resolved), sampling)
    with command_session("run", run_dir, resolved=resolved, overwrite=overwrite, device=device,
                         extra_hooks=extra_hooks) as session:
        overall = RunProgress(session)
        train_step.train(session, overall)
        if not session.runtime.is_main:
            return {}  # under torchrun, sampling and scoring are rank 0's (the others hold no checkpoints)
        overall.start("generate")
        generate_step.generate(session, n=n, sampling=sampling)
        overall.start("evaluate")
        metrics = evaluate_step.evaluate(session, overall=overall)
        overall.close()
    return metrics


def generate(run_dir: Path, *, n: int | None = None, sampling: dict[str, Any] | None = None, device: str | None = None,
             distinct: bool = False, max_draws: int | None = None, extra_hooks: Sequence[object] = ()) -> Path:
    """Samples a trained run into ``samples.jsonl`` (or, ``distinct``, ``distinct.jsonl``); returns the file's path."""
    with command_session("generate", run_dir, device=device, extra_hooks=extra_hooks) as session:
        session.sampling(sampling)  # refuse bad options before any model is loaded
        if session.runtime.is_main:
            if distinct:
                generate_step.generate_distinct(session, n=n, sampling=sampling, max_draws=max_draws)
            else:
                generate_step.generate(session, n=n, sampling=sampling)
    return Path(run_dir) / ("distinct.jsonl" if distinct else "samples.jsonl")


def evaluate(run_dir: Path, *, seeds: int | None = None, device: str | None = None,
             extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Scores a run's ``samples.jsonl``; returns the metrics."""
    with command_session("evaluate", run_dir, device=device, extra_hooks=extra_hooks) as session:
        if not session.runtime.is_main:
            return {}
        metrics = evaluate_step.evaluate(session, seeds=seeds)
    return metrics


def sweep(run_dir: Path, over: str, values: list[Any], *, n: int | None = None, seeds: int | None = None,
          device: str | None = None, extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Sweeps one sampling option of a trained run; returns the sweep."""
    with command_session("sweep", run_dir, device=device, extra_hooks=extra_hooks) as session:
        if not session.runtime.is_main:
            return {}
        result = sweep_step.sweep(session, over, values, n=n, seeds=seeds)
    return result


def analyze(run_dir: Path, analysis: str, *, options: dict[str, Any] | None = None, sampling: dict[str, Any] | None = None,
            device: str | None = None, extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Runs one of the papers' analyses on a trained run into ``<run>/analysis/``; returns its result."""
    from archgen.pipeline import analyze as analyze_step

    validated = analyze_step.validate_options(analysis, options)  # before the run is staged
    with command_session("analyze", run_dir, device=device, extra_hooks=extra_hooks) as session:
        if not session.runtime.is_main:
            return {}
        result = analyze_step.analyze(session, analysis, validated, sampling)
    return result


def predict(config: RegistryConfig, *, run_dir: Path, overwrite: bool = False, device: str | None = None,
            extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Trains the ``[predictor]`` on N labelled architectures per ``[predict]`` and ranks the rest; returns the result."""
    from archgen.pipeline import predict as predict_step  # scipy.stats: imported only by this command

    resolved = resolve_config(config, 1, device)
    if config.predictor is None:  # checked after resolve_config, so an unknown plugin is named first
        raise ConfigError("registry has no [predictor]; name one (e.g. [predictor] name = \"gin\"; see 'archgen plugins')")
    with command_session("predict", run_dir, resolved=resolved, overwrite=overwrite, device=device,
                         extra_hooks=extra_hooks) as session:
        result = predict_step.predict(session)
    return result


def search(config: RegistryConfig, *, run_dir: Path, label: str | None = None, overwrite: bool = False,
           device: str | None = None, extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Runs the ``[searcher]`` for ``[search] trials`` trials into ``<run>/search/``; returns the summary.

    Each trial is committed on its own (see :mod:`archgen.pipeline.search_command`).
    """
    from archgen.pipeline.search_command import run_search

    return run_search(config, run_dir=run_dir, label=label, overwrite=overwrite, device=device, extra_hooks=extra_hooks)


def _require_generator(config: RegistryConfig) -> None:
    if config.generator is None:
        raise ConfigError("registry has no [generator]; name one (e.g. [generator] name = \"arch_vq\"; see 'archgen plugins')")


def _check_sampling(resolved: RunConfig, overrides: dict[str, Any] | None) -> None:
    """Refuses bad sampling overrides before any training (the run's generator validates them)."""
    if not overrides or resolved.generator is None:  # no generator: _require_generator has refused it
        return
    spec = resolved.generator
    model = getattr(load("generator", spec.name, **spec.options), "SamplingOptions", NoSamplingOptions)
    validate_sampling(model, {**resolved.evaluate.sampling, **overrides})
