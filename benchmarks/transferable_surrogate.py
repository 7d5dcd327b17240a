"""The ``transferable`` surrogate on NB201 tasks it never saw, and PNAG generation guided by it.

pnag.md §3: a surrogate meta-learned across tasks predicts quality on an unseen task, and only the
surrogate changes when the task does. Here the unseen tasks are:

* ``ninapro/test@200`` -- NAS-Bench-360's NinaPro (EMG gesture classification) accuracy of every
  NB201 cell; meta-trained on the nine NB201 accuracy metrics (CIFAR-10, CIFAR-100,
  ImageNet16-120 at 12 and 200 epochs). Its ranking of cells is far from CIFAR's (Kendall tau 0.19
  against cifar100/test@200).
* ``imagenet16-120/test@200`` -- meta-trained on the six CIFAR metrics only.

1. **Prediction.** For each target, ``k`` (10, 20, 50) labelled cells drawn uniformly (seed
   ``100 + s`` for s = 0..seeds-1) are all a predictor gets of the target; Kendall's tau is taken on
   2,000 other uniform cells (seed 12345). Rows: the *source proxy* (the mean z-scored source
   metrics of each cell, no target label at all: "assume the new task ranks like the old ones"),
   ``gbdt`` and ``gin`` fitted on the k labels, ``transferable`` with no sources (the same model
   trained on the k labels alone) and ``transferable`` meta-trained on the sources. "pick" is the
   target value of the cell each predictor ranks first among the 2,000 (what one evaluation would
   buy), beside the best of the 2,000.
2. **Transferable generation.** One PNAG trained on all 15,625 cells without a label (the
   ``pnag_guided`` searcher's defaults, or ``--pnag-run`` to load a trained run) draws N samples
   unguided and guided (best of 16 candidates, maximize) by: a ``gin`` fitted on 200 cells'
   cifar10-valid accuracy (the single-task surrogate of the old task), a ``gin`` fitted on the k =
   20 NinaPro labels, and ``transferable`` adapted on the same 20 labels -- choosing among
   finished draws, and (``every scale``) among 16 continuations after every scale, judged by the
   decode of their greedy completion or of their partial map. Reported: the NinaPro accuracy of
   the top-10 distinct generated cells and the mean over all valid samples, and for the
   every-scale rows the share of look-ahead decodes that were NB201 cells at each scale.

Prints both tables and writes ``benchmarks/results/transferable_surrogate.json``.

    python benchmarks/transferable_surrogate.py [--seeds 5] [--shots 10,20,50] [--samples 1000] [--generation-seeds 3]
"""

from __future__ import annotations

import argparse
import math
from functools import partial
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau

import archgen
from archgen.atomic import write_json
from archgen.data_files import shared_data_path
from archgen.pipeline.report import mean_std
from archgen.plugins.generators.pnag.guidance import every_scale_draw, guided_draw

NB201_ACCURACIES = [
    "cifar10/test@200", "cifar100/test@200", "imagenet16-120/test@200",
    "cifar10-valid/valid@12", "cifar10/test@12", "cifar100/valid@12", "cifar100/test@12",
    "imagenet16-120/valid@12", "imagenet16-120/test@12",
]
#: unseen target -> the metrics the surrogate is meta-trained on.
TARGETS = {
    "ninapro/test@200": NB201_ACCURACIES,
    "imagenet16-120/test@200": [m for m in NB201_ACCURACIES if not m.startswith("imagenet16-120")],
}
EVAL_CELLS, EVAL_SEED = 2000, 12345
OLD_TASK = "cifar10-valid/valid@200"


def load_space():
    data = shared_data_path("nasbench201")
    if data is None:
        raise SystemExit("../shared/data/nasbench201 not found (set ARCHGEN_SHARED_DATA)")
    return archgen.load("space", "nb201", benchmark=str(data / "nb201_accuracies.csv.gz"),
                        hw_benchmark=str(data / "nb201_hw360_latency_energy.csv.gz"),
                        extra_benchmarks=[str(data / "nb201_cifar10valid_val200.csv.gz")])


def labelled(space, metric, count, seed, exclude=frozenset()):
    oracle = space.oracle(metric)
    archs = [a for a in space.sample(count + len(exclude), seed=seed) if space.canonical_key(a) not in exclude][:count]
    return archs, np.array([oracle.query(a) for a in archs])


def source_proxy(space, sources, archs):
    """Mean z-score of each cell over the source metrics: a zero-shot ranking with no target label."""
    columns = []
    for metric in sources:
        values = np.array([space.oracle(metric).query(a) for a in archs])
        columns.append((values - values.mean()) / values.std())
    return np.mean(columns, axis=0)


def prediction_table(space, args, result):
    shots = [int(k) for k in args.shots.split(",")]
    print("Kendall tau on 2,000 unseen-task cells (mean ± std over seeds); pick = target value of the top-predicted cell")
    print("| target | k | predictor | tau | pick | best of the 2,000 |")
    print("|---|---|---|---|---|---|")
    for target, sources in TARGETS.items():
        eval_archs, eval_y = labelled(space, target, EVAL_CELLS, EVAL_SEED)
        keys = frozenset(space.canonical_key(a) for a in eval_archs)
        proxy = source_proxy(space, sources, eval_archs)
        rows = {("source proxy", 0): [{"tau": kendalltau(proxy, eval_y)[0], "pick": eval_y[np.argmax(proxy)]}]}
        meta = {seed: archgen.load("predictor", "transferable", sources=sources) for seed in range(args.seeds)}
        for k in shots:
            for seed in range(args.seeds):
                archs, y = labelled(space, target, k, 100 + seed, exclude=keys)
                predictors = {
                    "gbdt": archgen.load("predictor", "gbdt"),
                    "gin": archgen.load("predictor", "gin"),
                    "transferable, no sources": archgen.load("predictor", "transferable"),
                    "transferable, meta-trained": meta[seed],  # meta-trains at its first k, reuses after
                }
                for name, predictor in predictors.items():
                    started = time.perf_counter()
                    stats = predictor.fit(space, archs, y, seed=seed)
                    predicted = predictor.predict(space, eval_archs)
                    rows.setdefault((name, k), []).append({
                        "tau": float(kendalltau(predicted, eval_y)[0]), "pick": float(eval_y[np.argmax(predicted)]),
                        "seconds": time.perf_counter() - started,
                        "meta_steps": stats.get("meta_steps", 0) if isinstance(stats, dict) else 0,
                    })
        result["prediction"][target] = {"sources": sources, "best": float(eval_y.max()), "rows": {
            f"{name} @ k={k}": runs for (name, k), runs in rows.items()}}
        write_json(args.output, result)
        for (name, k), runs in rows.items():
            tau, pick = mean_std([r["tau"] for r in runs]), mean_std([r["pick"] for r in runs])
            print(f"| {target} | {k or '-'} | {name} | {tau['mean']:.3f} ± {tau['std']:.3f} | "
                  f"{pick['mean']:.2f} ± {pick['std']:.2f} "
                  f"| {eval_y.max():.2f} |", flush=True)


def generation_table(space, args, result):
    target = "ninapro/test@200"
    report = space.oracle(target)
    options = {"generator_run": args.pnag_run} if args.pnag_run else {}
    generator, described = archgen.load("searcher", "pnag_guided", **options).generator(space, seed=0)
    print(f"{described}; NinaPro accuracy of {args.samples} generated cells (mean ± std over {args.generation_seeds} seeds)")
    print("| sampling | top-10 mean | top-1 | mean of all valid | distinct |")
    print("|---|---|---|---|---|")
    rows = [
        ("unguided", None, None),
        (f"gin on 200 {OLD_TASK} labels (old task)", "old gin", guided_draw),
        ("gin on 20 NinaPro labels", "gin", guided_draw),
        ("transferable on 20 NinaPro labels", "transferable", guided_draw),
        ("gin on 20 NinaPro labels, every scale (completion)", "gin", every_scale_draw),
        ("transferable on 20 NinaPro labels, every scale (partial map)", "transferable", partial(every_scale_draw, lookahead="partial")),
        ("transferable on 20 NinaPro labels, every scale (completion)", "transferable", every_scale_draw),
    ]
    fitted = {}  # (surrogate, seed) -> predictor: the final-scale and every-scale rows share each fit
    for label, surrogate, draw in rows:
        per_seed = []
        for seed in range(args.generation_seeds):
            members = None
            if surrogate is None:
                batch = generator.sample(space, args.samples, seed=seed)
            else:
                if (surrogate, seed) not in fitted:
                    if surrogate == "old gin":
                        archs, y = labelled(space, OLD_TASK, 200, 100 + seed)
                        predictor = archgen.load("predictor", "gin", epochs=50)
                    else:
                        archs, y = labelled(space, target, 20, 100 + seed)
                        predictor = (archgen.load("predictor", "transferable", sources=TARGETS[target])
                                     if surrogate == "transferable" else archgen.load("predictor", "gin"))
                    predictor.fit(space, archs, y, seed=seed)
                    fitted[surrogate, seed] = predictor
                predictor = fitted[surrogate, seed]
                drawn = draw(generator, space, args.samples, seed=seed, predictor=predictor, candidates=16, target="maximize")
                batch, members = drawn.batch, drawn.scale_members
            valid = [a for a in batch.architectures(space) if a is not None and space.is_valid(a)]
            distinct = {space.canonical_key(a): report.query(a) for a in valid}
            top = np.sort(np.array(list(distinct.values())))[::-1][:10]
            per_seed.append({"top10_mean": float(top.mean()) if len(top) else math.nan,
                             "top1": float(top[0]) if len(top) else math.nan,
                             "mean_all": float(np.mean([report.query(a) for a in valid])) if valid else math.nan,
                             "distinct": len(distinct)})
            if members is not None:  # every-scale rows: how many look-ahead decodes each scale could score
                per_seed[-1]["scale_members"] = list(members)
        result["generation"][label] = per_seed
        write_json(args.output, result)
        summary = {key: mean_std([s[key] for s in per_seed]) for key in per_seed[0] if key != "scale_members"}
        print(f"| {label} | " + " | ".join(f"{summary[key]['mean']:.2f} ± {summary[key]['std']:.2f}"
                                           for key in ("top10_mean", "top1", "mean_all"))
              + f" | {summary['distinct']['mean']:.0f} |", flush=True)
        if "scale_members" in per_seed[0]:
            fractions = np.mean([s["scale_members"] for s in per_seed], axis=0)
            print("  look-ahead decodes that are members, by scale: " + ", ".join(f"{100 * f:.1f} %" for f in fractions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--shots", default="10,20,50")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--generation-seeds", type=int, default=3, help="0 skips the generation table")
    parser.add_argument("--pnag-run", default=None, help="a trained pnag run directory to load instead of training one")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/transferable_surrogate.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    space = load_space()
    result: dict = {"eval_cells": EVAL_CELLS, "eval_seed": EVAL_SEED, "prediction": {}, "generation": {}}
    if args.seeds:
        prediction_table(space, args, result)
    if args.generation_seeds:
        generation_table(space, args, result)


if __name__ == "__main__":
    main()
