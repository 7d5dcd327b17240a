"""Training throughput, the paper's loop beside archgen's fast default: architectures per second, peak memory.

Both columns train the paper's models (GIN 128x4+16 or 256x4+16 on DARTS, K = 512, D = 16; a
4-layer, 4-head prior) with the product's own loop (:func:`archgen.training.train_epochs`) on
the same training architectures of the chosen space:

* ``paper loop``: the paper's batches (VQ-VAE 32, prior 128), fp32, torch's default thread count
  -- what a plain PyTorch port of the paper runs;
* ``paper, 1 thread``: the same at one thread, which separates the thread policy's share of the
  gain from the batch's and the precision's;
* ``fast default``: the batches of ``examples/<space>.toml`` (VQ-VAE 256, prior 512), bf16
  autocast (fp32 where the CPU has no native bf16; ``--precision`` overrides), one thread
  (``threads = "auto"``).

Every measurement is a fresh subprocess -- thread settings and allocator state never leak from
one to the next, and its peak resident memory (``ru_maxrss``; on CUDA also
``torch.cuda.max_memory_allocated``) is its own. Each times ``--steps`` optimizer steps after 3
untimed ones. Throughput per step is only half of the speed-up: the other half is that the fast
schedule needs fewer epochs (``docs/performance.md``), which this script does not time.

Usage::

    python benchmarks/training.py [--space nb101] [--steps 60] [--device cpu]

Prints a table and writes ``benchmarks/results/training_<space>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARMUP_STEPS = 3
#: (label, VQ-VAE batch, prior batch, precision, threads): ``None`` threads = torch's default.
SETTINGS = {
    "paper loop": (32, 128, "fp32", None),
    "paper, 1 thread": (32, 128, "fp32", 1),
    "fast default": (256, 512, "bf16", 1),
}


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); emulated bf16 is slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def worker(space_name: str, stage: str, batch: int, precision: str, threads: int | None, steps: int, device: str) -> dict:
    """One measurement (its own process): ``steps`` training steps of one stage."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    import archgen
    from archgen.runtime import Runtime
    from archgen.training import train_epochs

    hidden = [256] * 4 + [16] if space_name.startswith("darts") else [128] * 4 + [16]  # arch-vq.md 4.3
    space = archgen.load("space", space_name)
    rows = (steps + WARMUP_STEPS) * batch
    archs = space.sample(rows, seed=0)
    torch.manual_seed(0)
    generator = archgen.load("generator", "arch_vq", encoder={"name": "gin", "options": {"hidden_dims": hidden}}).build(space, device)
    runtime = Runtime(device=torch.device(device), threads=torch.get_num_threads(), precision=precision)
    if stage == "vqvae":
        model = generator.vqvae
        data = [t.to(device) for t in space.to_tensors(archs)]
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step(module, tensors):
            out = module(*tensors)
            return out.loss, {"loss": out.loss}
    else:
        model = generator.prior
        data = [torch.randint(0, 512, (rows, space.max_nodes), device=device)]
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)

        def step(module, tensors):
            loss = model._loss(module, tensors[0])
            return loss, {"loss": loss}

    def run(count: int) -> float:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        train_epochs(model, optimizer, [t[: count * batch] for t in data], step, stage=stage, epochs=1, batch_size=batch, seed=0, runtime=runtime)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - started

    run(WARMUP_STEPS)
    seconds = run(steps)
    result = {
        "archs_per_s": steps * batch / seconds,
        "seconds": seconds,
        "torch_threads": torch.get_num_threads(),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if device.startswith("cuda"):
        result["peak_cuda_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def measure(args: argparse.Namespace, stage: str, label: str, precision: str) -> dict:
    vqvae_batch, prior_batch, _, threads = SETTINGS[label]
    batch = vqvae_batch if stage == "vqvae" else prior_batch
    command = [
        sys.executable, __file__, "--worker", stage, "--space", args.space, "--steps", str(args.steps), "--device", args.device,
        "--batch", str(batch), "--precision", precision, "--threads", "default" if threads is None else str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "ARCHGEN_PROGRESS": "0"}, check=False)
    if done.returncode:
        raise SystemExit(f"benchmark worker failed ({stage}, {label}): {done.stderr.strip().splitlines()[-1:]}")
    return {"stage": stage, "setting": label, "batch": batch, "precision": precision, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="nb101", help="search space (nb101, nb201, darts_cell...)")
    parser.add_argument("--steps", type=int, default=60, help="timed optimizer steps per measurement")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:i]")
    parser.add_argument("--precision", default=None, help="the fast column's precision (default: bf16 where native, else fp32)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        threads = None if args.threads == "default" else int(args.threads)
        print(json.dumps(worker(args.space, args.worker, args.batch, args.precision, threads, args.steps, args.device)))
        return

    from archgen.atomic import write_json

    fast_precision = args.precision or ("bf16" if args.device.startswith("cuda") or cpu_has_native_bf16() else "fp32")
    rows = []
    for stage in ("vqvae", "prior"):
        for label in SETTINGS:
            precision = fast_precision if label == "fast default" else "fp32"
            rows.append(measure(args, stage, label, precision))
            print(f"  measured {stage} / {label}: {rows[-1]['archs_per_s']:.0f} archs/s", file=sys.stderr, flush=True)

    print(f"Training throughput on {args.space} ({args.device}, {os.cpu_count()} CPUs), {args.steps} steps each, fresh process each; "
          f"load average {os.getloadavg()[0]:.1f} (other processes slow the multi-threaded row most)")
    print(f"| {'stage':<6} | {'setting':<15} | {'batch':>5} | {'precision':>9} | {'threads':>7} | {'archs/s':>8} | {'vs paper':>8} | {'peak RSS MiB':>12} |")
    print(f"|{'-' * 8}|{'-' * 17}|{'-' * 7}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 10}|{'-' * 14}|")
    for row in rows:
        baseline = next(r for r in rows if r["stage"] == row["stage"] and r["setting"] == "paper loop")
        row["ratio_to_paper_loop"] = row["archs_per_s"] / baseline["archs_per_s"]
        print(
            f"| {row['stage']:<6} | {row['setting']:<15} | {row['batch']:>5} | {row['precision']:>9} | {row['torch_threads']:>7} | "
            f"{row['archs_per_s']:>8.0f} | {row['ratio_to_paper_loop']:>7.2f}x | {row['peak_rss_mib']:>12.0f} |"
        )
    out = ROOT / "benchmarks" / "results" / f"training_{args.space}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"space": args.space, "device": args.device, "steps": args.steps, "rows": rows})
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
