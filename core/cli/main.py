"""``archgen``: train, sample and evaluate architecture generators from the command line.

Errors a user can fix (bad config, unknown plugin, corrupt file, existing
run) print one ``archgen: error: ...`` line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgen.analysis import ANALYSES
from archgen.cli.launch import launched_argv, relaunch, under_launcher
from archgen.config import DEFAULT_REGISTRY, RegistryConfig, load_config
from archgen.errors import ArchgenError, ConfigError
from archgen.pipeline.rundir import check_run_name
from archgen.pipeline.sweep import MAX_POINTS

DESCRIPTION = """\
Discrete neural-architecture generation: learn VQ-VAE codes of a search space,
fit a prior over them, sample, and score the samples.

With no command, `archgen` prints this help. `archgen run` reads ./registry.toml
(NB201 + Arch-VQ by default) and does everything: train, generate, evaluate."""

EPILOG = """\
run directory: runs/<name>/ holds config.json, split.npz, checkpoints/seed-<s>/,
samples.jsonl (decoded graphs), metrics.json, report.md (and sweep.json / sweep.png).
Every command stages its work and replaces the run only when it succeeded.
Environment: ARCHGEN_<SECTION>__<KEY> overrides registry.toml (e.g. ARCHGEN_RUN__DEVICE=cpu);
ARCHGEN_PROGRESS=0 hides progress bars; ARCHGEN_DISABLE_PLUGIN_AUTOLOAD=1 loads no hook plugin
except those named in ARCHGEN_PLUGINS=a,b (see CONTRIBUTING.md)."""


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=DEFAULT_REGISTRY, help="registry file (default: %(default)s)")
    parser.add_argument("--name", help="run name: a plain folder name under [run] runs_dir (default: [run] name)")
    parser.add_argument("--run-dir", type=Path, help="explicit run directory path (instead of --name)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override [run] device")


def _add_sampling(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, help="samples per seed (default: [evaluate] num_samples)")
    parser.add_argument("--temperature", type=float, help="sampling option 'temperature' (default: [evaluate.sampling])")
    parser.add_argument("--top-k", type=int, help="sampling option 'top_k': keep the k most likely tokens")
    parser.add_argument("--top-p", type=float, help="sampling option 'top_p': nucleus sampling mass")
    parser.add_argument(
        "--sampling", action="append", default=[], metavar="KEY=VALUE",
        help="any sampling option of the generator (repeatable; VALUE is read as JSON, else as text)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archgen", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from archgen import __version__

    parser.add_argument("--version", action="version", version=f"archgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="train, generate and evaluate (the whole pipeline, staged as one)")
    _add_config(run)
    run.add_argument("--seeds", type=int, help="replicates to train and average (default: [run] seeds)")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run of the same name (only once this one is complete)")
    _add_nproc(run)
    _add_sampling(run)

    train = commands.add_parser("train", help="create the run directory and train the generator")
    _add_config(train)
    train.add_argument("--seeds", type=int, help="replicates to train (default: [run] seeds)")
    train.add_argument("--overwrite", action="store_true", help="replace an existing run of the same name (only once this one is complete)")
    _add_nproc(train)

    generate = commands.add_parser("generate", help="sample architectures into samples.jsonl")
    _add_config(generate)
    _add_sampling(generate)
    generate.add_argument(
        "--distinct", action="store_true",
        help="draw until --n valid architectures with distinct canonical keys per seed; write distinct.jsonl "
        "with the draws it took (never mixed into samples.jsonl and its i.i.d. metrics)",
    )
    generate.add_argument("--max-draws", type=int, metavar="M", help="with --distinct: give up after M draws per seed (default: 1000 n)")

    evaluate = commands.add_parser("evaluate", help="score samples.jsonl; write metrics.json and report.md")
    _add_config(evaluate)
    evaluate.add_argument("--seeds", type=int, help="evaluate the first K trained replicates (mean ± std)")

    sweep = commands.add_parser("sweep", help="metrics against one sampling option; write sweep.json and sweep.png")
    _add_config(sweep)
    sweep.add_argument(
        "--over", metavar="KEY=GRID",
        help="the sampling option and its values: KEY=START:STOP:STEP or KEY=V1,V2,... "
        f"(at most {MAX_POINTS} points; default: temperature=0.5:3.0:0.1)",
    )
    sweep.add_argument("--temperatures", metavar="GRID", help="shorthand for --over temperature=GRID")
    sweep.add_argument("--n", type=int, help="samples per grid point and seed (default: [evaluate] num_samples)")
    sweep.add_argument("--seeds", type=int, help="use the first K trained replicates")

    analyze = commands.add_parser(
        "analyze", help="one of the papers' analyses of a trained run; write analysis/<name>.json and a figure"
    )
    analyze.add_argument("run", help="the run: a directory, or a run name under [run] runs_dir")
    analyze.add_argument(
        "analysis", help=f"{', '.join(list(ANALYSES)[:-1])} or {list(ANALYSES)[-1]} (docs/analyses.md)"
    )
    analyze.add_argument("--config", default=DEFAULT_REGISTRY, help="registry file for runs_dir (default: %(default)s)")
    analyze.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override [run] device")
    analyze.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE",
        help="an option of the analysis (repeatable; VALUE is read as JSON, else as text)",
    )
    _add_sampling(analyze)

    predict = commands.add_parser(
        "predict", help="train the [predictor] on N labelled architectures, rank the rest; write predict.json and predict.png"
    )
    _add_config(predict)
    predict.add_argument("--predictor", metavar="NAME", help="an archgen.predictors plugin (default: [predictor] name)")
    predict.add_argument("--metric", help="oracle metric to train on (default: [predict] metric, else the space's first)")
    predict.add_argument("--train-sizes", metavar="N1,N2,...", help="labelled architectures per experiment (default: [predict] train_sizes)")
    predict.add_argument("--trials", type=int, help="repetitions per size (default: [predict] trials)")
    predict.add_argument("--test-on", choices=["rest", "all"], help="rank the untrained rest (TNASP/PINAT) or all (Arch-VQ)")
    predict.add_argument("--test-size", type=int, help="rank at most this many (a random subset)")
    predict.add_argument("--overwrite", action="store_true", help="replace an existing run of the same name (only once this one is complete)")

    search = commands.add_parser(
        "search", help="run a [searcher] against the space's oracle; write search/<experiment>/ (table, anytime curve)"
    )
    _add_config(search)
    search.add_argument("--searcher", help="an archgen.searchers plugin (default: [searcher] name)")
    search.add_argument("--signal", help="metric the searcher sees (default: [search] signal, else the reported metric)")
    search.add_argument("--report", help="metric reported for the best-signal architecture (default: [search] report)")
    search.add_argument("--budget", type=int, help="distinct oracle queries per trial (default: [search] budget)")
    search.add_argument("--trials", type=int, help="independent trials, seeds [run] seed + k (default: [search] trials)")
    search.add_argument(
        "--pool", choices=["space", "labelled"],
        help="search the whole space, or only the architectures the oracle table labels (default: [search] pool)",
    )
    search.add_argument("--label", help="folder name of this searcher's trials (default: the searcher's name)")
    search.add_argument("--overwrite", action="store_true", help="discard this searcher's earlier trials of the same experiment")

    commands.add_parser("plugins", help="list installed plugins by group (name, class, distribution, version)")
    return parser


def _add_nproc(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--nproc", type=int, metavar="N",
        help="train as N data-parallel processes through torchrun (default: [run] nproc; gloo on CPU, NCCL on GPU)",
    )


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
    return load_config(args.config)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``archgen`` script."""
    parser = build_parser()
    if argv is None:
        argv = launched_argv()  # a process that `--nproc` started: its arguments come from the launcher
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # what --nproc hands to torchrun
    # Turn `kill` into an exception so the staged run is removed on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.command is None:
        parser.print_help()
        return 0
    if int(os.environ.get("RANK", "0")) > 0:
        # Under torchrun only rank 0 reports; the other ranks train and stay quiet (errors still show).
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    try:
        return _dispatch(args)
    except ArchgenError as error:
        print(f"archgen: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("archgen: interrupted; the run directory is as it was before this command", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `archgen plugins | head`: the reader left; say nothing more (Python's documented idiom).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except SystemExit as stop:
        if stop.code not in (0, None):
            print("archgen: terminated; the run directory is as it was before this command", file=sys.stderr)
        raise


def _dispatch(args: argparse.Namespace) -> int:
    from archgen.pipeline import commands
    from archgen.pipeline.report import results_table

    if args.command == "plugins":
        from archgen.cli.plugins import plugins_table

        print(plugins_table())
        return 0
    if args.command == "search":
        from archgen.pipeline.search import search_table, with_overrides

        config = with_overrides(
            load_config(args.config), searcher=args.searcher, signal=args.signal, report=args.report,
            budget=args.budget, trials=args.trials, pool=args.pool,
        )
        run_dir = _run_dir(args, config)
        summary = commands.search(config, run_dir=run_dir, label=args.label, overwrite=args.overwrite, device=args.device)
        print(search_table(summary))
        print(f"\nwrote {run_dir}/search/ (trial files, search.json, search.md, search.png)")
        return 0
    if args.command == "analyze":
        return _analyze(args)
    _bounded(getattr(args, "seeds", None), "--seeds", 1000)
    _bounded(getattr(args, "n", None), "--n", 10_000_000)
    sampling = _sampling_overrides(args)

    if args.command in ("run", "train"):
        config = load_config(args.config)
        _bounded(args.nproc, "--nproc", 1024)
        nproc = args.nproc or config.run.nproc
        if nproc > 1 and not under_launcher():
            return relaunch(args.argv, nproc)
        run_dir = _run_dir(args, config)
        seeds = args.seeds or config.run.seeds
        if args.command == "train":
            resolved = commands.train(config, run_dir=run_dir, seeds=seeds, overwrite=args.overwrite, device=args.device)
            print(f"trained {len(resolved['seeds_trained'])} replicate(s) into {run_dir}")
            return 0
        metrics = commands.run(
            config, run_dir=run_dir, seeds=seeds, overwrite=args.overwrite, device=args.device, n=args.n, sampling=sampling
        )
        if not metrics:  # a torchrun rank other than 0: it trained; rank 0 reports
            return 0
        print(results_table(metrics))
        print(f"\nwrote {run_dir}/ (samples.jsonl, metrics.json, report.md)")
        return 0

    if args.command == "predict":
        from archgen.pipeline.predict import override_config, predict_table

        config = override_config(
            load_config(args.config), predictor=args.predictor, metric=args.metric, train_sizes=args.train_sizes,
            trials=args.trials, test_on=args.test_on, test_size=args.test_size,
        )
        run_dir = _run_dir(args, config)
        result = commands.predict(config, run_dir=run_dir, overwrite=args.overwrite, device=args.device)
        print(predict_table(result))
        print(f"\nwrote {run_dir}/predict.json, predict.md and predict.png")
        return 0

    run_dir = _run_dir(args, _config_if_present(args))
    if args.command == "generate":
        path = commands.generate(run_dir, n=args.n, sampling=sampling, device=args.device, distinct=args.distinct,
                                 max_draws=args.max_draws)
        if args.distinct:
            from archgen.pipeline.generate import distinct_summary

            print(distinct_summary(path))
        print(f"wrote {path}")
    elif args.command == "evaluate":
        metrics = commands.evaluate(run_dir, seeds=args.seeds, device=args.device)
        if not metrics:
            return 0
        print(results_table(metrics))
        print(f"\nwrote {run_dir}/metrics.json and {run_dir}/report.md")
    elif args.command == "sweep":
        from archgen.pipeline.sweep import parse_grid, parse_values, sweep_table

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


def _analyze(args: argparse.Namespace) -> int:
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
        print(f"wrote {run_dir}/analysis/{args.analysis}.json and {run_dir}/{result['figure']}")
    return 0


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


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
