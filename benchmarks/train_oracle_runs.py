"""What ``train_oracle.py`` and ``gpu_train_oracle.py`` share: one ``archgen search`` with a training oracle, timed.

A comparison runs the same search -- one space, one searcher, the same recipe, budget and seed --
once per :class:`Mode` (serial, Ray with one worker, Ray with several), each as its own
``archgen search --config <toml> --run-dir <folder>`` subprocess with its own fresh result store,
so no result is ever reused and every run trains every network it queries. Per run it records
the wall seconds of the whole command (Python start, imports, dataset, Ray's start and shutdown
included), the store's counts, the summed training seconds the store recorded, and the trial
files' ``queries`` lists, which must be identical across modes (training is deterministic at a
fixed thread count, and the Ray executor only changes where a network trains).

The scripts import this module from their own folder (``python benchmarks/<script>.py`` puts
``benchmarks/`` first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archgen.device import cpu_model

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: The proxy recipe every run trains with (the ``train`` oracle's TrainRecipe fields).
RECIPE: dict[str, Any] = {"epochs": 1, "batch_size": 64, "lr": 0.05}
#: Searcher options: evolution as examples/train/nb201-digits.toml has it; random at its defaults
#: (it prefetches its whole budget as one batch, evolution only its first population).
SEARCHER_OPTIONS: dict[str, dict[str, Any]] = {"random": {}, "evolution": {"population": 8, "sample_size": 3}}
#: The store counts (:meth:`ResultStore.counts`) printed per run, in this order.
COUNT_FIELDS = ("results", "completed", "interrupted", "retrained")


@dataclass(frozen=True)
class Mode:
    """Where one run trains: the ``train`` oracle's executor options.

    Attributes:
        label: The name the tables print (``serial``, ``ray x1``, ...).
        executor: ``"serial"`` or ``"ray"``.
        workers: Ray: trainings in flight at once.
        cpus_per_trial: Ray: CPUs reserved per training.
        gpus_per_trial: Ray: GPUs reserved per training.
    """

    label: str
    executor: str
    workers: int = 1
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0


@dataclass(frozen=True)
class Setup:
    """One space's search, as every mode runs it.

    Attributes:
        space: The ``[space] name``.
        dataset: The dataset plugin's name.
        dataset_options: Its options (``image_size``, ``root``...).
        model: The space's ``build_model`` options (empty: the space's defaults).
        space_options: ``[space.options]`` (empty for the first-party defaults).
        recipe: Changes to :data:`RECIPE` for this space (MobileNetV3 learns nothing in one epoch at batch 64).
    """

    space: str
    dataset: str
    dataset_options: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    space_options: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)


# -- command line ----------------------------------------------------------------------------------
def add_run_arguments(parser: argparse.ArgumentParser, spaces: Sequence[str]) -> None:
    """The flags both benchmark scripts take: budget, trials, seed, spaces, searchers, quick, work dir, timeout."""
    parser.add_argument("--budget", type=int, help="networks trained per trial (default 16; 4 with --quick)")
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", default=",".join(spaces), help=f"comma-separated: {', '.join(spaces)}")
    parser.add_argument("--searchers", default="random,evolution", help="comma-separated archgen.searchers plugins")
    parser.add_argument("--quick", action="store_true", help="budget 4: a smoke run")
    parser.add_argument("--work-dir", type=Path,
                        help="keep the configs, stores, runs and logs in this (empty) folder (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per archgen search")


def chosen_spaces(parser: argparse.ArgumentParser, args: argparse.Namespace, spaces: Sequence[str]) -> list[str]:
    """``--spaces`` as a list, refusing an unknown one (naming the accepted ones)."""
    chosen = args.spaces.split(",")
    unknown = [space for space in chosen if space not in spaces]
    if unknown:
        parser.error(f"unknown space {unknown[0]!r}; accepted: {', '.join(spaces)}")
    return chosen


def budget_of(args: argparse.Namespace) -> int:
    """``--budget``, else 4 with ``--quick`` and 16 without."""
    return args.budget if args.budget is not None else (4 if args.quick else 16)


# -- machine ---------------------------------------------------------------------------------------

def machine(threads: int) -> dict[str, Any]:
    """CPU model and count, Python, torch, Ray and (where one is visible) the GPU, with the threads and precision."""
    import torch

    info: dict[str, Any] = {
        "cpu": cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
        "threads": threads, "omp_num_threads": str(threads), "precision": "fp32",
    }
    try:
        import ray

        info["ray"] = ray.__version__
    except ImportError:
        info["ray"] = None
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpus"] = torch.cuda.device_count()
        info["cuda"] = torch.version.cuda
    return info


def machine_line(info: dict[str, Any]) -> str:
    """One line naming the machine, for the top of a table."""
    gpu = f"; GPU: {info['gpu']} (CUDA {info['cuda']})" if info.get("gpu") else ""
    return (f"CPU: {info['cpu']} ({info['cpus']} CPUs){gpu}; torch {info['torch']}, Ray {info['ray']}; "
            f"{info['threads']} torch thread per training (OMP_NUM_THREADS={info['omp_num_threads']}), {info['precision']}")


# -- one run ---------------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline tables for dicts); strings and paths as TOML basic strings.

    Raises:
        TypeError: For a type TOML cannot hold here (``None``, a non-finite float...).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"TOML cannot hold the float {value}")
        return repr(value)
    if isinstance(value, (str, os.PathLike)):
        return json.dumps(os.fspath(value))  # JSON's escapes are valid in a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = [f"{key if _BARE_KEY.match(key) else json.dumps(key)} = {toml_value(item)}" for key, item in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def config_tables(setup: Setup, searcher: str, mode: Mode, *, budget: int, trials: int, seed: int, store: Path,
                  device: str, threads: int, runs_dir: Path) -> dict[str, dict[str, Any]]:
    """The registry file of one run, as ``{table: {key: value}}``."""
    oracle: dict[str, Any] = {
        "dataset": {"name": setup.dataset, "options": setup.dataset_options}, **RECIPE, **setup.recipe,
        "seed": seed,
        "store": store, "executor": mode.executor, "workers": mode.workers, "cpus_per_trial": mode.cpus_per_trial,
        "gpus_per_trial": mode.gpus_per_trial, "device": device, "threads": threads,
    }
    if setup.model:
        oracle["model"] = setup.model
    space: dict[str, Any] = {"name": setup.space}
    if setup.space_options:
        space["options"] = setup.space_options
    searcher_table: dict[str, Any] = {"name": searcher}
    if SEARCHER_OPTIONS.get(searcher):
        searcher_table["options"] = SEARCHER_OPTIONS[searcher]
    return {
        "run": {"name": "train-oracle-benchmark", "runs_dir": runs_dir, "device": device, "seed": seed, "threads": threads},
        "space": space,
        "searcher": searcher_table,
        "search": {"signal": "valid", "report": "test", "budget": budget, "trials": trials},
        "search.oracle": {"name": "train"},
        "search.oracle.options": oracle,
    }


def write_config(path: Path, tables: dict[str, dict[str, Any]]) -> Path:
    """Writes ``tables`` as a registry file and checks that it reads back as written.

    Raises:
        AssertionError: If the file does not read back to ``tables`` (a bug of :func:`toml_value`).
    """
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
        lines.append("")
    text = "\n".join(lines)
    parsed = tomllib.loads(text)
    for table, values in tables.items():
        node = parsed
        for part in table.split("."):
            node = node[part]
        expected = json.loads(json.dumps(values, default=os.fspath))
        got = {key: node[key] for key in values}
        assert got == expected, f"{path}: [{table}] reads back as {got}, not {expected}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def archgen_command() -> list[str]:
    """The ``archgen`` console script of this environment.

    Raises:
        SystemExit: If it is not installed (naming the command that installs it).
    """
    beside = Path(sys.executable).with_name("archgen")
    found = str(beside) if beside.exists() else shutil.which("archgen")
    if found is None:
        raise SystemExit("the archgen command is not installed: pip install -e . --no-deps (from the repository root)")
    return [found]


def run_search(config: Path, run_dir: Path, *, timeout: float, threads: int) -> dict[str, Any]:
    """``archgen search --config config --run-dir run_dir`` in a subprocess, timed from start to exit.

    Stdout and stderr go to ``<run_dir>.log``.

    Raises:
        SystemExit: If the command fails or runs past ``timeout`` (with the log's tail).
    """
    command = [*archgen_command(), "search", "--config", str(config), "--run-dir", str(run_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "ARCHGEN_PROGRESS": "0"}
    log = run_dir.with_suffix(".log")
    print("$", " ".join(command), file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"archgen search ran past {timeout:.0f} s ({config}); log: {log}") from None
    wall = time.perf_counter() - started
    if done.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
        raise SystemExit(f"archgen search failed (exit {done.returncode}, {config}):\n{tail}")
    return {"wall_s": wall, "load_before": load_before, "load_after": os.getloadavg()[0]}


def trial_queries(run_dir: Path) -> dict[int, list[dict[str, Any]]]:
    """Every trial's ``queries`` list in ``run_dir``, by seed.

    Raises:
        SystemExit: If the run holds no trial file.
    """
    trials = {}
    for path in sorted(run_dir.glob("search/*/*/trial-*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        trials[int(record["seed"])] = record["queries"]
    if not trials:
        raise SystemExit(f"{run_dir} holds no trial file (search/*/*/trial-*.json)")
    return trials


def store_summary(path: Path) -> dict[str, Any]:
    """The result store's counts and the training seconds its results record (summed, and the longest)."""
    from archgen.result_store import ResultStore

    store = ResultStore(path)
    counts = store.counts()
    seconds = [float(row["train_seconds"]) for row in store.rows()]
    return {**counts, "train_seconds_sum": sum(seconds), "train_seconds_max": max(seconds, default=0.0),
            "devices": sorted({row["device"] for row in store.rows()})}


def first_difference(a: dict[int, list[dict[str, Any]]], b: dict[int, list[dict[str, Any]]]) -> str | None:
    """Where two runs' trials first differ (``None`` when they are identical)."""
    if sorted(a) != sorted(b):
        return f"trial seeds {sorted(a)} vs {sorted(b)}"
    for seed in sorted(a):
        if len(a[seed]) != len(b[seed]):
            return f"seed {seed}: {len(a[seed])} vs {len(b[seed])} queries"
        for index, (left, right) in enumerate(zip(a[seed], b[seed])):
            if left != right:
                return f"seed {seed}, query {index + 1}: {left} vs {right}"
    return None


# -- Ray's fixed cost ------------------------------------------------------------------------------
def ray_cpus(modes: list[Mode]) -> int:
    """The CPUs of the largest local Ray among ``modes`` (what the Ray executor asks ``ray.init`` for)."""
    return max(max(1, round(mode.workers * mode.cpus_per_trial)) for mode in modes if mode.executor == "ray")


_RAY_STARTUP = """
import json, sys, time
started = time.perf_counter()
import ray
imported = time.perf_counter()
ray.init(num_cpus={num_cpus}, include_dashboard=False, logging_level="ERROR", log_to_driver=False, configure_logging=False)
initialised = time.perf_counter()
resources = ray.cluster_resources()
ray.shutdown()
stopped = time.perf_counter()
print(json.dumps({{"import_s": imported - started, "init_s": initialised - imported, "shutdown_s": stopped - initialised,
                  "resources": resources}}))
"""


def ray_startup(num_cpus: int, *, timeout: float, threads: int) -> dict[str, Any]:
    """A bare local ``ray.init(); ray.shutdown()`` (as the Ray executor starts it) timed in a fresh process.

    Ray detects the machine's GPUs itself, as it does when the executor starts it.

    Returns:
        ``import_s``, ``init_s``, ``shutdown_s``, ``init_shutdown_s``, ``process_s`` (the whole
        subprocess, Python's start included), the ``num_cpus`` asked for and Ray's resources.

    Raises:
        SystemExit: If Ray is not installed or the process fails.
    """
    code = _RAY_STARTUP.format(num_cpus=num_cpus)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"a bare ray.init(); ray.shutdown() ran past {timeout:.0f} s") from None
    process = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"a bare ray.init(); ray.shutdown() failed (exit {done.returncode}):\n{done.stderr.strip()[-2000:]}")
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    return {**timing, "init_shutdown_s": timing["init_s"] + timing["shutdown_s"], "process_s": process,
            "num_cpus": num_cpus}


# -- a comparison ----------------------------------------------------------------------------------
def compare(setup: Setup, searcher: str, modes: list[Mode], work_dir: Path, *, budget: int, trials: int, seed: int,
            device: str, threads: int, timeout: float) -> dict[str, Any]:
    """Runs ``setup``'s search with ``searcher`` once per mode, each with its own fresh store.

    Returns:
        The setup, the searcher and its options, and per mode its options, the run's timing, the
        store's summary and whether its queries equal the first mode's (``difference`` otherwise).
    """
    folder = work_dir / f"{setup.space}-{searcher}"
    reference: dict[int, list[dict[str, Any]]] | None = None
    runs = []
    for mode in modes:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", mode.label).strip("-")
        store, run_dir = folder / f"{slug}.sqlite", folder / slug
        if store.exists() or run_dir.exists():
            raise SystemExit(f"{folder} already holds a run of {mode.label!r}: pass an empty --work-dir")
        config = write_config(folder / f"{slug}.toml", config_tables(
            setup, searcher, mode, budget=budget, trials=trials, seed=seed, store=store, device=device, threads=threads,
            runs_dir=folder / "runs"))
        timing = run_search(config, run_dir, timeout=timeout, threads=threads)
        queries = trial_queries(run_dir)
        if reference is None:
            reference = queries
        difference = first_difference(reference, queries)
        summary = store_summary(store)
        runs.append({"mode": asdict(mode), **timing, "store": summary, "queries": sum(map(len, queries.values())),
                     "identical": difference is None, "difference": difference})
        print(f"  {setup.space} / {searcher} / {mode.label}: {timing['wall_s']:.1f} s, "
              f"{', '.join(f'{name} {summary[name]}' for name in COUNT_FIELDS)}", file=sys.stderr, flush=True)
    walls = [run["wall_s"] for run in runs]
    return {
        "space": setup.space, "searcher": searcher, "searcher_options": SEARCHER_OPTIONS.get(searcher, {}),
        "setup": asdict(setup), "runs": runs,
        "ratios": {f"{modes[i].label} / {modes[i + 1].label}": walls[i] / walls[i + 1] for i in range(len(modes) - 1)},
        "identical": all(run["identical"] for run in runs),
    }


def print_tables(info: dict[str, Any], rows: list[dict[str, Any]], ray: dict[str, Any] | None) -> None:
    """The comparison table (wall seconds and ratios per space and searcher) and the per-run store table."""
    print(machine_line(info))
    labels = [run["mode"]["label"] for run in rows[0]["runs"]] if rows else []
    ratios = list(rows[0]["ratios"]) if rows else []
    header = ["space", "searcher", *(f"{label} wall s" for label in labels), *ratios, "queries identical"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [row["space"], row["searcher"], *(f"{run['wall_s']:.1f}" for run in row["runs"]),
                 *(f"{value:.2f}" for value in row["ratios"].values()), "yes" if row["identical"] else "**NO**"]
        print("| " + " | ".join(cells) + " |")
    if ray is not None:  # its own row: the fixed cost inside every Ray run's wall time
        cells = ["Ray's fixed cost", f"bare `ray.init(num_cpus={ray['num_cpus']}); ray.shutdown()`",
                 f"{ray['init_shutdown_s']:.1f} s (init {ray['init_s']:.1f} + shutdown {ray['shutdown_s']:.1f}; "
                 f"`import ray` {ray['import_s']:.1f}; whole process {ray['process_s']:.1f})"]
        print("| " + " | ".join(cells + [""] * (len(header) - len(cells))) + " |")
    print()
    header = ["space", "searcher", "mode", "wall s", *COUNT_FIELDS, "Σ train s", "longest train s", "load avg before/after"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        for run in row["runs"]:
            store = run["store"]
            cells = [row["space"], row["searcher"], run["mode"]["label"], f"{run['wall_s']:.1f}",
                     *(str(store[name]) for name in COUNT_FIELDS), f"{store['train_seconds_sum']:.1f}",
                     f"{store['train_seconds_max']:.1f}", f"{run['load_before']:.1f} / {run['load_after']:.1f}"]
            print("| " + " | ".join(cells) + " |")
    for row in rows:
        for run in row["runs"]:
            if run["difference"]:
                print(f"{row['space']} / {row['searcher']} / {run['mode']['label']} differs from "
                      f"{row['runs'][0]['mode']['label']}: {run['difference']}")


def mismatches(rows: list[dict[str, Any]]) -> list[str]:
    """``space / searcher`` of each comparison whose runs' queries differ."""
    return [f"{row['space']} / {row['searcher']}" for row in rows if not row["identical"]]


def run_benchmark(setups: list[Setup], searchers: list[str], modes: list[Mode], *, budget: int, trials: int, seed: int,
                  device: str, threads: int, timeout: float, work_dir: Path | None, out: Path,
                  extra: dict[str, Any] | None = None) -> None:
    """Every comparison of ``setups`` x ``searchers`` over ``modes``: prints the tables and writes ``out``.

    Ray's fixed cost is timed first (a bare start and shutdown of the largest local Ray among
    ``modes``). The configs, stores, runs and logs go to ``work_dir`` (a temporary folder,
    removed at the end, when ``None``).

    Raises:
        SystemExit: After writing ``out``, if any comparison's runs queried different figures (exit 1).
    """
    from archgen.atomic import write_json

    info = machine(threads)
    with tempfile.TemporaryDirectory(prefix="archgen-train-oracle-") as scratch:
        folder = work_dir.resolve() if work_dir is not None else Path(scratch)
        ray = ray_startup(ray_cpus(modes), timeout=timeout, threads=threads)
        rows = [compare(setup, searcher, modes, folder, budget=budget, trials=trials, seed=seed, device=device,
                        threads=threads, timeout=timeout)
                for setup in setups for searcher in searchers]
    print_tables(info, rows, ray)
    write_json(out, {"machine": info, "device": device, "recipe": RECIPE, "budget": budget, "trials": trials,
                     "seed": seed, **(extra or {}), "modes": [asdict(mode) for mode in modes], "ray_startup": ray,
                     "comparisons": rows,
                     "command": " ".join(["python", _script(), *sys.argv[1:]])})
    print(f"\nwrote {out.relative_to(ROOT)}")
    differing = mismatches(rows)
    if differing:
        raise SystemExit(f"the runs' queries differ for {', '.join(differing)} (see above): "
                         f"training on {device} was not deterministic across executors")


def _script() -> str:
    """The running script, relative to the repository where it lies inside it."""
    path = Path(sys.argv[0]).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
