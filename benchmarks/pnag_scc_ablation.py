"""PNAG's SCC ablation on NB201 (pnag.md, "Ablation Study"): constrain 0, some or all intermediate steps.

Each setting trains a fresh ``pnag`` on the same 90/10 split of NB201's 15,625 cells with the same
seed and the same (short, CPU-sized) budget, then draws samples and scores them under both
protocols of ``archgen.metrics.evaluate_samples`` (the pipeline's own metrics). Reported per
setting: held-out reconstruction, the per-scale deviation ``||e - ê_t||²`` over the training split,
and validity / uniqueness / novelty (paper and strict protocols).

Usage::

    python benchmarks/pnag_scc_ablation.py [--steps 0,2,all] [--seeds 0] [--vae-epochs 20] [--transformer-epochs 6] [--n 1000]

Each seed draws its own split and trains every setting on it, so rows of one seed differ only in
``scc_steps``; with several seeds the table adds mean ± std per setting. Prints a table and writes
``benchmarks/results/pnag_scc_ablation.json`` (after every trained setting, so a long run that is
stopped keeps what it finished). One torch thread.
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
from archgen.metrics import GenerationReference, evaluate_samples
from archgen.pipeline.report import mean_std

RESULTS = Path(__file__).resolve().parent / "results" / "pnag_scc_ablation.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="0,2,all", help="scc_steps settings, comma-separated (default 0,2,all)")
    parser.add_argument("--vae-epochs", type=int, default=20)
    parser.add_argument("--transformer-epochs", type=int, default=6)
    parser.add_argument("--vae-lr", type=float, default=1e-3, help="1e-3 with batch 64: the short budget's setting")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n", type=int, default=1000, help="samples per setting")
    parser.add_argument("--seeds", default="0", help="seeds, comma-separated; each its own split and training (default 0)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    space = archgen.load("space", "nb201")
    archs = list(space.enumerate())
    seeds = [int(seed) for seed in args.seeds.split(",")]
    settings = [setting if setting == "all" else int(setting) for setting in args.steps.split(",")]

    rows = []
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(archs))
        cut = int(round(0.9 * len(archs)))
        train, heldout = [archs[i] for i in order[:cut]], [archs[i] for i in order[cut:]]
        reference = GenerationReference.build(space, train, heldout)
        for steps in settings:
            options = {"scc_steps": steps, "vae_epochs": args.vae_epochs,
                       "transformer_epochs": args.transformer_epochs, "vae_lr": args.vae_lr,
                       "batch_size": args.batch_size}
            generator = archgen.load("generator", "pnag", **options)
            started = time.perf_counter()
            stats = generator.fit(space, train, seed=seed)
            seconds = time.perf_counter() - started
            batch = generator.sample(space, args.n, seed=seed)
            rows.append({
                "seed": seed, "scc_steps": steps, "options": options, "fit_seconds": seconds,
                "heldout_reconstruction": generator.reconstruction_accuracy(space, heldout),
                "scale_deviations": stats["scale_deviations"],
                "metrics": evaluate_samples(space, batch, reference),
            })
            print(f"seed {seed}, scc_steps={steps}: done in {seconds:.0f}s", flush=True)
            write_json(args.out, {"benchmark": "pnag_scc_ablation", "space": "nb201", "seeds": seeds, "n": args.n,
                                  "vae_epochs": args.vae_epochs, "transformer_epochs": args.transformer_epochs,
                                  "rows": rows})

    print(f"NB201, 90/10 split per seed, {args.vae_epochs} VAE + {args.transformer_epochs} transformer epochs, "
          f"{args.n} samples, load average {os.getloadavg()[0]:.2f}")
    print(f"{'seed':>5} {'scc_steps':>9} {'recon':>6} {'dev. first/last':>16} | {'paper V / U / N':>22} | "
          f"{'strict V / U / N':>22}")
    for row in rows:
        paper, strict = row["metrics"]["paper"], row["metrics"]["strict"]
        first, last = row["scale_deviations"][0], row["scale_deviations"][-1]
        print(f"{row['seed']:>5} {row['scc_steps']!s:>9} {row['heldout_reconstruction']:>6.2f} "
              f"{first:>7.4f}/{last:<8.4f} | "
              f"{paper['validity']:>6.2f} {paper['uniqueness']:>6.2f} {paper['novelty']:>6.2f}   | "
              f"{strict['validity']:>6.2f} {strict['uniqueness']:>6.2f} {strict['novelty']:>6.2f}")
    if len(seeds) > 1:
        print(f"mean ± std over seeds {args.seeds}:")
        for steps in settings:
            mine = [row for row in rows if row["scc_steps"] == steps]
            cells = [_mean_std([row["heldout_reconstruction"] for row in mine])]
            for protocol in ("paper", "strict"):
                for metric in ("validity", "uniqueness", "novelty"):
                    cells.append(_mean_std([row["metrics"][protocol][metric] for row in mine]))
            print(f"{steps!s:>15} recon {cells[0]} | paper {' / '.join(cells[1:4])} | strict {' / '.join(cells[4:])}")
    print(f"wrote {args.out}")


def _mean_std(values: list[float]) -> str:
    # archgen's reports' convention: the sample standard deviation (ddof = 1).
    summary = mean_std(values)
    return f"{summary['mean']:.2f} ± {summary['std']:.2f}"


if __name__ == "__main__":
    main()
