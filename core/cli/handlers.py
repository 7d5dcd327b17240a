"""What each ``archgen`` subcommand does with its parsed flags: one handler per command.

A handler checks the flags, calls :mod:`archgen.pipeline.commands`, prints the result and
returns the exit status. The pipeline is imported inside each handler so that ``archgen
--help`` (and a mistyped flag) answers without loading torch's training stack.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgen.cli.launch import relaunch, under_launcher
from archgen.config import DEFAULT_REGISTRY, RegistryConfig, check_paths, load_config
from archgen.errors import ArchgenError, ConfigError
from archgen.overrides import with_overrides
from archgen.registry import PluginChoice, resolve, same_plugin, split_name
from archgen.pipeline.rundir import check_run_name


def run(args: argparse.Namespace) -> int:
    """``archgen run``: train (under torchrun when ``--nproc`` > 1), generate, evaluate; print the table."""
    from archgen.pipeline import commands
    from archgen.pipeline.report import results_table

    _bounded(args.seeds, "--seeds", 1000)
    _bounded(args.n, "--n", 10_000_000)
    sampling = _sampling_overrides(args)
    config = _registry(args.config)
    if (status := _relaunched(args, config)) is not None:
        return status
    run_dir = _run_dir(args, config)
    metrics = commands.run(
        config, run_dir=run_dir, seeds=args.seeds or config.run.seeds, overwrite=args.overwrite, device=args.device,
        n=args.n, sampling=sampling,
    )
    if not metrics:  # a torchrun rank other than 0: it trained; rank 0 reports
        return 0
    print(results_table(metrics))
    print(f"\nwrote {run_dir}/ (samples.jsonl, metrics.json, report.md)")
    return 0


def train(args: argparse.Namespace) -> int:
    """``archgen train``: create the run directory and train (under torchrun when ``--nproc`` > 1)."""
    from archgen.pipeline import commands

    _bounded(args.seeds, "--seeds", 1000)
    config = _registry(args.config)
    if (status := _relaunched(args, config)) is not None:
        return status
    run_dir = _run_dir(args, config)
    resolved = commands.train(
        config, run_dir=run_dir, seeds=args.seeds or config.run.seeds, overwrite=args.overwrite, device=args.device
    )
    print(f"trained {len(resolved['seeds_trained'])} replicate(s) into {run_dir}")
    return 0


def generate(args: argparse.Namespace) -> int:
    """``archgen generate``: samples.jsonl, or distinct.jsonl with ``--distinct``."""
    from archgen.pipeline import commands

    _bounded(args.n, "--n", 10_000_000)
    sampling = _sampling_overrides(args)
    run_dir = _run_dir(args, _config_if_present(args))
    # The pipeline re-scores a run it finds evaluated (archgen.pipeline.evaluate.rescore_if_scored).
    scored = not args.distinct and any((Path(run_dir) / name).exists() for name in ("metrics.json", "report.md"))
    path = commands.generate(
        run_dir, n=args.n, sampling=sampling, device=args.device, distinct=args.distinct, max_draws=args.max_draws
    )
    if args.distinct:
        from archgen.pipeline.generate import distinct_summary

        print(distinct_summary(path))
    print(f"wrote {path}")
    if scored:
        _say_rescored(Path(run_dir))
    elif args.distinct and (Path(run_dir) / "metrics.json").exists():
        print("samples.jsonl, metrics.json and report.md are unchanged (distinct draws are not i.i.d.; evaluate never reads them)")
    return 0


def _say_rescored(run_dir: Path) -> None:
    """After ``generate`` replaced the samples of an evaluated run: the new table, or why the old scores were set aside."""
    from archgen.pipeline.evaluate import STALE_FILES
    from archgen.pipeline.report import results_table

    if (run_dir / "metrics.json").exists():
        print(results_table(json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))))
        print(f"re-scored: {run_dir}/metrics.json and report.md described the samples this command replaced; "
              "they now describe the new ones (above)")
        return
    reason = (run_dir / STALE_FILES[1]).read_text(encoding="utf-8").split("\n", 1)[0] if (run_dir / STALE_FILES[1]).exists() else ""
    print(f"stale: could not re-score the new samples ({reason.rsplit('failed: ', 1)[-1]}); the old metrics.json and "
          f"report.md are now {' and '.join(STALE_FILES)} in {run_dir}; run 'archgen evaluate'")


def evaluate(args: argparse.Namespace) -> int:
    """``archgen evaluate``: score samples.jsonl and print the table."""
    from archgen.pipeline import commands
    from archgen.pipeline.report import results_table

    _bounded(args.seeds, "--seeds", 1000)
    run_dir = _run_dir(args, _config_if_present(args))
    metrics = commands.evaluate(run_dir, seeds=args.seeds, device=args.device)
    if not metrics:
        return 0
    print(results_table(metrics))
    print(f"\nwrote {run_dir}/metrics.json and {run_dir}/report.md")
    return 0


def sweep(args: argparse.Namespace) -> int:
    """``archgen sweep``: metrics over a grid of one sampling option; print the table and the best points."""
    from archgen.pipeline import commands
    from archgen.pipeline.sweep import parse_grid, parse_values, sweep_table

    _bounded(args.seeds, "--seeds", 1000)
    _bounded(args.n, "--n", 10_000_000)
    run_dir = _run_dir(args, _config_if_present(args))
    if args.over is not None and args.temperatures is not None:
        raise ConfigError("pass either --over or --temperatures, not both")
    if args.temperatures is not None:
        over, values = "temperature", parse_values(args.temperatures, "--temperatures ")
    else:
        over, values = parse_grid(args.over or "temperature=0.5:3.0:0.1")
    result = commands.sweep(run_dir, over, values, n=args.n, seeds=args.seeds, device=args.device)
    if not result:
        return 0
    print(sweep_table(result))
    best = result["best"]
    print(
        f"\nbest absolute uniqueness {best['absolute_uniqueness']['score']:.2f} at {over}={best['absolute_uniqueness']['value']}; "
        f"best absolute novelty {best['absolute_novelty']['score']:.2f} at {over}={best['absolute_novelty']['value']}"
    )
    print(f"wrote {run_dir}/sweep.json and {run_dir}/sweep.png")
    return 0


def analyze(args: argparse.Namespace) -> int:
    """``archgen analyze <run> <analysis>``: run one analysis, print its headline figure and name the files it wrote."""
    from archgen.pipeline import commands

    _bounded(args.n, "--n", 10_000_000)
    options = _key_values(args.option, "--option")
    if args.n is not None:
        options["n"] = args.n
    run_dir = Path(args.run)
    if not run_dir.exists() and "/" not in args.run:  # a plain name: under [run] runs_dir
        config = load_config(args.config) if Path(args.config).is_file() else None
        run_dir = Path(config.run.runs_dir if config is not None else "runs") / check_run_name(args.run)
    result = commands.analyze(run_dir, args.analysis, options=options, sampling=_sampling_overrides(args), device=args.device)
    if result:
        from archgen.analysis import analysis_module

        headline = getattr(analysis_module(args.analysis), "headline", None)
        if headline is not None:
            print(f"{args.analysis}: {headline(result)}")
        print(f"wrote {run_dir}/analysis/{args.analysis}.json and {run_dir}/{result['figure']}")
    return 0


def _experiment_config(
    args: argparse.Namespace, slot: str, plugin: str | None, section: str, values: dict[str, Any]
) -> RegistryConfig:
    """The registry of ``predict``/``search`` with its data checked and the command line's plugin and section applied.

    Args:
        args: The parsed command line (its ``config`` is the registry file).
        slot: ``"predictor"`` or ``"searcher"``.
        plugin: The ``--predictor``/``--searcher`` flag (``None``: the registry's).
        section: ``"predict"`` or ``"search"``.
        values: The section's flags (``None``: the registry's); ``--seed`` sets ``[run] seed``.
    """
    registry = _registry(args.config)
    check_paths(registry)
    _note_dropped_options(registry, slot, plugin, args.config)
    return with_overrides(registry, plugins={slot: plugin}, run={"seed": args.seed}, **{section: values})

def predict(args: argparse.Namespace) -> int:
    """``archgen predict``: train the predictor on N labelled architectures, rank the rest; print the table."""
    from archgen.pipeline import commands
    from archgen.pipeline.predict import parse_train_sizes, predict_table

    config = _experiment_config(args, "predictor", args.predictor, "predict", {
        "metric": args.metric, "train_sizes": parse_train_sizes(args.train_sizes), "trials": args.trials,
        "test_on": args.test_on, "test_size": args.test_size,
    })
    run_dir = _run_dir(args, config)
    result = commands.predict(config, run_dir=run_dir, overwrite=args.overwrite, device=args.device)
    print(predict_table(result))
    print(f"\nwrote {run_dir}/predict.json, predict.md and predict.png")
    return 0


def search(args: argparse.Namespace) -> int:
    """``archgen search``: run the searcher's trials against the oracle; print the table."""
    from archgen.pipeline import commands
    from archgen.pipeline.search_command import search_table

    config = _experiment_config(args, "searcher", args.searcher, "search", {
        "signal": args.signal, "report": args.report, "budget": args.budget, "trials": args.trials, "pool": args.pool,
    })
    config = with_overrides(config, search={"oracle": _oracle_with_flags(args, config.search.oracle)})
    run_dir = _run_dir(args, config)
    label = args.label
    if label is None and config.searcher is not None:
        label = split_name(config.searcher.name)[1]  # 'archgen:random' keeps the folder name 'random'
    summary = commands.search(config, run_dir=run_dir, label=label, overwrite=args.overwrite, device=args.device)
    print(search_table(summary))
    print(f"\nwrote {run_dir}/search/ (trial files, search.json, search.md, search.png)")
    return 0


def store(args: argparse.Namespace) -> int:
    """``archgen store PATH``: the counts and best results of a result store; ``--export`` writes them all."""
    from archgen.errors import DataFileError
    from archgen.result_store import ResultStore

    if not Path(args.path).is_file():
        raise DataFileError(f"no result store at {args.path!r} (the train oracle's store option names it)")
    results = ResultStore(args.path)
    counts = results.counts()
    print(f"{args.path}: {counts['results']} results; {counts['completed']} trainings completed, "
          f"{counts['interrupted']} interrupted, {counts['retrained']} networks trained twice; {counts['claims']} open claims")
    rows = sorted(results.rows(), key=lambda row: -row["valid"])[: max(args.top, 0)]
    if rows:
        print(f"{'valid':>6}  {'test':>6}  {'params':>9}  {'seconds':>7}  {'space':<10}  {'dataset':<18}  arch")
        for row in rows:
            params = "-" if row["params"] is None else f"{row['params'] / 1e6:.3f}M"
            print(f"{row['valid']:6.2f}  {row['test']:6.2f}  {params:>9}  {row['train_seconds']:7.1f}  {row['space']:<10}  "
                  f"{row['dataset']:<18}  {row['arch']}")
    if args.export:
        print(f"wrote {results.export(args.export)} results to {args.export}")
    return 0


def _oracle_with_flags(args: argparse.Namespace, oracle: PluginChoice | None) -> dict[str, Any] | None:
    """``[search] oracle`` with ``--executor`` / ``--workers`` applied (``None``: no flag given).

    Raises:
        ConfigError: If a flag is given and the registry has no ``[search] oracle``.
    """
    given = {key: value for key, value in (("executor", args.executor), ("workers", args.workers)) if value is not None}
    if not given:
        return None
    if oracle is None:
        flags = ", ".join(f"--{key}" for key in given)
        raise ConfigError(f"{flags}: applies to a training [search] oracle, and the registry has none "
                          "(docs/training.md shows one)")
    return {"name": oracle.name, "options": {**oracle.options, **given}}


def init(args: argparse.Namespace) -> int:
    """``archgen init [FOLDER]``: write an editable registry.toml and the example configs."""
    from archgen.cli.starter import write_starter_files

    folder = Path(args.folder)
    written = write_starter_files(folder, force=args.force)
    examples = [path for path in written if path.name != DEFAULT_REGISTRY]
    print(f"wrote {folder / DEFAULT_REGISTRY} and {len(examples)} example configs under {folder / 'examples'}/")
    print(f"`archgen run` in {folder} reads {DEFAULT_REGISTRY}; the benchmark tables of `archgen search` / `predict` "
          f"are read from $ARCHGEN_SHARED_DATA, else from {folder / '..' / 'shared' / 'data'}/")
    return 0


def plugins(args: argparse.Namespace) -> int:
    """``archgen plugins``: the installed plugins by group, ``--check`` their contracts, or one plugin's options.

    Every plugin is imported; one that does not import is listed ``BROKEN`` with the reason
    (``--check`` adds the contract checks), and the exit status is then 2.
    """
    from archgen.cli.plugins import plugin_options_text, plugin_rows, plugins_table

    if args.name is not None and args.show is not None and args.name != args.show:
        raise ConfigError(f"pass the plugin either as NAME or as --show NAME, not both ({args.name!r}, {args.show!r})")
    name = args.name if args.name is not None else args.show
    if name is not None:
        print(plugin_options_text(name))
        return 0
    rows = plugin_rows(check=args.check)
    print(plugins_table(rows))
    broken = [row for row in rows if row.problem]
    if broken:
        failed = [row for row in broken if row.error is not None]
        if debugging(args):
            for row in failed:
                traceback.print_exception(row.error, file=sys.stderr)
        listed = ", ".join(f"{row.slot} {row.info.name!r} ({row.info.distribution})" for row in broken)
        hint = "; archgen --debug plugins prints the tracebacks" if failed and not debugging(args) else ""
        print(f"archgen: error: {len(broken)} plugin(s) broken: {listed}{hint}", file=sys.stderr)
        return 2
    if args.check:
        print(f"\nall {len(rows)} plugins import and pass the contract checks")
    return 0


#: Set (to anything but ``0``/``false``/``no``) for ``--debug``.
DEBUG_VARIABLE = "ARCHGEN_DEBUG"


def debugging(args: argparse.Namespace) -> bool:
    """Whether ``--debug`` was given or ``ARCHGEN_DEBUG`` is set: errors print their whole traceback."""
    return bool(getattr(args, "debug", False)) or os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in (
        "", "0", "false", "no"
    )


def _note_dropped_options(config: RegistryConfig, section: str, name: str | None, file: str) -> None:
    """One note line when a flag picks another plugin than the file's, whose options are then not applied."""
    choice = getattr(config, section)
    if name is None or choice is None or not choice.options or same_plugin(section, choice.name, name):
        return
    try:
        resolve(section, name)
    except ArchgenError:
        return  # an unknown or ambiguous name is the error the command reports, not a note
    print(
        f"note: --{section} {name}: the [{section}.options] of {file} (for {choice.name!r}) were not applied; "
        f"{name!r} runs with its default options",
        file=sys.stderr,
    )


def _relaunched(args: argparse.Namespace, config: RegistryConfig) -> int | None:
    """Under ``--nproc`` > 1 (and not yet under torchrun), torchrun's exit status; else ``None``."""
    _bounded(args.nproc, "--nproc", 1024)
    nproc = args.nproc or config.run.nproc
    if nproc > 1 and not under_launcher():
        return relaunch(args.argv, nproc)
    return None


def _bounded(value: int | None, flag: str, high: int) -> None:
    if value is not None and not 1 <= value <= high:
        raise ConfigError(f"{flag} must be between 1 and {high:,}, got {value}")


def _sampling_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for flag, key in (("temperature", "temperature"), ("top_k", "top_k"), ("top_p", "top_p")):
        if getattr(args, flag, None) is not None:
            overrides[key] = getattr(args, flag)
    for item in getattr(args, "sampling", []) or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"bad --sampling {item[:80]!r}; expected KEY=VALUE (e.g. --sampling temperature=1.5)")
        try:
            overrides[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            overrides[key.strip()] = text
    return overrides


def _key_values(items: Sequence[str], flag: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"bad {flag} {item[:80]!r}; expected KEY=VALUE (e.g. {flag} seed=1)")
        try:
            values[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            values[key.strip()] = text
    return values


def _run_dir(args: argparse.Namespace, config: RegistryConfig | None) -> Path:
    if args.run_dir is not None:
        return args.run_dir
    runs_dir = config.run.runs_dir if config is not None else Path("runs")
    name = args.name if args.name is not None else (config.run.name if config is not None else None)
    if name is None:
        raise ConfigError("no run named: pass --name or --run-dir")
    return Path(runs_dir) / check_run_name(name)


def _config_if_present(args: argparse.Namespace) -> RegistryConfig | None:
    # generate/evaluate/sweep act on a saved run; the registry only supplies its name and runs_dir.
    if args.run_dir is not None:
        return None
    if not Path(args.config).is_file() and args.config == DEFAULT_REGISTRY and args.name is not None:
        return None
    return _registry(args.config)


def _registry(path: str) -> RegistryConfig:
    """The registry at ``path``; without a ``./registry.toml``, the packaged one, said in one line."""
    config = load_config(path, packaged_fallback=True)
    if config.packaged and not under_launcher():  # the launching process has said it
        print(f"note: no ./{DEFAULT_REGISTRY}: using the one packaged with archgen "
              "(`archgen init` writes an editable copy and the example configs here)", file=sys.stderr)
    return config
