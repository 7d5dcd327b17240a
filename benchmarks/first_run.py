"""A first run, timed: the default ``archgen run`` on the old schedule and on today's ``registry.toml``.

Issue 26 ("a first run that is fast everywhere"): the default configuration (NB201, Arch-VQ,
evaluate 10,000 samples) should finish in at most 5 minutes on a 2-core fp32 CPU at one thread
with another process busy. This script runs the whole ``archgen run`` (enumerate, split, VQ-VAE,
prior, sample, evaluate; one seed) in a subprocess on a scratch runs folder, once per schedule
and precision, and reports:

* ``old``: the default before issue 26 (VQ-VAE 20 epochs; prior 80 epochs, dropout 0.1, batch
  256, AdamW 1e-3, warm-up 5 % + cosine; torch's default kernels);
* ``new``: ``registry.toml`` as it stands.

Per row: the wall time of each training stage (``training.json``: VQ-VAE and prior seconds, which
include their per-epoch validation), the whole command's wall and CPU time, and the seed's
figures (reconstruction, paper-protocol absolute uniqueness, validity). The precision is forced
with ``ARCHGEN_RUN__PRECISION``: fp32 always; bf16 only where the CPU computes it natively
(AVX512-BF16 or AMX; emulated bf16 is slower than fp32), else the row reads
``n/a (no native bf16)``. Every run uses one torch thread (``threads = "auto"``, and
``OMP_NUM_THREADS=1``). ``--neighbour`` starts one busy Python loop beside each run, the reference
"busy neighbour"; on a machine that other users already load, leave it off and read the load
averages recorded with each row.

Usage::

    python benchmarks/first_run.py [--runs-dir /tmp/archgen-first-run] [--schedules old,new] [--neighbour]

Prints a table and writes ``benchmarks/results/first_run.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from archgen.device import cpu_has_native_bf16, cpu_model

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "first_run.json"
NEIGHBOUR = "while True:\n    pass\n"

#: ``[generator.options]`` of ``registry.toml`` before issue 26 (what ``old`` runs).
OLD_GENERATOR_OPTIONS = """[generator.options]
vqvae_epochs = 20
vqvae_batch_size = 64
vqvae_lr = 7e-4
vqvae_schedule = "cosine"
vqvae_warmup = 0.02
prior_epochs = 80

[generator.options.encoder]
name = "gin"
options = { hidden_dims = [128, 128, 128, 128, 16] }

[generator.options.quantizer]
name = "ema"
options = { codebook_size = 512, dim = 16, beta = 0.25, decay = 0.99 }

[generator.options.prior]
name = "transformer"
options = { layers = 4, heads = 4, batch_size = 256, lr = 1e-3, schedule = "cosine", warmup = 0.05 }

"""



def config_text(schedule: str) -> str:
    """The registry file a schedule runs: ``registry.toml`` itself, or it with the old generator options."""
    text = (ROOT / "registry.toml").read_text(encoding="utf-8")
    if schedule == "new":
        return text
    start = text.index("[generator.options]\n")
    # The generator's option tables end at the first table header that is not one of them.
    headers = [i for i in range(start + 1, len(text)) if text[i] == "[" and text[i - 1] == "\n"]
    end = next((i for i in headers if not text.startswith("[generator.options", i)), len(text))
    return text[:start] + OLD_GENERATOR_OPTIONS + text[end:]


def run_once(schedule: str, precision: str, runs_dir: Path, timeout: float, neighbour: bool) -> dict:
    """One ``archgen run`` (one seed) of ``schedule`` at ``precision``: wall, CPU and stage times, figures."""
    folder = runs_dir / f"{schedule}-{precision}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = folder / "registry.toml"
    config.write_text(config_text(schedule), encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ARCHGEN_PROGRESS": "0", "ARCHGEN_RUN__PRECISION": precision}
    command = ["archgen", "run", "--config", str(config), "--run-dir", str(folder / "run"), "--seeds", "1"]
    busy = subprocess.Popen([sys.executable, "-c", NEIGHBOUR]) if neighbour else None
    load_before, cpu_before, started = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        wall = time.perf_counter() - started
        if busy is not None:
            busy.kill()
            busy.wait()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"archgen run ({schedule}, {precision}) failed: {done.stderr.strip()[-2000:]}")
    return {
        "schedule": schedule, "precision": precision, "threads": 1, "neighbour": neighbour,
        "wall_s": wall, "cpu_s": (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
        "load_before": load_before, "load_after": os.getloadavg()[0], **_run_figures(folder / "run"),
    }


def _run_figures(run: Path) -> dict:
    """Stage times from ``training.json`` and seed 0's figures from ``metrics.json``."""
    training = json.loads((run / "checkpoints" / "seed-0" / "training.json").read_text(encoding="utf-8"))
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    prior_epochs = config["generator"]["options"]["prior_epochs"]
    seed = metrics["per_seed"][0]
    return {
        "vqvae_s": training["vqvae_seconds_per_epoch"] * training["vqvae_epochs_run"],
        "vqvae_epochs_run": training["vqvae_epochs_run"],
        # prior_seconds_per_epoch is the prior's seconds over its planned epochs.
        "prior_s": training["prior_seconds_per_epoch"] * prior_epochs,
        "prior_epochs": prior_epochs,
        "training_s": training["seconds"],
        "reconstruction": seed["reconstruction_accuracy"],
        "paper_validity": seed["paper"]["validity"],
        "paper_absolute_uniqueness": seed["paper"]["absolute_uniqueness"],
        "strict_validity": seed["strict"]["validity"],
        "paper_novelty": seed["paper"]["novelty"],
    }


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} m {seconds % 60:04.1f} s"


def print_table(rows: list[dict], skipped: list[tuple[str, str]]) -> None:
    print(f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); native bf16: {'yes' if cpu_has_native_bf16() else 'no'}; one torch thread")
    print("| schedule | precision | threads | VQ-VAE | prior | rest (data, sampling, evaluation) | `archgen run` wall | CPU time | load avg before/after | recon. | paper abs. uniq. | paper validity |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['schedule']} | {r['precision']} | {r['threads']} | {r['vqvae_s']:.0f} s ({r['vqvae_epochs_run']} ep.) | "
            f"{r['prior_s']:.0f} s ({r['prior_epochs']} ep.) | {r['wall_s'] - r['training_s']:.0f} s | **{_minutes(r['wall_s'])}** | {_minutes(r['cpu_s'])} | {r['load_before']:.1f} / {r['load_after']:.1f} | "
            f"{r['reconstruction']:.2f} | {r['paper_absolute_uniqueness']:.2f} | {r['paper_validity']:.2f} |"
        )
    for schedule, precision in skipped:
        print(f"| {schedule} | {precision} | 1 | n/a (no native bf16) | | | | | | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/archgen-first-run"), help="scratch folder for the runs")
    parser.add_argument("--schedules", default="old,new", help="comma-separated: old, new")
    parser.add_argument("--neighbour", action="store_true", help="run one busy Python loop beside each measurement")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per run")
    args = parser.parse_args()
    from archgen.atomic import write_json

    precisions = ["fp32", "bf16"]
    rows, skipped = [], []
    for schedule in args.schedules.split(","):
        for precision in precisions:
            if precision == "bf16" and not cpu_has_native_bf16():
                skipped.append((schedule, precision))
                continue
            rows.append(run_once(schedule, precision, args.runs_dir, args.timeout, args.neighbour))
            print(f"  {schedule} / {precision}: {_minutes(rows[-1]['wall_s'])}", file=sys.stderr, flush=True)
    print_table(rows, skipped)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS, {
        "cpu": cpu_model(), "cpus": os.cpu_count(), "native_bf16": cpu_has_native_bf16(), "rows": rows,
        "skipped": [{"schedule": s, "precision": p, "reason": "n/a (no native bf16)"} for s, p in skipped],
    })
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
