"""Times unique DARTS sampling: the vectorised path against a plain Python loop with a set.

arch2vec pre-trains on 600,000 unique DARTS cells, so that is the default
size. Both paths draw uniform genotypes and keep the first of each canonical
class (the two inputs of a node unordered) until ``n`` remain:

* ``vectorised``: ``integer_codes.sample_unique`` (numpy draws, integer
  codes, ``np.unique``, top-up);
* ``python loop``: ``random.Random``, one genotype at a time, canonical
  tuples in a ``set``;
* ``sample() -> Architecture``: the space's full ``sample``, which also
  builds the 22-node ``Architecture`` objects (the cost users see).

Usage::

    python benchmarks/darts_sampling.py [--n 600000] [--loop-n 600000] [--seed 0]

Prints a table and writes ``benchmarks/results/darts_sampling.json``.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path

import numpy as np

from archgen.atomic import write_json
from archgen.spaces.darts import integer_codes
from archgen.spaces.darts.genotype import OPERATIONS, STEPS
from archgen.spaces.darts.space import DartsSpace

RESULTS = Path(__file__).resolve().parent / "results" / "darts_sampling.json"


def python_loop_unique(n: int, seed: int) -> list[tuple]:
    """The baseline: draw genotypes one by one, dedup canonical tuples with a set."""
    rng = random.Random(seed)
    seen: set[tuple] = set()
    kept: list[tuple] = []
    while len(kept) < n:
        genotype = []
        for _cell in range(2):
            for step in range(STEPS):
                a, b = rng.sample(range(step + 2), 2)
                genotype.append(tuple(sorted(((a, rng.choice(OPERATIONS)), (b, rng.choice(OPERATIONS))))))
        key = tuple(genotype)
        if key not in seen:
            seen.add(key)
            kept.append(key)
    return kept


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600_000, help="unique genotypes to draw (default 600,000)")
    parser.add_argument("--loop-n", type=int, default=None, help="size for the Python loop (default: --n)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-architectures", action="store_true", help="do not time sample() -> Architecture")
    args = parser.parse_args()
    loop_n = args.loop_n or args.n

    vector_s, (inputs, ops) = timed(integer_codes.sample_unique, args.n, args.seed)
    assert len(np.unique(integer_codes.canonical_codes(inputs, ops))) == args.n
    loop_s, kept = timed(python_loop_unique, loop_n, args.seed)
    assert len(set(kept)) == loop_n
    loop_at_n = loop_s * args.n / loop_n  # linear: set inserts and draws are O(1) each

    rows = [
        ("vectorised (integer codes)", args.n, vector_s, args.n / vector_s),
        ("python loop + set", loop_n, loop_s, loop_n / loop_s),
    ]
    architecture_s = None
    if not args.skip_architectures:
        architecture_s, archs = timed(DartsSpace().sample, args.n, args.seed)
        rows.append(("sample() -> Architecture", args.n, architecture_s, args.n / architecture_s))
        del archs

    print(f"{'path':<28} {'n':>9} {'seconds':>9} {'genotypes/s':>13}")
    for name, n, seconds, rate in rows:
        print(f"{name:<28} {n:>9,} {seconds:>9.3f} {rate:>13,.0f}")
    ratio = loop_at_n / vector_s
    print(f"speed-up of the vectorised path over the Python loop at n={args.n:,}: {ratio:.1f}x"
          + ("" if loop_n == args.n else f" (loop time extrapolated linearly from n={loop_n:,})"))
    if architecture_s is not None:
        print(f"building Architecture objects: {architecture_s - vector_s:.2f}s of sample()'s {architecture_s:.2f}s")

    write_json(
        RESULTS,
        {
            "benchmark": "darts_sampling",
            "seed": args.seed,
            "n": args.n,
            "loop_n": loop_n,
            "vectorised_s": vector_s,
            "python_loop_s": loop_s,
            "python_loop_s_at_n": loop_at_n,
            "speedup": ratio,
            "sample_architectures_s": architecture_s,
            "machine": {"python": platform.python_version(), "numpy": np.__version__, "processor": platform.machine()},
        },
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
