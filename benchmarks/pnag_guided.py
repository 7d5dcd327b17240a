"""PNAG conditional generation on NB201: guided vs unguided samples, and ``pnag_guided`` in the search table.

1. One PNAG is trained on all 15,625 NB201 cells by the ``pnag_guided`` searcher with its default
   options (docs/pnag.md's short CPU run); the searcher keeps it for its trials.
2. Guided vs unguided (same model, same N, same sampling seeds): N samples unguided, and N with
   ``guidance`` (a predictor fitted on ``--labels`` uniform cells labelled with the 200-epoch
   cifar10-valid validation accuracy, ``candidates`` draws per sample, target ``maximize``, and
   one ``minimize`` row). Reported: the CIFAR-10 200-epoch test accuracy of the top-10 distinct
   generated cells, the best one, and the mean over all valid samples.
3. ``pnag_guided`` trials with the search table's settings (CIFAR-10: signal
   cifar10-valid/valid@200; CIFAR-100 and ImageNet16-120: their 12-epoch validation accuracy;
   reported: the 200-epoch test accuracy; budget 400, checkpoints 50/100/200/400), through
   ``archgen.pipeline.search_command.run_trial`` as ``archgen search`` runs them, with the same PNAG.

Prints both tables and writes ``benchmarks/results/pnag_guided.json``.

    python benchmarks/pnag_guided.py [--samples 1000] [--seeds 3] [--trials 10] [--datasets cifar10,cifar100,imagenet16-120]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

import archgen
from archgen.atomic import write_json
from archgen.data_files import shared_data_path
from archgen.pipeline.search_command import best_after, run_trial
from archgen.plugins.searchers.pnag_guided import DEFAULT_PNAG

SIGNAL, REPORT = "cifar10-valid/valid@200", "cifar10/test@200"
CHECKPOINTS = (50, 100, 200, 400)
#: dataset -> (signal, report): the search tables' (docs/search.md; benchmarks/search_nb201.py).
EXPERIMENTS = {
    "cifar10": ("cifar10-valid/valid@200", "cifar10/test@200"),
    "cifar100": ("cifar100/valid@12", "cifar100/test@200"),
    "imagenet16-120": ("imagenet16-120/valid@12", "imagenet16-120/test@200"),
}


def figures(space, batch, test, predicted=None) -> dict[str, float]:
    """Top-10 and mean test accuracy of a batch's distinct valid members."""
    archs = [a for a in batch.architectures(space) if a is not None and space.is_valid(a)]
    values = {}
    for arch in archs:
        values.setdefault(space.canonical_key(arch), (arch, test.query(arch)))
    top = np.sort(np.array([v for _, v in values.values()]))[::-1][:10]
    if not len(top):
        return {"valid": 0, "distinct": 0, "mean_all": math.nan, "top10_mean": math.nan, "top1": math.nan}
    return {
        "valid": len(archs), "distinct": len(values),
        "mean_all": float(np.mean([test.query(a) for a in archs])),
        "top10_mean": float(top.mean()), "top1": float(top[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--candidates", default="4,16")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--datasets", default="cifar10", help=f"comma-separated, of {sorted(EXPERIMENTS)}")
    parser.add_argument("--search-options", default='{"batch": 20}', help="JSON options of pnag_guided")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/pnag_guided.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = shared_data_path("nasbench201")
    if data is None:
        raise SystemExit("../shared/data/nasbench201 not found (set ARCHGEN_SHARED_DATA)")
    space = archgen.load("space", "nb201", benchmark=str(data / "nb201_accuracies.csv.gz"),
                         extra_benchmarks=[str(data / "nb201_cifar10valid_val200.csv.gz")])
    test = space.oracle(REPORT)
    options = json.loads(args.search_options)
    searcher = archgen.load("searcher", "pnag_guided", **options)
    started = time.perf_counter()
    generator, described = searcher.generator(space, seed=0)
    train_seconds = time.perf_counter() - started
    print(f"{described}: {train_seconds:.0f} s", flush=True)
    result: dict = {"pnag": DEFAULT_PNAG, "train_seconds": train_seconds, "samples": args.samples, "labels": args.labels,
                    "signal": SIGNAL, "report": REPORT, "rows": {}}
    predictor = {"name": "gin", "options": {"epochs": 50}}
    rows = [("unguided", None)]
    rows += [(f"guided, {c} candidates, maximize", {"candidates": int(c), "target": "maximize"}) for c in args.candidates.split(",")]
    rows += [(f"guided, {args.candidates.split(',')[-1]} candidates, minimize",
              {"candidates": int(args.candidates.split(",")[-1]), "target": "minimize"})]
    rows = rows if args.seeds else []  # --seeds 0: the search only
    print(f"NB201, {args.samples} samples x {args.seeds} seeds; {REPORT} of the generated cells "
          f"(guidance: gin fitted on {args.labels} uniform cells' {SIGNAL})")
    print("| sampling | top-10 mean | top-1 | mean of all valid | distinct | s per draw |")
    print("|---|---|---|---|---|---|")
    for label, guidance in rows:
        per_seed = []
        for seed in range(args.seeds):
            sampling = {} if guidance is None else {"guidance": {"predictor": predictor, "metric": SIGNAL, "labels": args.labels,
                                                                  "label_seed": seed, **guidance}}
            started = time.perf_counter()
            batch = generator.sample(space, args.samples, seed=seed, **sampling)
            per_seed.append({**figures(space, batch, test), "seconds": time.perf_counter() - started})
        summary = {key: [float(np.mean([s[key] for s in per_seed])), float(np.std([s[key] for s in per_seed]))]
                   for key in per_seed[0]}
        result["rows"][label] = {"per_seed": per_seed, "mean_std": summary}
        print(f"| {label} | {summary['top10_mean'][0]:.2f} ± {summary['top10_mean'][1]:.2f} | "
              f"{summary['top1'][0]:.2f} ± {summary['top1'][1]:.2f} | {summary['mean_all'][0]:.2f} ± {summary['mean_all'][1]:.2f} | "
              f"{summary['distinct'][0]:.0f} | {summary['seconds'][0]:.1f} |", flush=True)
        write_json(args.output, result)

    lines = []
    for dataset in (args.datasets.split(",") if args.trials else []):
        signal_name, report_name = EXPERIMENTS[dataset]
        signal, report = space.oracle(signal_name), space.oracle(report_name)
        trials = []
        for seed in range(args.trials):
            record = run_trial(searcher, space, signal, report, budget=args.budget, seed=seed, name="pnag_guided")
            trials.append({"seed": seed, "seconds": record["seconds"], "evaluated": record["evaluated"],
                           "at": {str(c): best_after(record, c) for c in CHECKPOINTS}, "stats": record["searcher_stats"]})
            result.setdefault("search", {})[dataset] = {"options": options, "signal": signal_name, "report": report_name,
                                                        "budget": args.budget, "trials": trials}
            write_json(args.output, result)
            print(f"{dataset} trial {seed}: " + ", ".join(f"@{c} {trials[-1]['at'][str(c)]:.2f}" for c in CHECKPOINTS)
                  + f" ({record['seconds']:.0f} s)", flush=True)
        at = {str(c): [float(np.mean([t["at"][str(c)] for t in trials])), float(np.std([t["at"][str(c)] for t in trials]))]
              for c in CHECKPOINTS}
        result["search"][dataset]["at"] = at
        write_json(args.output, result)
        lines.append(f"| {dataset} | pnag_guided ({len(trials)} trials) | "
                     + " | ".join(f"{m:.2f} ± {s:.2f}" if not math.isnan(m) else "" for m, s in at.values()) + " |")
    if lines:
        print("| dataset | searcher | " + " | ".join(f"@{c}" for c in CHECKPOINTS) + " |")
        print("|---|---|" + "---|" * len(CHECKPOINTS))
        print("\n".join(lines))


if __name__ == "__main__":
    main()
