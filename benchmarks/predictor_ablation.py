"""What each ingredient of ``examples/predict/nb201.toml``'s predictor adds at small N (issue 29).

The profile is ``gin`` 128 wide with ``canonical_inputs`` (each cell featurized as the representative
of its network, one of NAS-Bench-201's 6,466), ``rank_weight = 2`` (the pairwise ranking loss beside
the MSE), ``ensemble = 5``, 100 epochs, and the encoder pre-trained on the unlabelled networks
(``pretrain``: masked ops, 50 epochs). Each row takes one ingredient out (or adds one) and runs ``archgen
predict``'s pipeline on the profile's own space, labels and TNASP protocol (N random cells, Kendall τ
on all the rest), with the same trial seeds for every row:

* ``profile``: the file as it is;
* ``64 wide``: ``gin``'s default width (the profile before the width changed);
* ``with self-training``: one round of 1,000 pseudo-labels weighted 0.5, 30 student epochs;
* ``contrastive pre-training``: the encoders pre-trained by telling two masked written forms of a
  network from the batch's other networks (``pretrain.objective = "contrastive"``, 50 epochs)
  instead of by naming masked ops;
* ``without pre-training``: encoders start from random weights;
* ``ensemble 3``: three members;
* ``ensemble 3, without pre-training``: both (the profile before pre-training was built);
* ``without canonical_inputs``: cells featurized as written;
* ``rank_weight 0.5``: the regressors' default ranking weight;
* ``ensemble 1``: one member;
* ``plain gin``: ``gin``'s default options (200 epochs, ``rank_weight = 0.5``, one member, cells as
  written, no pre-training).

The pre-training is cached (once per space and options), so its one-off cost falls in the first
trial's fit only; the fit seconds of the other trials are the fine-tuning alone.

It prints a table (τ mean ± std and fit seconds per trial at each N) and writes
``benchmarks/results/predictor_ablation.json``. The fit time is the wall time of ``fit`` on this
process's one torch thread.

    python benchmarks/predictor_ablation.py [--sizes 78,156,469] [--trials 5] [--seed 200]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from archgen.atomic import write_json
from archgen.config import load_config
from archgen.device import cpu_model
from archgen.overrides import with_overrides
from archgen.pipeline import commands
from archgen.registry import PluginChoice

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "predict" / "nb201.toml"

#: row name -> changes to the profile's predictor options (``None``: the predictor's defaults).
VARIANTS: dict[str, dict[str, Any] | None] = {
    "profile": {},
    "64 wide": {"hidden_dims": [64, 64, 64], "embedding_dim": 64, "head_hidden": 64},
    "with self-training": {"self_training": {"rounds": 1, "pseudo_labels": 1000, "weight": 0.5, "epochs": 30}},
    "contrastive pre-training": {"pretrain": {"objective": "contrastive", "epochs": 50}},
    "without pre-training": {"pretrain": {"objective": "off"}},
    "ensemble 3": {"ensemble": 3},
    "ensemble 3, without pre-training": {"ensemble": 3, "pretrain": {"objective": "off"}},
    "without canonical_inputs": {"canonical_inputs": False},
    "rank_weight 0.5": {"rank_weight": 0.5},
    "ensemble 1": {"ensemble": 1},
    "plain gin": None,
}


def run_variant(config, variant: str, sizes: list[int], trials: int, seed: int, runs: Path) -> list[dict[str, Any]]:
    """The ``[predict]`` points of one row (``archgen predict``'s result, one per N)."""
    changes = VARIANTS[variant]
    predictor = config.predictor
    options = {} if changes is None else {**predictor.options, **changes}
    config = config.model_copy(update={"predictor": PluginChoice(name=predictor.name, options=options)})
    config = with_overrides(config, run={"seed": seed}, predict={"train_sizes": sizes, "trials": trials})
    return commands.predict(config, run_dir=runs / variant.replace(" ", "-"))["points"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", type=Path, default=PROFILE, help="an archgen predict configuration")
    parser.add_argument("--sizes", default="78,156,469", help="labelled cells per experiment (default: %(default)s)")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=200, help="trial k uses seed S + k (default: %(default)s, not a tuning seed)")
    parser.add_argument("--variants", default=";".join(VARIANTS), help="rows separated by ';' (default: all)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "predictor_ablation.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sizes = [int(n) for n in args.sizes.split(",")]
    chosen = args.variants.split(";")
    for variant in chosen:
        if variant not in VARIANTS:
            parser.error(f"unknown variant {variant!r}; choose from: {'; '.join(VARIANTS)}")
    config = load_config(args.profile)
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        for variant in chosen:
            started = time.perf_counter()
            rows[variant] = run_variant(config, variant, sizes, args.trials, args.seed, Path(scratch))
            print(f"{variant}: {time.perf_counter() - started:.0f} s", flush=True)
    header = "| variant | " + " | ".join(f"τ N={n} | fit s" for n in sizes) + " |"
    lines = [header, "|" + "---|" * (1 + 2 * len(sizes))]
    for variant, points in rows.items():
        cells = []
        for point in points:
            tau, fit = point["kendall_tau"], point["fit_seconds"]
            cells += [f"{tau['mean']:.3f} ± {tau['std']:.3f}", f"{fit['mean']:.1f}"]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    machine = f"{cpu_model()}, fp32, 1 torch thread, python {platform.python_version()}, torch {torch.__version__}"
    print(f"\n{args.profile.relative_to(ROOT) if args.profile.is_relative_to(ROOT) else args.profile}: "
          f"{args.trials} trials, seeds {args.seed}..{args.seed + args.trials - 1}; {machine}\n")
    print(table)
    write_json(args.output, {
        "profile": str(args.profile), "sizes": sizes, "trials": args.trials, "seed": args.seed, "machine": machine,
        "rows": {variant: [{key: point[key] for key in ("n", "kendall_tau", "spearman", "fit_seconds")} for point in points]
                 for variant, points in rows.items()},
    })
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
