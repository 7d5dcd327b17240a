"""The training oracle on a GPU: one ``archgen search`` trained serially on CUDA, and on Ray workers sharing the GPU.

``benchmarks/train_oracle.py``'s comparison made on a CUDA machine. For each space (``nb201``,
``mbv3``) and searcher (``random``, ``evolution``) the same search -- signal ``valid``, report
``test``, ``--budget`` networks (16) in one trial, seed 0 -- runs three times, each an
``archgen search --config <toml> --run-dir <folder>`` subprocess with its own fresh result store
(nothing is reused), every network trained with ``device = "cuda"``:

* ``serial``: executor ``"serial"``, every network trained on the GPU by the search's own process;
* ``ray x1``: executor ``"ray"``, ``workers = 1``, ``gpus_per_trial = --gpus-per-trial`` (0.5): Ray's overhead alone;
* ``ray xN``: executor ``"ray"``, ``workers = --workers`` (2) with the same ``gpus_per_trial``: with
  0.5, two trainings share one GPU (Ray runs at most ``GPUs / gpus_per_trial`` at once).

The data: scikit-learn's digits at 32x32 (``--image-size``; offline, and both spaces' networks
take 32 px), or ``--dataset cifar10 --root PATH`` (``cifar100`` likewise) where the CIFAR folder is
on the machine. The recipe is epochs 1, batch 64, lr 0.05, fp32; the oracle's ``threads = 1`` and
``OMP_NUM_THREADS=1`` fix the CPU side. The trainer turns on cuDNN's deterministic kernels, so the
three runs' ``queries`` lists should be identical; the script says where they differ and exits 1
if any do.

Wall times are the whole command (Python's start, CUDA's initialisation in every training process,
Ray's start and shutdown); Ray's fixed cost is printed on its own row (a bare ``ray.init();
ray.shutdown()`` in a fresh process). A second table gives each run's store counts (results,
completed, interrupted, retrained) and the training seconds the store recorded.

Without a visible CUDA device the script stops at once with one line and exit status 2.

Usage (on a machine with a CUDA GPU)::

    python benchmarks/gpu_train_oracle.py [--budget 16] [--gpus-per-trial 0.5] [--workers 2]
    python benchmarks/gpu_train_oracle.py --dataset cifar10 --root /data/cifar
    python benchmarks/gpu_train_oracle.py --quick     # budget 4: a smoke run

Prints the tables and writes ``benchmarks/results/gpu_train_oracle.json`` (``gpu_train_oracle_quick.json``
with ``--quick``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from train_oracle_runs import RESULTS, Mode, Setup, add_run_arguments, budget_of, chosen_spaces, run_benchmark

SPACES = ("nb201", "mbv3")
DATASETS = ("digits", "cifar10", "cifar100")
THREADS = 1


def cuda_devices() -> int:
    """How many CUDA devices this process sees (0 without CUDA or torch's CUDA build)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def dataset_options(dataset: str, root: Path | None, image_size: int) -> dict[str, Any]:
    """The dataset plugin's options: ``image_size`` for digits, ``root`` for CIFAR."""
    if dataset == "digits":
        return {"image_size": image_size}
    assert root is not None
    return {"root": root.resolve()}


def modes(workers: int, gpus_per_trial: float, cpus_per_trial: float) -> list[Mode]:
    """Serial on CUDA, Ray with one worker, Ray with ``workers``, each Ray training reserving ``gpus_per_trial``."""
    return [
        Mode("serial", "serial"),
        Mode("ray x1", "ray", workers=1, cpus_per_trial=cpus_per_trial, gpus_per_trial=gpus_per_trial),
        Mode(f"ray x{workers}", "ray", workers=workers, cpus_per_trial=cpus_per_trial, gpus_per_trial=gpus_per_trial),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(parser, list(SPACES))
    parser.add_argument("--dataset", choices=DATASETS, default="digits", help="digits (offline) or a CIFAR folder")
    parser.add_argument("--root", type=Path, help="the CIFAR folder (with --dataset cifar10 / cifar100)")
    parser.add_argument("--image-size", type=int, default=32, help="digits: side of the images (32)")
    parser.add_argument("--workers", type=int, default=2, help="Ray trainings in flight at once in the last mode (2)")
    parser.add_argument("--gpus-per-trial", type=float, default=0.5, help="GPU share each Ray training reserves (0.5)")
    parser.add_argument("--cpus-per-trial", type=float, default=1.0, help="CPUs each Ray training reserves (1)")
    args = parser.parse_args()
    spaces = chosen_spaces(parser, args, list(SPACES))
    if args.dataset != "digits" and args.root is None:
        parser.error(f"--dataset {args.dataset} needs --root, the folder holding the CIFAR batches")
    if args.workers < 2:
        parser.error(f"--workers must be at least 2 (got {args.workers}): the last mode runs trainings side by side")
    if args.gpus_per_trial <= 0:
        parser.error(f"--gpus-per-trial must be above 0 (got {args.gpus_per_trial}): each Ray training needs a GPU share")
    gpus = cuda_devices()
    if gpus == 0:
        print("gpu_train_oracle.py: no CUDA device is visible (torch.cuda.is_available() is False); "
              "run it on a machine with an NVIDIA GPU, or benchmarks/train_oracle.py on a CPU", file=sys.stderr)
        raise SystemExit(2)
    if args.workers * args.gpus_per_trial > gpus:
        print(f"note: {args.workers} workers x {args.gpus_per_trial} GPU > {gpus} visible GPU(s): Ray runs at most "
              f"{int(gpus // args.gpus_per_trial)} trainings at once", file=sys.stderr)
    options = dataset_options(args.dataset, args.root, args.image_size)
    run_benchmark([Setup(space, args.dataset, options) for space in spaces], args.searchers.split(","),
                  modes(args.workers, args.gpus_per_trial, args.cpus_per_trial),
                  budget=budget_of(args), trials=args.trials,
                  seed=args.seed, device="cuda", threads=THREADS, timeout=args.timeout, work_dir=args.work_dir,
                  out=RESULTS / ("gpu_train_oracle_quick.json" if args.quick else "gpu_train_oracle.json"),
                  extra={"visible_gpus": gpus, "dataset": args.dataset})


if __name__ == "__main__":
    os.environ["OMP_NUM_THREADS"] = str(THREADS)
    main()
