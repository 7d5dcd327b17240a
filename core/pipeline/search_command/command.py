"""``archgen search``: every pending trial of the ``[searcher]``, each committed on its own, then the summary."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archgen import overrides
from archgen.atomic import atomic_path
from archgen.config import RegistryConfig
from archgen.errors import ConfigError, RunDirectoryError
from archgen.hooks import hook_manager
from archgen.pipeline.rundir import RunDirectory
from archgen.pipeline.search_command import trial
from archgen.pipeline.search_command.plan import SearchPlan, plan_search
from archgen.pipeline.search_command.store import finished_trials, staged_commit
from archgen.pipeline.search_command.summary import summarize
from archgen.pipeline.search_command.tables import plot_anytime, search_markdown
from archgen.pipeline.session import resolve_config
from archgen.plain_names import check_plain_name
from archgen.registry import load
from archgen.runs import RunConfig, read_run_config
from archgen.runtime import Runtime


def with_overrides(config: RegistryConfig, *, searcher: str | None = None, **search: Any) -> RegistryConfig:
    """The registry with the command line's ``--searcher`` and ``[search]`` values applied.

    ``archgen search``'s spelling of :func:`archgen.overrides.with_overrides`, kept so code calling
    it with the flags' names still works. A ``--searcher`` other than the registry's ``[searcher]``
    runs with its default options.

    Raises:
        ConfigError: For a bad value (a budget of 0 or less, an empty checkpoint list...), naming the flag.
    """
    return overrides.with_overrides(config, plugins={"searcher": searcher}, search=search)


def run_search(
    config: RegistryConfig,
    *,
    run_dir: Path,
    label: str | None = None,
    overwrite: bool = False,
    device: str | None = None,
    extra_hooks: Sequence[object] = (),
    after_trial: Callable[[int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Runs the ``[searcher]`` for every pending trial and writes the experiment's summary.

    Everything is validated before the first trial: the searcher and its
    options, the metrics (unknown ones are refused with the accepted list), the
    budget and the checkpoints.

    Args:
        config: The registry (``[space]``, ``[searcher]``, ``[search]``, ``[run]``).
        run_dir: The run to add the search to (created with the registry's
            configuration when absent).
        label: The searcher's folder name (default: its plugin name).
        overwrite: Discard this searcher's earlier trials of the same experiment.
        device: Overrides ``[run] device``.
        extra_hooks: Hook plugins besides the installed ones (tests).
        after_trial: Called as ``(seed, record)`` once each trial is committed (tests, progress).

    Returns:
        The experiment's summary (``search.json``).

    Raises:
        ConfigError: For a missing ``[searcher]``, an unknown metric, bad checkpoints or constraint.
        BudgetExhaustedError: If the searcher asks past its budget.
        RunDirectoryError: If the run belongs to another space, or this searcher's earlier
            trials used other settings (pass ``overwrite``).
    """
    resolved = resolve_config(config, 1, device)  # written to a new run's config.json as it is
    typed = RunConfig.model_validate(resolved)
    searcher = typed.searcher
    if searcher is None:
        raise ConfigError("registry has no [searcher]; name one (e.g. [searcher] name = \"evolution\"; see 'archgen plugins')")
    label = label or searcher.name
    check_plain_name(label, "search label")  # a folder under search/<experiment>/, never a path
    run_dir = Path(run_dir)
    _refuse_other_space(run_dir, typed.space.name)
    runtime = Runtime.resolve(device or typed.run.device, typed.run.threads, typed.run.precision)
    space = load("space", typed.space.name, **typed.space.options)
    load("searcher", searcher.name, **searcher.options)  # refuse a broken plugin before any trial
    plan = plan_search(space, typed.search, runtime)
    try:
        return _run_trials(plan, typed, resolved, run_dir=run_dir, label=label, overwrite=overwrite,
                           extra_hooks=extra_hooks, after_trial=after_trial, runtime=runtime)
    finally:
        plan.close()


def _run_trials(plan: SearchPlan, typed: RunConfig, resolved: dict[str, Any], *, run_dir: Path, label: str,
                overwrite: bool, extra_hooks: Sequence[object], after_trial: Callable[[int, dict[str, Any]], None] | None,
                runtime: Runtime) -> dict[str, Any]:
    """Every pending trial of the planned experiment, each committed on its own, then the summary."""
    searcher = typed.searcher
    assert searcher is not None

    folder = Path("search") / plan.experiment / label
    settings = plan.settings(searcher, typed.space)
    hooks = hook_manager(tuple(extra_hooks)).hook
    hooks.archgen_run_start(command="search", config=resolved, run_dir=str(run_dir))
    done = {} if overwrite else finished_trials(run_dir / folder, settings, label)
    first_commit = True
    for seed in (typed.run.seed + k for k in range(typed.search.trials)):
        if seed in done:
            continue
        record = trial.run_trial(load("searcher", searcher.name, **searcher.options), plan.searched, plan.signal_oracle,
                                 plan.report_oracle, budget=plan.budget, seed=seed, runtime=runtime,
                                 name=searcher.name, pool=plan.pool)
        with staged_commit(run_dir, resolved) as run:
            target = run.path / folder
            if overwrite and first_commit and target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True, exist_ok=True)
            run.write_json(str(folder / "settings.json"), settings)
            run.write_json(str(folder / f"trial-{seed}.json"), record)
        first_commit = False
        done[seed] = record
        if after_trial is not None:
            after_trial(seed, record)

    summary = _write_summary(run_dir, resolved, plan)
    hooks.archgen_run_end(command="search", run_dir=str(run_dir), summary={"experiment": plan.experiment,
                                                                         "searchers": list(summary["searchers"])})
    return summary


def _refuse_other_space(run_dir: Path, space: str) -> None:
    """Refuses to add a search to an existing run of another space.

    Raises:
        RunDirectoryError: Naming both spaces.
    """
    if not run_dir.exists():
        return
    saved = read_run_config(RunDirectory(run_dir))
    if saved.space.name != space:
        raise RunDirectoryError(
            f"run {str(run_dir)!r} is of space {saved.space.name!r}, the registry names {space!r}; pick another --name"
        )


def _write_summary(run_dir: Path, resolved: dict[str, Any], plan: SearchPlan) -> dict[str, Any]:
    """Tables every searcher of the experiment: ``search.json``, ``search.md``, ``search.png``."""
    with staged_commit(run_dir, resolved) as run:
        base = Path("search") / plan.experiment
        summary = summarize(run.path / base, checkpoints=plan.checkpoints, space=plan.space.name, note=plan.note(),
                            published=plan.published())
        run.write_json(str(base / "search.json"), summary)
        with atomic_path(run.path / base / "search.md") as temporary:
            temporary.write_text(search_markdown(summary), encoding="utf-8")
        plot_anytime(summary, run.path / base / "search.png")
    return summary
