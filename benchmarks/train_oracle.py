"""The training oracle on a CPU: one ``archgen search`` run serially, on Ray with 1 worker and with 2, timed.

For each space (``nb201``, ``mbv3``) and searcher (``random``, ``evolution``) the same search
-- signal ``valid``, report ``test``, ``--budget`` networks (16) in one trial, seed 0 -- runs
three times, each an ``archgen search --config <toml> --run-dir <folder>`` subprocess with its
own fresh result store (nothing is reused: every run trains every network it queries):

* ``serial``: executor ``"serial"``, every network trained in the search's own process;
* ``ray x1``: executor ``"ray"``, ``workers = 1`` (a local Ray with 1 CPU): Ray's overhead alone;
* ``ray x2``: executor ``"ray"``, ``workers = 2`` (a local Ray with 2 CPUs): two trainings at once.

The networks train on scikit-learn's digits (offline) with the recipe epochs 1, batch 64 (MBV3: 16), lr 0.05,
one torch thread per training (the oracle's ``threads = 1`` and ``OMP_NUM_THREADS=1``), fp32:

* ``nb201``: the benchmark's network (C = 16, N = 5) on 8x8 images (about 5 s a network here);
* ``mbv3``: the space's default network (width 1.2) on 32x32 images (its five downsamplings need 32).

``random`` prefetches its whole budget as one batch; ``evolution`` (population 8, sample size 3,
as ``examples/train/nb201-digits.toml``) batches only its first population and then trains one
mutant at a time, so Ray can overlap at most 8 of its 16 trainings.

Each wall time is the whole command (Python's start, imports, the dataset, Ray's start and
shutdown, the search, the report); Ray's fixed cost is printed on its own row, a bare
``ray.init(num_cpus=2); ray.shutdown()`` timed in a fresh process. The three runs' trial files must
hold identical ``queries`` lists (training is deterministic at a fixed thread count); the script
says where they differ and exits 1 if any do. A second table gives each run's store counts
(results, completed, interrupted, retrained) and the training seconds the store recorded.

Usage::

    python benchmarks/train_oracle.py [--budget 16] [--spaces nb201,mbv3] [--searchers random,evolution]
    python benchmarks/train_oracle.py --quick     # budget 4: a smoke run of every comparison

Prints the tables and writes ``benchmarks/results/train_oracle.json`` (``train_oracle_quick.json``
with ``--quick``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from train_oracle_runs import RESULTS, Mode, Setup, add_run_arguments, budget_of, chosen_spaces, run_benchmark

#: What each space trains on, on a CPU.
SETUPS = {
    "nb201": Setup("nb201", "digits", {"image_size": 8}),
    # examples/train/mbv3-digits.toml's recipe: at batch 64 one epoch leaves MobileNetV3 at chance (9.7 %).
    "mbv3": Setup("mbv3", "digits", {"image_size": 32}, recipe={"batch_size": 16}),
}
MODES = [Mode("serial", "serial"), Mode("ray x1", "ray", workers=1), Mode("ray x2", "ray", workers=2)]
THREADS = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(parser, list(SETUPS))
    args = parser.parse_args()
    spaces = chosen_spaces(parser, args, list(SETUPS))
    run_benchmark([SETUPS[space] for space in spaces], args.searchers.split(","), MODES, budget=budget_of(args),
                  trials=args.trials,
                  seed=args.seed, device="cpu", threads=THREADS, timeout=args.timeout, work_dir=args.work_dir,
                  out=RESULTS / ("train_oracle_quick.json" if args.quick else "train_oracle.json"))


if __name__ == "__main__":
    os.environ["OMP_NUM_THREADS"] = str(THREADS)
    main()
