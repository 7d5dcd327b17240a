"""How many torch threads should training use? 100 VQ-VAE steps at 1 / torch's default / all cores.

The model is the paper's, as ``registry.toml`` configures it (NB201; GIN 128x4+16, K = 512,
D = 16), trained by the product's own loop (:func:`archgen.training.train_epochs`, Adam 1e-4,
batch 32, fp32) for 100 steps after 3 untimed warm-up steps. Each thread setting runs twice:

* ``idle``: nothing else started by this script;
* ``busy``: one *neighbour* process -- a plain Python busy loop -- started before the
  measurement and killed after it, as a newcomer's machine doing one other thing would be.

Every measurement is a fresh subprocess (thread settings never leak from one to the next) that
times ``--repeats`` runs of the 100 steps; the table shows their median and the ratio to the
1-thread median under the same neighbour condition. Other users of the machine are not under
this script's control: the load average before and after every measurement is recorded, and a
loaded machine makes every figure larger (the busy column is then the better guide).

Usage::

    python benchmarks/threads.py [--repeats 3] [--timeout 900]

Prints a table and writes ``benchmarks/results/threads.json``. ``[run] threads = "auto"``
(:func:`archgen.runtime.default_threads`) is the policy these figures inform.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "threads.json"
STEPS, BATCH, WARMUP_STEPS = 100, 32, 3
NEIGHBOUR = "while True:\n    pass\n"


def _thread_settings() -> list[tuple[str, int | None]]:
    """``(label, torch threads)``; ``None`` leaves torch's own default untouched."""
    return [("1 thread", 1), ("torch default", None), ("all cores", os.cpu_count() or 1)]


def worker(threads: int | None, repeats: int) -> dict:
    """One measurement (run in its own process): ``repeats`` timings of 100 VQ-VAE steps."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    import archgen
    from archgen.runtime import Runtime
    from archgen.training import train_epochs

    options = tomllib.loads((ROOT / "registry.toml").read_text(encoding="utf-8"))["generator"]["options"]
    space = archgen.load("space", "nb201")
    archs = space.sample(STEPS * BATCH, seed=0)
    adjacency, ops = space.to_tensors(archs)
    runtime = Runtime(threads=torch.get_num_threads())

    def step(model, batch):
        out = model(*batch)
        return out.loss, {}

    def run(rows: int) -> float:
        torch.manual_seed(0)
        generator = archgen.load("generator", "arch_vq", **options).build(space)
        optimizer = torch.optim.Adam(generator.vqvae.parameters(), lr=1e-4)
        started = time.perf_counter()
        train_epochs(
            generator.vqvae, optimizer, [adjacency[:rows], ops[:rows]], step,
            stage="threads", epochs=1, batch_size=BATCH, seed=0, runtime=runtime,
        )
        return time.perf_counter() - started

    run(WARMUP_STEPS * BATCH)
    seconds = [run(STEPS * BATCH) for _ in range(repeats)]
    return {"torch_threads": torch.get_num_threads(), "seconds": seconds}


def measure(threads: int | None, busy: bool, repeats: int, timeout: float) -> dict:
    """Runs :func:`worker` in a fresh interpreter, with or without a busy neighbour process."""
    neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR]) if busy else None
    load_before = os.getloadavg()
    try:
        if neighbour is not None:
            time.sleep(0.5)  # let it reach its loop before the clock starts
        command = [sys.executable, __file__, "--worker", "default" if threads is None else str(threads), "--repeats", str(repeats)]
        env = {**os.environ, "ARCHGEN_PROGRESS": "0"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            result = {"torch_threads": threads, "seconds": [], "timed_out_after_s": timeout}
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()
    return {**result, "load_average_before": load_before, "load_average_after": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of 100 steps per setting (median reported)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before one setting is abandoned")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(None if args.worker == "default" else int(args.worker), args.repeats)))
        return

    from archgen.atomic import write_json

    rows = []
    for neighbour in ("idle", "busy"):
        baseline = None
        for label, threads in _thread_settings():
            result = measure(threads, neighbour == "busy", args.repeats, args.timeout)
            median = statistics.median(result["seconds"]) if result["seconds"] else None
            if threads == 1:
                baseline = median
            ratio = median / baseline if median is not None and baseline else None
            rows.append({"setting": label, "neighbour": neighbour, "median_s": median, "ratio_to_1_thread": ratio, **result})
            print(f"  measured {label} / {neighbour}: {median if median is None else round(median, 2)} s", file=sys.stderr, flush=True)

    print(f"100 VQ-VAE training steps (NB201, batch {BATCH}, GIN 128x4+16, K=512, D=16), median of {args.repeats}")
    print(f"{os.cpu_count()} CPUs; torch's default here is {rows[1]['torch_threads']} threads.")
    print("NOTE: the machine is shared with other users; see the load averages (1 min) per row.\n")
    print(f"| {'threads':<14} | {'neighbour':<9} | {'torch threads':>13} | {'median s':>8} | {'vs 1 thread':>11} | {'load before/after':>17} |")
    print(f"|{'-' * 16}|{'-' * 11}|{'-' * 15}|{'-' * 10}|{'-' * 13}|{'-' * 19}|")
    for row in rows:
        median = "timeout" if row["median_s"] is None else f"{row['median_s']:.2f}"
        ratio = "-" if row["ratio_to_1_thread"] is None else f"{row['ratio_to_1_thread']:.2f}x"
        load = f"{row['load_average_before'][0]:.1f} / {row['load_average_after'][0]:.1f}"
        print(f"| {row['setting']:<14} | {row['neighbour']:<9} | {row['torch_threads']!s:>13} | {median:>8} | {ratio:>11} | {load:>17} |")
    import torch

    write_json(
        RESULTS,
        {
            "benchmark": "threads",
            "steps": STEPS,
            "batch_size": BATCH,
            "repeats": args.repeats,
            "model": "registry.toml generator options (NB201; GIN 128x4+16, K=512, D=16)",
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "shared_machine_note": "other processes not started by this script may have used the CPUs; see load averages",
            "rows": rows,
        },
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
