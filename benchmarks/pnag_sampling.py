"""Seconds per architecture of batched generation: PNAG beside Arch-VQ's sampler, in one process.

Issue 12's speed target is <= 0.2 ms per architecture on the 2-core CPU (pnag.md reports 0.006 s per
architecture on a GPU, DiffusionNAG 8 s). Each row times ``generator.sample(space, n, seed=s)`` --
every scale's forward pass (PNAG) or every token's (Arch-VQ), the decode to graphs and the
``SampleBatch`` with its tokens -- on models built for the space with the configured options. The
cost does not depend on the weights (the same tensors flow whatever their values), so the models are
not trained; the timing of a trained checkpoint is the same.

Rows: PNAG with its defaults (the paper's scales ``3..N``) on one thread and with ``sample_workers =
"auto"`` (the default: the draw's tiles shared among one thread per usable core; the draws are the
same), PNAG as ``examples/pnag-nb201.toml`` configures it, PNAG with three scales (one thread and
auto; and with the two finest scales drawn token by token, ``sequential_scales = 2``, as
``examples/pnag-darts-cpu.toml`` draws DARTS cells), and Arch-VQ as ``registry.toml`` configures it. Each is timed
``--repeats`` times after one warm-up draw; the median is reported. One torch thread (``threads =
"auto"``). The 1-minute load average is recorded: on a shared machine other processes slow every row.
Beside the wall-clock median, the median of the process's CPU time per draw (``time.process_time``,
user + system, summed over the process's threads): on a loaded machine wall time also counts the time other processes held
the core, which CPU time does not (it still rises when a neighbour shares the core's caches).

Usage::

    python benchmarks/pnag_sampling.py [--space nb201] [--n 10000] [--repeats 3]

Prints a table and writes ``benchmarks/results/pnag_sampling.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tomllib
from pathlib import Path

import torch

import archgen
from archgen.atomic import write_json
from archgen.runtime import usable_cores

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pnag_sampling.json"


def _generator_options(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["generator"].get("options", {})


def configurations(space_name: str) -> list[tuple[str, str, dict]]:
    """``(label, generator, options)`` of every row."""
    example = _generator_options(ROOT / "examples" / f"pnag-{space_name}.toml") if (ROOT / "examples" / f"pnag-{space_name}.toml").is_file() else None
    rows = [("pnag defaults (scales 3..N), 1 thread", "pnag", {"sample_workers": 1}),
            ("pnag defaults (scales 3..N), workers auto", "pnag", {})]
    if example is not None:
        rows.append((f"pnag examples/pnag-{space_name}.toml", "pnag", example))
    rows.append(("pnag scales [3, N/2+1, N], 1 thread", "pnag", {"scales": "three", "sample_workers": 1}))
    rows.append(("pnag scales [3, N/2+1, N], workers auto", "pnag", {"scales": "three"}))
    rows.append(("pnag three scales, two token by token, auto", "pnag", {"scales": "three", "sequential_scales": 2}))
    rows.append(("arch_vq registry.toml", "arch_vq", _generator_options(ROOT / "registry.toml")))
    return rows


def time_sampling(generator, space, n: int, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``repeats`` draws of ``n``, after one warm-up draw."""
    generator.sample(space, min(n, 256), seed=0)  # warm-up: allocator and kernels
    seconds, cpu_seconds = [], []
    for repeat in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        batch = generator.sample(space, n, seed=repeat + 1)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        assert len(batch) == n
    return seconds, cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--n", type=int, default=10_000, help="architectures per timed draw (default 10,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    space = archgen.load("space", args.space)
    load_before = os.getloadavg()[0]

    rows = []
    for label, name, options in configurations(args.space):
        if options.get("scales") == "three":
            size = space.max_nodes
            options = {**options, "scales": sorted({min(3, size), size // 2 + 1, size})}
        generator = archgen.load("generator", name, **options).build(space)
        seconds, cpu_seconds = time_sampling(generator, space, args.n, args.repeats)
        median = statistics.median(seconds)
        tokens = generator.transformer.sequence_length if name == "pnag" else space.max_nodes + 1
        rows.append({"label": label, "generator": name, "options": options, "tokens_per_arch": tokens,
                     "seconds": seconds, "ms_per_arch": 1e3 * median / args.n,
                     "cpu_seconds": cpu_seconds, "cpu_ms_per_arch": 1e3 * statistics.median(cpu_seconds) / args.n})

    reference = next(r for r in rows if r["generator"] == "arch_vq")["ms_per_arch"]
    print(f"{args.space}: {args.n:,} architectures per draw, median of {args.repeats}, {args.threads} torch thread(s), "
          f"load average {load_before:.2f} before")
    print(f"usable cores: {usable_cores()}")
    print(f"{'sampler':<44} {'tokens':>7} {'ms / arch':>10} {'cpu ms':>8} {'vs arch_vq':>11} {'<= 0.2 ms':>10}")
    for row in rows:
        print(f"{row['label']:<44} {row['tokens_per_arch']:>7} {row['ms_per_arch']:>10.4f} {row['cpu_ms_per_arch']:>8.4f} "
              f"{reference / row['ms_per_arch']:>10.2f}x {'yes' if row['ms_per_arch'] <= 0.2 else 'no':>10}")
    write_json(
        RESULTS,
        {
            "benchmark": "pnag_sampling",
            "space": args.space,
            "n": args.n,
            "repeats": args.repeats,
            "threads": args.threads,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
            "rows": rows,
            "paper_gpu_ms_per_arch": 6.0,
            "target_ms_per_arch": 0.2,
            "machine": {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count(),
                        "usable_cores": usable_cores(), "processor": platform.machine()},
        },
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
