"""``archgen``: train, sample and evaluate architecture generators from the command line.

Errors a user can fix (bad config, unknown plugin, corrupt file, existing
run) print one ``archgen: error: ...`` line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from archgen.config import DEFAULT_REGISTRY, RegistryConfig, load_config
from archgen.errors import ArchgenError

DESCRIPTION = """\
Discrete neural-architecture generation: learn VQ-VAE codes of a search space,
fit a prior over them, sample, and score the samples.

With no command, `archgen` prints this help. `archgen run` reads ./registry.toml
(NB201 + Arch-VQ by default) and does everything: train, generate, evaluate."""

EPILOG = """\
run directory: runs/<name>/ holds config.json, split.npz, checkpoints/seed-<s>/,
samples.jsonl, metrics.json, report.md (and sweep.json / sweep.png).
Environment: ARCHGEN_<SECTION>__<KEY> overrides registry.toml (e.g. ARCHGEN_RUN__DEVICE=cpu);
ARCHGEN_PROGRESS=0 hides progress bars."""


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=DEFAULT_REGISTRY, help="registry file (default: %(default)s)")
    parser.add_argument("--name", help="run name (default: [run] name of the registry)")
    parser.add_argument("--run-dir", type=Path, help="explicit run directory (overrides --name)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override [run] device")


def _add_sampling(parser: argparse.ArgumentParser, n_default: str = "[evaluate] num_samples") -> None:
    parser.add_argument("--n", type=int, help=f"samples per seed (default: {n_default})")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default: [evaluate] temperature)")
    parser.add_argument("--top-k", type=int, help="keep the k most likely tokens")
    parser.add_argument("--top-p", type=float, help="nucleus sampling mass")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archgen", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from archgen import __version__

    parser.add_argument("--version", action="version", version=f"archgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="train, generate and evaluate (the whole pipeline)")
    _add_config(run)
    run.add_argument("--seeds", type=int, help="replicates to train and average (default: [run] seeds)")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run of the same name")
    _add_sampling(run)

    train = commands.add_parser("train", help="create the run directory and train the generator")
    _add_config(train)
    train.add_argument("--seeds", type=int, help="replicates to train (default: [run] seeds)")
    train.add_argument("--overwrite", action="store_true", help="replace an existing run of the same name")

    generate = commands.add_parser("generate", help="sample architectures into samples.jsonl")
    _add_config(generate)
    _add_sampling(generate)

    evaluate = commands.add_parser("evaluate", help="score samples.jsonl; write metrics.json and report.md")
    _add_config(evaluate)
    evaluate.add_argument("--seeds", type=int, help="evaluate the first K trained replicates (mean ± std)")

    sweep = commands.add_parser("sweep", help="metrics against temperature; write sweep.json and sweep.png")
    _add_config(sweep)
    sweep.add_argument("--temperatures", default="0.5:3.0:0.1", help="START:STOP:STEP or a comma list (default: %(default)s)")
    sweep.add_argument("--n", type=int, help="samples per temperature and seed (default: [evaluate] num_samples)")
    sweep.add_argument("--seeds", type=int, help="use the first K trained replicates")

    commands.add_parser("plugins", help="list installed plugins by group (name, class, distribution, version)")
    return parser


def _positive(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise ArchgenError(f"{flag} must be >= 1, got {value}")


def _run_dir(args: argparse.Namespace, config: RegistryConfig | None) -> Path:
    if args.run_dir is not None:
        return args.run_dir
    runs_dir = config.run.runs_dir if config is not None else Path("runs")
    name = args.name or (config.run.name if config is not None else None)
    if not name:
        raise ArchgenError("no run named: pass --name or --run-dir")
    return Path(runs_dir) / name


def _config_if_present(args: argparse.Namespace) -> RegistryConfig | None:
    # generate/evaluate/sweep act on a saved run; the registry only supplies its name.
    if args.run_dir is not None and args.name is None:
        return None
    if not Path(args.config).is_file() and args.config == DEFAULT_REGISTRY and args.name:
        return None
    return load_config(args.config)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``archgen`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Turn `kill` into an exception so a staged run directory is removed on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _dispatch(args)
    except ArchgenError as error:
        print(f"archgen: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("archgen: interrupted; no partial run directory was kept", file=sys.stderr)
        return 130
    except SystemExit as stop:
        if stop.code not in (0, None):
            print("archgen: terminated; no partial run directory was kept", file=sys.stderr)
        raise


def _dispatch(args: argparse.Namespace) -> int:
    from archgen.pipeline import steps

    if args.command == "plugins":
        from archgen.cli.plugins import plugins_table

        print(plugins_table())
        return 0
    for flag in ("seeds", "n", "top_k"):
        _positive(getattr(args, flag, None), f"--{flag.replace('_', '-')}")

    if args.command in ("run", "train"):
        config = load_config(args.config)
        run_dir = _run_dir(args, config)
        seeds = args.seeds or config.run.seeds
        if args.command == "train":
            session = steps.train(config, run_dir=run_dir, seeds=seeds, overwrite=args.overwrite, device=args.device)
            session.hooks.archgen_run_end(run_dir=str(run_dir), summary={})
            print(f"trained {len(session.seeds)} replicate(s) into {run_dir}")
            return 0
        metrics = steps.run_all(
            config, run_dir=run_dir, seeds=seeds, overwrite=args.overwrite, device=args.device,
            n=args.n, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
        )
        print(steps.results_table(metrics))
        print(f"\nwrote {run_dir}/ (samples.jsonl, metrics.json, report.md)")
        return 0

    config = _config_if_present(args)
    run_dir = _run_dir(args, config)
    session = steps.open_session(run_dir, args.device)
    if args.command == "generate":
        path = steps.generate(session, n=args.n, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
        print(f"wrote {path}")
    elif args.command == "evaluate":
        metrics = steps.evaluate(session, seeds=args.seeds)
        print(steps.results_table(metrics))
        print(f"\nwrote {session.run.metrics_file} and {session.run.report_file}")
    elif args.command == "sweep":
        result = steps.sweep(session, steps.parse_temperatures(args.temperatures), n=args.n, seeds=args.seeds)
        print(steps.sweep_table(result))
        best = result["best"]
        print(
            f"\nbest absolute uniqueness {best['absolute_uniqueness']['value']:.2f} at T={best['absolute_uniqueness']['temperature']}; "
            f"best absolute novelty {best['absolute_novelty']['value']:.2f} at T={best['absolute_novelty']['temperature']}"
        )
        print(f"wrote {run_dir}/sweep.json and {run_dir}/sweep.png")
    session.hooks.archgen_run_end(run_dir=str(run_dir), summary={})
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
