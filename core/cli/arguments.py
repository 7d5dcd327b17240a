"""The flags of each ``archgen`` subcommand, one function per command.

Each ``*_arguments(parser)`` adds one subcommand's flags, in the order ``--help`` lists them;
:mod:`archgen.cli.main` pairs it with the command's help line and handler.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from archgen.analysis import ANALYSES
from archgen.config import DEFAULT_REGISTRY
from archgen.pipeline.sweep import MAX_POINTS

_OVERWRITE_HELP = "replace an existing run of the same name (only once this one is complete)"


def add_config(parser: argparse.ArgumentParser) -> None:
    """The flags naming the registry file and the run directory (every command that acts on a run)."""
    parser.add_argument(
        "--config", default=DEFAULT_REGISTRY,
        help="registry file (default: %(default)s; where there is none, the one packaged with archgen)",
    )
    parser.add_argument("--name", help="run name: a plain folder name under [run] runs_dir (default: [run] name)")
    parser.add_argument("--run-dir", type=Path, help="explicit run directory path (instead of --name)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override [run] device")


def add_sampling(parser: argparse.ArgumentParser) -> None:
    """The sample count and the generator's sampling options (commands that sample)."""
    parser.add_argument("--n", type=int, help="samples per seed (default: [evaluate] num_samples)")
    # Shorthands for --sampling temperature=... etc.: kept working, but not every generator has these
    # knobs, so --help lists only the generic --sampling (`archgen plugins NAME` lists a generator's).
    parser.add_argument("--temperature", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--top-k", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--top-p", type=float, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sampling", action="append", default=[], metavar="KEY=VALUE",
        help="a sampling option of the generator (repeatable; VALUE is read as JSON, else as text; "
        "`archgen plugins NAME` lists a generator's sampling options)",
    )


def add_nproc(parser: argparse.ArgumentParser) -> None:
    """``--nproc``: data-parallel training through torchrun (commands that train)."""
    parser.add_argument(
        "--nproc", type=int, metavar="N",
        help="train as N data-parallel processes through torchrun (default: [run] nproc; gloo on CPU, NCCL on GPU)",
    )


def run_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen run``: train, generate and evaluate."""
    add_config(parser)
    parser.add_argument("--seeds", type=int, help="replicates to train and average (default: [run] seeds)")
    parser.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)
    add_nproc(parser)
    add_sampling(parser)


def train_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen train``."""
    add_config(parser)
    parser.add_argument("--seeds", type=int, help="replicates to train (default: [run] seeds)")
    parser.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)
    add_nproc(parser)


def generate_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen generate``, i.i.d. or ``--distinct``."""
    add_config(parser)
    add_sampling(parser)
    parser.add_argument(
        "--distinct", action="store_true",
        help="draw until --n valid architectures with distinct canonical keys per seed; write distinct.jsonl "
        "with the draws it took (never mixed into samples.jsonl and its i.i.d. metrics)",
    )
    parser.add_argument("--max-draws", type=int, metavar="M", help="with --distinct: give up after M draws per seed (default: 1000 n)")


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen evaluate``."""
    add_config(parser)
    parser.add_argument("--seeds", type=int, help="evaluate the first K trained replicates (mean ± std)")


def sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen sweep``: one sampling option over a grid."""
    add_config(parser)
    parser.add_argument(
        "--over", metavar="KEY=GRID",
        help="the sampling option and its values: KEY=START:STOP:STEP or KEY=V1,V2,... "
        f"(at most {MAX_POINTS} points; default: temperature=0.5:3.0:0.1)",
    )
    parser.add_argument("--temperatures", metavar="GRID", help=argparse.SUPPRESS)  # --over temperature=GRID
    parser.add_argument("--n", type=int, help="samples per grid point and seed (default: [evaluate] num_samples)")
    parser.add_argument("--seeds", type=int, help="use the first K trained replicates")


def analyze_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen analyze <run> <analysis>``: the run is positional, so no ``--name``/``--run-dir``."""
    parser.add_argument("run", help="the run: a directory, or a run name under [run] runs_dir")
    parser.add_argument(
        "analysis", help=f"{', '.join(list(ANALYSES)[:-1])} or {list(ANALYSES)[-1]} (docs/analyses.md)"
    )
    parser.add_argument("--config", default=DEFAULT_REGISTRY, help="registry file for runs_dir (default: %(default)s)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="override [run] device")
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE",
        help="an option of the analysis (repeatable; VALUE is read as JSON, else as text)",
    )
    add_sampling(parser)


def predict_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen predict``: the [predict] section's keys as flags."""
    add_config(parser)
    parser.add_argument(
        "--predictor", metavar="NAME",
        help="an archgen.predictors plugin, NAME or DIST:NAME (default: [predictor] name; another plugin than "
        "the file's runs with its default options)",
    )
    parser.add_argument("--metric", help="oracle metric to train on (default: [predict] metric, else the space's first)")
    parser.add_argument("--train-sizes", metavar="N1,N2,...", help="labelled architectures per experiment (default: [predict] train_sizes)")
    parser.add_argument("--trials", type=int, help="repetitions per size (default: [predict] trials)")
    parser.add_argument(
        "--seed", type=int, metavar="S",
        help="trial k splits and seeds with S + k (default: [run] seed); new seeds test a published figure",
    )
    parser.add_argument("--test-on", choices=["rest", "all"], help="rank the untrained rest (TNASP/PINAT) or all (Arch-VQ)")
    parser.add_argument("--test-size", type=int, help="rank at most this many (a random subset)")
    parser.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)


def search_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen search``: the [search] section's keys as flags."""
    add_config(parser)
    parser.add_argument(
        "--searcher", metavar="NAME",
        help="an archgen.searchers plugin, NAME or DIST:NAME (default: [searcher] name; another plugin than "
        "the file's runs with its default options)",
    )
    parser.add_argument("--signal", help="metric the searcher sees (default: [search] signal, else the reported metric)")
    parser.add_argument("--report", help="metric reported for the best-signal architecture (default: [search] report)")
    parser.add_argument("--budget", type=int, help="distinct oracle queries per trial (default: [search] budget)")
    parser.add_argument("--trials", type=int, help="independent trials, seeds [run] seed + k (default: [search] trials)")
    parser.add_argument("--seed", type=int, metavar="S", help="trial k's seed is S + k (default: [run] seed)")
    parser.add_argument(
        "--pool", choices=["space", "labelled"],
        help="search the whole space, or only the architectures the oracle table labels (default: [search] pool)",
    )
    parser.add_argument("--label", help="folder name of this searcher's trials (default: the searcher's name)")
    parser.add_argument("--overwrite", action="store_true", help="discard this searcher's earlier trials of the same experiment")
    parser.add_argument(
        "--executor", choices=["serial", "ray"],
        help="a training [search] oracle: train in this process or on Ray workers (default: its executor option)",
    )
    parser.add_argument(
        "--workers", type=int, metavar="N",
        help="a training [search] oracle on Ray: trainings in flight at once (default: its workers option)",
    )


def store_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen store PATH``: a training oracle's result store, summarised or exported."""
    parser.add_argument("path", metavar="PATH", help="the SQLite result store (the train oracle's store option)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="list the N best results by validation accuracy (default 10)")
    parser.add_argument("--export", metavar="FILE", help="write every result to FILE (.csv or .json)")


def init_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen init [FOLDER]``: where the editable registry and the example configs go."""
    parser.add_argument(
        "folder", nargs="?", default=".", metavar="FOLDER",
        help="write FOLDER/registry.toml and FOLDER/examples/ (default: the current folder)",
    )
    parser.add_argument("--force", action="store_true", help="replace those files where they exist (no other file is touched)")


def plugins_arguments(parser: argparse.ArgumentParser) -> None:
    """``archgen plugins [NAME]``: the table, ``--check``, or one plugin's options."""
    parser.add_argument(
        "name", nargs="?", metavar="NAME",
        help="show this plugin's options and sampling options (types, defaults); NAME or DIST:NAME",
    )
    parser.add_argument("--show", metavar="NAME", help="the same as giving NAME")
    parser.add_argument(
        "--check", action="store_true",
        help="import every plugin and run the cheap contract checks (protocol members, Options, SamplingOptions); "
        "exit status 2 if any is broken",
    )


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without flags."""
