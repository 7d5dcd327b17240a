"""Arch-VQ Table 5 on NB201: generate 10,000, rank with a predictor trained within a budget, top 1,000's test accuracy.

For each trained seed of a generator run and each dataset, the ``generate_sort``
searcher draws ``--samples`` architectures, queries ``--labels`` of them at random
for the signal (CIFAR-10: the 200-epoch cifar10-valid validation accuracy;
CIFAR-100 and ImageNet16-120: their 12-epoch validation accuracy, the only one
here for every cell), fits the predictor on them and ranks the distinct
architectures (every draw with ``--duplicates``). The top ``--top`` are looked up for the 200-epoch test accuracy:
max / mean / min per seed, then the mean over seeds, beside the oracle's own top
``--top`` (distinct cells ranked by the test accuracy itself), the pool's own top
(the ceiling of any ranking of what the generator drew) and the paper's row.
Writes ``benchmarks/results/generate_sort_nb201.json``.

    python benchmarks/generate_sort_nb201.py --run /path/to/a/copy/of/nb201-arch-vq [--labels 200] [--rounds 1] [--verify 0] [--untrusted]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

import archgen
from archgen.atomic import write_json
from archgen.data_files import shared_data_path
from archgen.oracle import BudgetedOracle
from archgen.plugins.searchers.generate_sort import top_statistics

#: (dataset, signal, report, Arch-VQ's published max / mean / min, oracle top-1,000 published).
EXPERIMENTS = (
    ("cifar10", "cifar10-valid/valid@200", "cifar10/test@200", (94.37, 92.90, 90.41), (94.37, 93.50, 93.18)),
    ("cifar100", "cifar100/valid@12", "cifar100/test@200", (73.51, 69.47, 63.82), (73.51, 70.62, 69.91)),
    ("imagenet16-120", "imagenet16-120/valid@12", "imagenet16-120/test@200", None, None),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a trained generator run directory (read only)")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=1_000)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--predictor", default="gin")
    parser.add_argument("--verify", type=int, default=0, help="queries spent on the ranking's top after the labels")
    parser.add_argument("--rounds", type=int, default=1, help="spend the labels in rounds on the predicted top (1: all at random)")
    parser.add_argument("--untrusted", action="store_true", help="rank queried members by prediction too (trust_labels=False)")
    parser.add_argument("--seeds", default="", help="comma-separated checkpoint seeds (default: all trained)")
    parser.add_argument("--duplicates", action="store_true", help="rank every draw (distinct=False), as the oracle row over all cells")
    parser.add_argument("--label-on-report", action="store_true",
                        help="label with the reported test accuracy itself (not a validation signal); labelled so in the output")
    parser.add_argument("--datasets", default="cifar10,cifar100", help="Table 5 has CIFAR-10 and CIFAR-100")
    args = parser.parse_args()
    torch.set_num_threads(1)  # OMP_NUM_THREADS is read before main() runs only when set outside
    data = shared_data_path("nasbench201")
    if data is None:
        raise SystemExit("../shared/data/nasbench201 not found (set ARCHGEN_SHARED_DATA)")
    space = archgen.load("space", "nb201", benchmark=str(data / "nb201_accuracies.csv.gz"),
                         extra_benchmarks=[str(data / "nb201_cifar10valid_val200.csv.gz")])
    trained = sorted(int(p.name[5:]) for p in (Path(args.run) / "checkpoints").glob("seed-*"))
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else trained
    results = {}
    for dataset, signal, report, paper, oracle_paper in EXPERIMENTS:
        if dataset not in args.datasets.split(","):
            continue
        report_oracle = space.oracle(report)
        signal = report if args.label_on_report else signal
        per_seed = []
        for seed in seeds:
            started = time.perf_counter()
            searcher = archgen.load("searcher", "generate_sort", generator_run=str(args.run), generator_seed=seed,
                                    samples=args.samples, top=args.top, labels=args.labels, verify=args.verify,
                                    distinct=not args.duplicates, rounds=args.rounds, trust_labels=not args.untrusted,
                                    predictor={"name": args.predictor})
            budgeted = BudgetedOracle(space.oracle(signal), space, args.labels + args.verify)
            stats = searcher.search(space, budgeted, seed=seed)
            figures = top_statistics([report_oracle.query(space.from_string(s)) for s in stats["top"]])
            ceiling = pool_ceiling(space, report_oracle, args, seed)
            per_seed.append({"seed": seed, **figures, "pool": stats["pool"], "invalid_draws": stats["invalid_draws"],
                             "labels": stats["labels"], "seconds": round(time.perf_counter() - started, 1),
                             "pool_ceiling": ceiling})
            print(dataset, per_seed[-1], flush=True)
        values = sorted((report_oracle.query(space.from_string(s)) for s in _all_cells(space)), reverse=True)
        every = sorted((report_oracle.query(arch) for arch in space.enumerate()), reverse=True)
        results[dataset] = {
            "signal": signal, "report": report, "labels": args.labels, "predictor": args.predictor,
            "rounds": args.rounds, "verify": args.verify, "trust_labels": not args.untrusted,
            "per_seed": per_seed,
            "mean": {k: round(float(np.mean([r[k] for r in per_seed])), 2) for k in ("max", "mean", "min")},
            "std": {k: round(float(np.std([r[k] for r in per_seed])), 2) for k in ("max", "mean", "min")},
            "pool_ceiling": {k: round(float(np.mean([r["pool_ceiling"][k] for r in per_seed])), 2) for k in ("max", "mean", "min")},
            "distinct": not args.duplicates,
            "oracle_top": {k: round(v, 2) for k, v in top_statistics(values[: args.top]).items()},
            "oracle_top_all_cells": {k: round(v, 2) for k, v in top_statistics(every[: args.top]).items()},
            "paper_arch_vq": paper, "paper_oracle_top": oracle_paper,
        }
        write_json(_output_path(args), results)  # each dataset as it finishes: a long run keeps what it has
    print("| dataset | | oracle top-1,000 (distinct cells) | oracle (all 15,625 cells) | oracle (paper) | the pool's own top (ceiling) | Arch-VQ + sort (here, mean ± std over seeds) | Arch-VQ (paper) |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset, entry in results.items():
        for k in ("max", "mean", "min"):
            paper = entry["paper_arch_vq"]
            oracle_paper = entry["paper_oracle_top"]
            index = ("max", "mean", "min").index(k)
            print(f"| {dataset} | {k} | {entry['oracle_top'][k]:.2f} | {entry['oracle_top_all_cells'][k]:.2f} | {oracle_paper[index] if oracle_paper else ''} | "
                  f"{entry['pool_ceiling'][k]:.2f} | "
                  f"{entry['mean'][k]:.2f} ± {entry['std'][k]:.2f} | {paper[index] if paper else ''} |")
    print(f"wrote {_output_path(args)}")


def _output_path(args: argparse.Namespace) -> Path:
    suffix = ("_duplicates" if args.duplicates else "") + ("_label_on_report" if args.label_on_report else "")
    if (args.labels, args.rounds, args.verify, args.untrusted) != (200, 1, 0, False):
        suffix += f"_labels{args.labels}_rounds{args.rounds}_verify{args.verify}" + ("_untrusted" if args.untrusted else "")
    return Path(__file__).parent / "results" / f"generate_sort_nb201{suffix}.json"


def pool_ceiling(space: object, report_oracle: object, args: argparse.Namespace, seed: int) -> dict[str, float]:
    """The best any ranking of the searcher's pool could do: its own top by the reported figure.

    The pool is drawn again exactly as the searcher drew it (same generator seed and draw seed);
    its distinct cells (every draw with ``--duplicates``) are sorted by the report metric itself.
    """
    from archgen.plugins.searchers.proposals import ProposalSource
    from archgen.registry import PluginChoice

    source = ProposalSource(PluginChoice(name="uniform"), str(args.run), seed, {}).open(space, seed=seed)
    drawn, _ = source.draw(space, args.samples, seed=seed)
    if not args.duplicates:
        drawn = list({space.canonical_key(arch): arch for arch in reversed(drawn)}.values())
    values = sorted((report_oracle.query(arch) for arch in drawn), reverse=True)
    return top_statistics(values[: args.top])


def _all_cells(space: object) -> list[str]:
    """One string per distinct (canonical) NB201 cell that the benchmark table scores."""
    seen: dict[object, str] = {}
    for arch in space.enumerate() if hasattr(space, "enumerate") else []:
        seen.setdefault(space.canonical_key(arch), space.to_string(arch))
    return list(seen.values())


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("ARCHGEN_PROGRESS", "0")
    main()
