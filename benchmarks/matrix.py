"""Every installed generator on every installed space: one results matrix (issue 28).

A cell is one generator on one space. Its profile is the run configuration ``benchmarks/matrix.toml``
names for it; a cell it does not name -- every cell of a generator or space installed from another
package -- runs the default profile (the generator's default options; the space enumerated up to
500,000 members, else 22,000 sampled; 90/10 split; 10,000 samples), so a new plugin appears in the
matrix with no edit. Each cell trains with ``archgen run`` in a subprocess at one torch thread,
into ``<runs-dir>/<generator>-<space>``; a cell whose run already has ``metrics.json`` is never
retrained, and one that was interrupted is started again, so the command resumes cell by cell.

Per cell the matrix reports, from the run's own files: held-out reconstruction, validity under both
protocols (docs/metrics.md), strict absolute uniqueness and novelty, held-out coverage (finite
spaces), the i.i.d. ceiling of absolute uniqueness, the ``uniform`` baseline's strict figures on the
same split, samples per second (1,000 draws of seed 0's model, timed here at one thread), training
wall time per seed, the CPU model and precision, and the paper's figure where a paper has one.
It writes ``docs/results/matrix.md`` and its record ``docs/results/matrix.json``. The record is
committed: a cell's row outlives its run directory (``runs/`` is not), so a clean clone shows every
cell measured so far and does not retrain one that is recorded unless ``--rerun`` asks it to.

    python benchmarks/matrix.py                        # run what is missing, then write the matrix
    python benchmarks/matrix.py --plan                 # list the cells, their profiles and state
    python benchmarks/matrix.py --collect-only         # write the matrix from the runs there are
    python benchmarks/matrix.py --generators arch_vq --spaces mbv3,autoformer --seeds 5
    python benchmarks/matrix.py --generators pnag --spaces nb201 --rerun   # measure a recorded cell again
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from archgen.atomic import write_json, write_text
from archgen.device import cpu_model
from archgen.registry import load, names
from archgen.runs.run import open_run

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "matrix.toml"
RESULTS_MD = ROOT / "docs" / "results" / "matrix.md"
ENUMERATE_UP_TO = 500_000
SAMPLED_ARCHS = 22_000
TIMED_SAMPLES = 1_000
CELL_FILE = "matrix_cell.json"
MET_AT = 95.0  # issue 28: strict validity and held-out reconstruction, each at least 95 %


@dataclass(frozen=True)
class Cell:
    """One generator on one space.

    Attributes:
        generator: Generator plugin name.
        space: The space the cell is measured on (after ``[refer]``).
        listed_space: The installed space the cell stands for.
        profile: The run configuration (``None``: the default profile).
        referred: Why ``space`` stands in for ``listed_space`` (``None`` when they are the same).
    """

    generator: str
    space: str
    listed_space: str
    profile: Path | None
    referred: str | None

    @property
    def name(self) -> str:
        return f"{self.generator}-{self.space}"


def read_table(path: Path = TABLE) -> dict[str, Any]:
    """``benchmarks/matrix.toml`` (or ``path``); a missing or malformed file is one line naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SystemExit(f"matrix: cannot read the cell table {str(path)!r}: {error}") from None


def plan(generators: list[str], spaces: list[str], table: dict[str, Any]) -> list[Cell]:
    """The cells of ``generators`` x ``spaces``; a referred space's cell shares its stand-in's run (same name)."""
    cells = []
    for generator in generators:
        for listed in spaces:
            refer = table.get("refer", {}).get(listed)
            space = refer["space"] if refer else listed
            profile = table.get("profiles", {}).get(generator, {}).get(space)
            cells.append(Cell(generator, space, listed, ROOT / profile if profile else None, refer["reason"] if refer else None))
    return cells


def default_profile(cell: Cell) -> str:
    """The run configuration of a cell ``matrix.toml`` names no profile for."""
    size = load("space", cell.space).size()
    data = 'source = "enumerate"' if size <= ENUMERATE_UP_TO else f'source = "sample"\nnum_archs = {SAMPLED_ARCHS}'
    return (
        f'# The matrix\'s default profile for {cell.generator} on {cell.space} (benchmarks/matrix.py).\n'
        f'[run]\nname = "{cell.name}"\nseed = 0\nseeds = 1\n\n[space]\nname = "{cell.space}"\n\n'
        f'[data]\n{data}\nholdout = 0.1\nsplit_seed = 0\n\n[generator]\nname = "{cell.generator}"\n\n'
        f'[evaluate]\nnum_samples = 10000\n'
    )


def archgen_command() -> list[str]:
    """The ``archgen`` console script beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("archgen")
    found = str(beside) if beside.exists() else shutil.which("archgen")
    if not found:
        raise SystemExit("matrix: no `archgen` command found; install archgen (pip install -e .) first")
    return [found]


def read_record(path: Path) -> dict[str, dict[str, Any]]:
    """The rows an earlier call recorded, by cell name (none when ``path`` does not exist yet).

    A record that cannot be read is one line naming it, never a silently emptied matrix.
    """
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        return {f"{row['generator']}-{row['space']}": row for row in rows}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"matrix: cannot read the recorded rows {str(path)!r}: {error}; fix or remove the file") from None


def run_cell(cell: Cell, run_dir: Path, seeds: int, samples: int | None) -> dict[str, Any]:
    """Trains and evaluates one cell unless its run is finished; returns what happened.

    Returns:
        ``{"state": "finished" | "ran" | "failed", "wall_seconds": ..., "error": ...}``.
    """
    if (run_dir / "metrics.json").exists():
        return {"state": "finished"}
    profile = cell.profile
    if profile is None:
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        profile = run_dir.parent / f"{cell.name}.toml"
        write_text(profile, default_profile(cell))
    command = [*archgen_command(), "run", "--config", str(profile), "--run-dir", str(run_dir), "--seeds", str(seeds)]
    if samples is not None:
        command += ["--n", str(samples)]
    if run_dir.exists():
        command.append("--overwrite")  # an interrupted run: metrics.json is written last
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    print(f"matrix: {cell.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    # Output passes straight through: archgen's progress bars are the cell's progress.
    finished = subprocess.run(command, env=env, cwd=ROOT)
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        error = f"failed: `archgen run` exit status {finished.returncode}"
        print(f"matrix: {cell.name} {error} (its error is printed above)", flush=True)
        return {"state": "failed", "wall_seconds": wall, "error": error}
    write_json(run_dir / CELL_FILE, {"command": command[1:], "wall_seconds": wall, "cpu": cpu_model()})
    return {"state": "ran", "wall_seconds": wall}


def samples_per_second(run_dir: Path) -> float:
    """Draws per second of the first trained seed's model (1,000 draws, one thread, after a warm-up draw of 10)."""
    run = open_run(run_dir)
    seed = run.trained_seeds[0]
    generator = run.load_generator(seed)
    sampling = run.sampling()
    generator.sample(run.space, 10, seed=1, **sampling)
    started = time.perf_counter()
    generator.sample(run.space, TIMED_SAMPLES, seed=2, **sampling)
    return TIMED_SAMPLES / (time.perf_counter() - started)


def _mean(summary: dict[str, Any], *keys: str) -> float | None:
    value: Any = summary
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value.get("mean") if isinstance(value, dict) else value


def collect(cell: Cell, run_dir: Path) -> dict[str, Any]:
    """The matrix row of a finished cell, read from its run directory."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    ceilings = metrics.get("uniqueness_ceilings", {})
    summary, uniform = metrics["summary"], metrics.get("baselines", {}).get("uniform", {}).get("summary", {})
    training = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((run_dir / "checkpoints").glob("seed-*/training.json"))
    ]
    cell_file = run_dir / CELL_FILE
    recorded = json.loads(cell_file.read_text(encoding="utf-8")) if cell_file.exists() else {}
    if "samples_per_second" not in recorded:
        recorded["samples_per_second"] = samples_per_second(run_dir)
        recorded.setdefault("cpu", cpu_model())
        write_json(cell_file, recorded)
    finite = load("space", cell.space).size() <= ENUMERATE_UP_TO
    return {
        "generator": cell.generator, "space": cell.space, "listed_space": cell.listed_space,
        "profile": str(cell.profile.relative_to(ROOT)) if cell.profile else "default",
        "seeds": metrics.get("seeds"),
        "reconstruction": _mean(summary, "reconstruction_accuracy"),
        "reconstruction_std": (summary.get("reconstruction_accuracy") or {}).get("std"),
        "paper_validity": _mean(summary, "paper", "validity"),
        "strict_validity": _mean(summary, "strict", "validity"),
        "strict_validity_std": (summary.get("strict", {}).get("validity") or {}).get("std"),
        "paper_absolute_uniqueness": _mean(summary, "paper", "absolute_uniqueness"),
        "paper_uniqueness_ceiling": ceilings.get("paper", {}).get("ceiling", metrics.get("iid_uniqueness_ceiling")),
        "strict_absolute_uniqueness": _mean(summary, "strict", "absolute_uniqueness"),
        "strict_uniqueness_ceiling": ceilings.get("strict", {}).get("ceiling"),
        "strict_absolute_novelty": _mean(summary, "strict", "absolute_novelty"),
        "heldout_coverage": _mean(summary, "strict", "heldout_coverage") if finite else None,
        "uniform_strict_validity": _mean(uniform, "strict", "validity"),
        "uniform_paper_absolute_uniqueness": _mean(uniform, "paper", "absolute_uniqueness"),
        "uniform_strict_absolute_uniqueness": _mean(uniform, "strict", "absolute_uniqueness"),
        "uniform_heldout_coverage": _mean(uniform, "strict", "heldout_coverage") if finite else None,
        "samples_per_second": recorded["samples_per_second"],
        "training_seconds_per_seed": sum(t.get("seconds", 0.0) for t in training) / max(len(training), 1),
        "cpu": recorded.get("cpu", "not recorded"),
        "precision": sorted({t.get("runtime", {}).get("precision", "?") for t in training}),
        "threads": sorted({t.get("runtime", {}).get("threads", "?") for t in training}),
        "num_samples": metrics.get("num_samples"),
        "sampling": metrics.get("sampling"),
        "run_precision_setting": config.get("run", {}).get("precision"),
    }


def met(row: dict[str, Any]) -> str:
    """``yes`` when strict validity and held-out reconstruction (where the generator has one) are both >= 95 %."""
    figures = [row["strict_validity"], row["reconstruction"]]
    known = [value for value in figures if value is not None and not math.isnan(value)]
    return "yes" if known and all(value >= MET_AT for value in known) else "no"


def shown(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _figure(value: float | None, std: float | None = None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f} ± {std:.2f}" if std else f"{value:.2f}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def render(cells: list[Cell], rows: dict[str, dict[str, Any]], states: dict[str, dict[str, Any]], table: dict[str, Any],
           runs_dir: Path) -> str:
    """``docs/results/matrix.md``."""
    lines = [
        "# Every generator on every space",
        "",
        "Written by `python benchmarks/matrix.py` (profiles: `benchmarks/matrix.toml`; runs under "
        f"`{shown(runs_dir)}`). One row per generator x space cell; strict figures are `is_valid` + `canonical_key`, "
        "paper figures arch2vec's counting (docs/metrics.md). A cell is met when strict validity and "
        "held-out reconstruction are both at least 95 % (`met`; a generator without reconstruction, "
        "such as `uniform`, on strict validity alone). Samples/s: 1,000 draws of the first trained seed's model at one thread, "
        "timed when the matrix first read the cell, beside whatever else the machine ran.",
        "",
        "| generator | space | met | seeds | recon. | paper V | strict V | paper abs. U (ceiling) | strict abs. U (ceiling) | strict abs. N | held-out cov. | uniform: paper abs. U / strict abs. U / cov. | paper's figure | samples/s | train / seed | machine | profile |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    referred = []
    for cell in cells:
        row, state = rows.get(cell.name), states.get(cell.name, {})
        space_label = cell.listed_space if cell.listed_space == cell.space else f"{cell.listed_space} → {cell.space}"
        if cell.referred:
            referred.append(f"- `{cell.listed_space}` is measured as `{cell.space}`: {cell.referred}.")
        profile = f"`{cell.profile.relative_to(ROOT)}`" if cell.profile else "default"
        paper = table.get("paper", {}).get(cell.generator, {}).get(cell.space)
        paper_text = "–" if not paper else f"{paper['source']}: " + ", ".join(
            f"{key.replace('_', ' ')} {value:.2f}" for key, value in paper.items() if key != "source")
        if row is None:
            why = state.get("error") or "not run"
            lines.append(f"| {cell.generator} | {space_label} | – | – | {why} | | | | | | | | {paper_text} | | | | {profile} |")
            continue
        uniqueness = {
            protocol: _figure(row[f"{protocol}_absolute_uniqueness"])
            + (f" ({row[f'{protocol}_uniqueness_ceiling']:.2f})" if row[f"{protocol}_uniqueness_ceiling"] is not None else "")
            for protocol in ("paper", "strict")
        }
        uniform = " / ".join(_figure(row[key]) for key in (
            "uniform_paper_absolute_uniqueness", "uniform_strict_absolute_uniqueness", "uniform_heldout_coverage"))
        machine = f"{row['cpu']}, {'/'.join(row['precision'])}, {'/'.join(str(t) for t in row['threads'])} thread"
        lines.append(
            f"| {cell.generator} | {space_label} | {met(row)} | {len(row['seeds'] or [])} | {_figure(row['reconstruction'], row['reconstruction_std'])} "
            f"| {_figure(row['paper_validity'])} | {_figure(row['strict_validity'], row['strict_validity_std'])} "
            f"| {uniqueness['paper']} | {uniqueness['strict']} "
            f"| {_figure(row['strict_absolute_novelty'])} | {_figure(row['heldout_coverage'])} | {uniform} | {paper_text} "
            f"| {row['samples_per_second']:.0f} | {_minutes(row['training_seconds_per_seed'])} | {machine} | {profile} |"
        )
    lines += ["", *sorted(set(referred))] if referred else []
    if any(cell.name not in rows for cell in cells):
        lines += ["", "`not run`: this command has not trained the cell into these runs yet (it resumes there on its "
                  "next call); figures measured earlier by hand, with their commands, are on the topic pages "
                  "(arch-vq.md, pnag.md, arch-llm.md)."]
    lines += ["", "Every row is also recorded in the `.json` file beside this page, which outlives the run directories: "
              "a recorded cell keeps its row when its run is gone and is not retrained unless `--rerun` names it."]
    lines += ["", "Reproduce a cell: `archgen run --config <profile> --seeds <seeds>` (the default profile is written "
              "beside the run as `<generator>-<space>.toml`)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generators", default=None, help="comma-separated (default: every installed generator)")
    parser.add_argument("--spaces", default=None, help="comma-separated (default: every installed space)")
    parser.add_argument("--seeds", type=int, default=1, help="replicates per cell that still has to run")
    parser.add_argument("--n", type=int, default=None, help="samples per seed (default: each profile's)")
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "matrix")
    parser.add_argument("--table", type=Path, default=TABLE, help="profiles, stand-in spaces and paper figures")
    parser.add_argument("--output", type=Path, default=RESULTS_MD)
    parser.add_argument("--plan", action="store_true", help="list the cells and their state; run nothing")
    parser.add_argument("--collect-only", action="store_true", help="write the matrix from finished cells; run nothing")
    parser.add_argument("--rerun", action="store_true",
                        help="train the chosen cells again even where the record holds their row (a finished run is still kept)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    installed = {"generator": names("generator"), "space": names("space")}
    chosen = {}
    for slot, text in (("generator", args.generators), ("space", args.spaces)):
        chosen[slot] = [name.strip() for name in text.split(",")] if text else installed[slot]
        unknown = [name for name in chosen[slot] if name not in installed[slot]]
        if unknown:
            parser.error(f"unknown {slot} {unknown[0]!r}; installed: {', '.join(installed[slot])}")
    table = read_table(args.table)
    cells = plan(chosen["generator"], chosen["space"], table)
    runs_dir = args.runs_dir.resolve()
    record_path = args.output.with_suffix(".json")
    recorded = read_record(record_path)
    if args.plan:
        for cell in cells:
            done = (runs_dir / cell.name / "metrics.json").exists()
            state = "finished" if done else "recorded" if cell.name in recorded else "to run"
            profile = cell.profile.relative_to(ROOT) if cell.profile else "default profile"
            print(f"{cell.listed_space:>12} {cell.generator:<10} {state:<9} {profile}")
        return
    states: dict[str, dict[str, Any]] = {}
    if not args.collect_only:
        for cell in {cell.name: cell for cell in cells}.values():  # a referred space shares its stand-in's run
            if cell.name in recorded and not args.rerun and not (runs_dir / cell.name).exists():
                print(f"matrix: {cell.name}: recorded in {shown(record_path)}; not retrained (--rerun does)", flush=True)
                continue
            states[cell.name] = run_cell(cell, runs_dir / cell.name, args.seeds, args.n)
    # The page always shows every installed cell, whichever subset this call ran.
    every_cell = plan(installed["generator"], installed["space"], table)
    measured = {cell.name: cell for cell in every_cell}.values()
    rows = {}
    for cell in measured:
        if (runs_dir / cell.name / "metrics.json").exists():
            rows[cell.name] = {**collect(cell, runs_dir / cell.name), "run": shown(runs_dir / cell.name)}
        elif cell.name in recorded:
            rows[cell.name] = recorded[cell.name]
    write_json(record_path, {"rows": [rows[name] for name in sorted(rows)]})
    write_text(args.output, render(every_cell, rows, states, table, runs_dir))
    print(f"matrix: {len(rows)} of {len(measured)} cells measured; wrote {args.output}")


if __name__ == "__main__":
    main()
