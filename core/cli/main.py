"""``archgen``: train, sample and evaluate architecture generators from the command line.

:data:`COMMANDS` is the command line: each subcommand's help line, its flags
(:mod:`archgen.cli.arguments`) and its handler (:mod:`archgen.cli.handlers`).

Errors a user can fix (bad config, unknown plugin, corrupt file, existing
run) print one ``archgen: error: ...`` line and exit with status 2; with ``--debug`` (or
``ARCHGEN_DEBUG=1``) they print the whole traceback instead, a plugin's own frames included.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NamedTuple

from archgen.cli import arguments, handlers
from archgen.cli.handlers import debugging
from archgen.cli.launch import launched_argv
from archgen.errors import ArchgenError

DESCRIPTION = """\
Discrete neural-architecture generation: learn VQ-VAE codes of a search space,
fit a prior over them, sample, and score the samples.

With no command, `archgen` prints this help. `archgen run` reads ./registry.toml
(NB201 + Arch-VQ by default; without one, the registry packaged with archgen, which
`archgen init` copies out with the example configs) and does everything: train, generate, evaluate."""

EPILOG = """\
run directory: runs/<name>/ holds config.json, split.npz, checkpoints/seed-<s>/,
samples.jsonl (decoded graphs), metrics.json, report.md (and sweep.json / sweep.png).
Every command stages its work and replaces the run only when it succeeded.
Environment: ARCHGEN_<SECTION>__<KEY> overrides registry.toml (e.g. ARCHGEN_RUN__DEVICE=cpu);
ARCHGEN_PROGRESS=0 hides progress bars; ARCHGEN_DISABLE_PLUGIN_AUTOLOAD=1 loads no hook plugin
except those named in ARCHGEN_PLUGINS=a,b; ARCHGEN_DEBUG=1 is --debug (see CONTRIBUTING.md).
A plugin name is NAME, or DIST:NAME when two distributions declare NAME (archgen:random)."""


class Command(NamedTuple):
    """One subcommand: its line in ``archgen --help``, the function adding its flags, its handler."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


#: Subcommand -> its help, flags and handler, in the order ``archgen --help`` lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("train, generate and evaluate (the whole pipeline, staged as one)", arguments.run_arguments, handlers.run),
    "train": Command("create the run directory and train the generator", arguments.train_arguments, handlers.train),
    "generate": Command("sample architectures into samples.jsonl", arguments.generate_arguments, handlers.generate),
    "evaluate": Command("score samples.jsonl; write metrics.json and report.md", arguments.evaluate_arguments, handlers.evaluate),
    "sweep": Command(
        "metrics against one sampling option; write sweep.json and sweep.png", arguments.sweep_arguments, handlers.sweep
    ),
    "analyze": Command(
        "one of the papers' analyses of a trained run; write analysis/<name>.json and a figure",
        arguments.analyze_arguments, handlers.analyze,
    ),
    "predict": Command(
        "train the [predictor] on N labelled architectures, rank the rest; write predict.json and predict.png",
        arguments.predict_arguments, handlers.predict,
    ),
    "search": Command(
        "run a [searcher] against the space's oracle; write search/<experiment>/ (table, anytime curve)",
        arguments.search_arguments, handlers.search,
    ),
    "store": Command(
        "a training oracle's result store: its counts (results, completed, interrupted trainings), the best "
        "results, --export to CSV/JSON",
        arguments.store_arguments, handlers.store,
    ),
    "init": Command(
        "write an editable registry.toml and the example configs (examples/) into a folder",
        arguments.init_arguments, handlers.init,
    ),
    "plugins": Command(
        "list installed plugins by group (name, class, distribution, version; BROKEN if it does not import), "
        "--check their contracts, or show one's options",
        arguments.plugins_arguments, handlers.plugins,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``archgen`` parser: the top-level flags and one subparser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="archgen", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from archgen import __version__

    parser.add_argument("--version", action="version", version=f"archgen {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=command.help)
        command.arguments(subparser)
        # Also after the command (`archgen run --debug`); SUPPRESS keeps a top-level --debug from being reset.
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


DEBUG_HELP = "on an error, print the full traceback (plugin frames included) instead of one line; also ARCHGEN_DEBUG=1"


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
        if debugging(args):
            # The whole chain: a PluginLoadError is raised from the plugin's own exception.
            traceback.print_exception(error, file=sys.stderr)
        else:
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
    return COMMANDS[args.command].handler(args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
