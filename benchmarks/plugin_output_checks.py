"""Cost of trusting no plugin: the SampleBatch check against the generation it guards.

Every batch a generator returns is checked as it enters archgen
(:func:`archgen.plugin_outputs.check_sample_batch`, issue 27); the issue's budget is a few per cent
of generation time at most. Times, in one process and on the same batch:

* ``generator.sample`` of ``--n`` NAS-Bench-201 cells with ``uniform`` (the cheapest generator:
  the check's worst case) and with a tiny trained ``arch_vq`` (its ``TEST_OPTIONS``, seconds);
* the check of that batch (the median of ``--repeats``), and the ratio check / generation.

Usage::

    python benchmarks/plugin_output_checks.py            # 10,000 samples, 5 repeats

Prints a table and writes ``benchmarks/results/plugin_output_checks.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import archgen
from archgen.atomic import write_json
from archgen.device import cpu_model
from archgen.plugin_outputs import check_sample_batch
from archgen.registry import plugin_class
from archgen.runtime import Runtime

SPACE = "nb201"
GENERATORS = ("uniform", "arch_vq")



def median_seconds(work: Any, repeats: int) -> tuple[float, Any]:
    """The median wall time of ``repeats`` calls of ``work()`` and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return float(np.median(times)), result


def measure(name: str, space: Any, train: list, n: int, repeats: int, runtime: Runtime) -> dict[str, Any]:
    """Trains ``name`` with its test options, then times sampling and checking ``n`` samples."""
    generator = archgen.load("generator", name, **plugin_class("generator", name).TEST_OPTIONS)
    started = time.perf_counter()
    generator.fit(space, train, runtime=runtime, seed=0)
    fit_seconds = time.perf_counter() - started
    generator.sample(space, 64, seed=1)  # warm-up: allocator, kernels, caches
    sample_seconds, batch = median_seconds(lambda: generator.sample(space, n, seed=0), repeats)
    model = getattr(generator, "SamplingOptions", None)
    check_seconds, _ = median_seconds(
        lambda: check_sample_batch(batch, space, n=n, seed=0, plugin=f"generator {name!r}", sampling_model=model),
        max(repeats, 5),
    )
    return {
        "generator": name,
        "fit_seconds": fit_seconds,
        "sample_seconds": sample_seconds,
        "check_seconds": check_seconds,
        "check_over_sample_percent": 100.0 * check_seconds / sample_seconds,
        "well_formed_share": float(batch.well_formed.mean()),
        "tokens": batch.tokens is not None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--train", type=int, default=300, help="training cells for arch_vq (test-sized)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/plugin_output_checks.json"))
    args = parser.parse_args()
    os.environ.setdefault("ARCHGEN_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    runtime = Runtime.resolve("cpu", args.threads, "fp32")

    space = archgen.load("space", SPACE)
    train = space.sample(args.train, seed=0)
    rows = [measure(name, space, train, args.n, args.repeats, runtime) for name in GENERATORS]
    result = {
        "benchmark": "plugin_output_checks",
        "space": space.name,
        "n": args.n,
        "repeats": args.repeats,
        "target": "check <= a few per cent of generation",
        "rows": rows,
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "precision": runtime.precision, "python": platform.python_version(), "torch": torch.__version__,
                    "numpy": np.__version__},
    }
    print(f"SampleBatch check vs generation: {args.n:,} {space.name} samples, median of {args.repeats}")
    print(f"  CPU {result['machine']['cpu']} ({os.cpu_count()} cores), torch threads {torch.get_num_threads()}, "
          f"precision {runtime.precision}")
    header = ("generator", "sample s", "check ms", "check / sample", "well-formed")
    print("  " + "  ".join(h.rjust(14) for h in header))
    for row in rows:
        cells = (row["generator"], f"{row['sample_seconds']:.3f}", f"{1000 * row['check_seconds']:.2f}",
                 f"{row['check_over_sample_percent']:.2f} %", f"{100 * row['well_formed_share']:.1f} %")
        print("  " + "  ".join(c.rjust(14) for c in cells))
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
