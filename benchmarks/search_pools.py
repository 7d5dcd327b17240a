"""Search on labelled pools: NB101's 292 labelled cells and AutoFormer's 200 Auto-Prox subnets.

``[search] pool = "labelled"`` restricts a space to the architectures its
oracle tables label (:class:`archgen.pipeline.search.LabelledPool`): these are
NOT searches of the full NB101 (423,624 cells) or AutoFormer-T (10^9 subnets)
spaces. NB101 searches NASLib's 108-epoch validation accuracy (the only
accuracy of ``nb101_zc_naslib_500.csv.gz``: signal = reported figure);
AutoFormer the supernet ImageNet top-1 of Auto-Prox's table, without and with
a FLOPs limit counted by the release's ``get_complexity`` (``flops_release``).
Prints each table and writes ``benchmarks/results/search_pools.json``.

    python benchmarks/search_pools.py [--runs-dir runs] [--trials 10] [--searchers random,evolution]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from archgen.config import load_config
from archgen.pipeline.commands import search
from archgen.pipeline.search import experiment_name, search_table
from archgen.testing.search_space import shared_data_path
from archgen.atomic import write_json

#: (name, space, benchmark file under shared data, report, budget, checkpoints, constraint TOML or "").
EXPERIMENTS = (
    ("nb101", "nb101", ("nasbench101", "nb101_zc_naslib_500.csv.gz"), "val_accuracy", 200, [10, 25, 50, 100, 200], ""),
    ("autoformer", "autoformer", ("autoformer", ""), "imagenet_super_acc", 100, [10, 25, 50, 100], ""),
    ("autoformer-1.5G", "autoformer", ("autoformer", ""), "imagenet_super_acc", 50, [10, 25, 50],
     'constraint = { metric = "flops_release", max = 1.5 }\n'),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--searchers", default="random,evolution")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, space, (folder, file), report, budget, checkpoints, constraint in EXPERIMENTS:
            data = shared_data_path(folder)
            if data is None:
                raise SystemExit(f"../shared/data/{folder} not found (set ARCHGEN_SHARED_DATA)")
            for searcher in args.searchers.split(","):
                registry = Path(scratch) / "registry.toml"
                registry.write_text(
                    f'[run]\nname = "{space}-pool-search"\nruns_dir = "{Path(args.runs_dir).resolve()}"\nthreads = 1\n'
                    f'device = "cpu"\n[space]\nname = "{space}"\n[space.options]\nbenchmark = "{data / file}"\n'
                    f'[searcher]\nname = "{searcher}"\n'
                    f'[search]\nreport = "{report}"\nbudget = {budget}\ntrials = {args.trials}\n'
                    f'checkpoints = {checkpoints}\npool = "labelled"\n{constraint}',
                    encoding="utf-8",
                )
                summary = search(load_config(registry), run_dir=Path(args.runs_dir) / f"{space}-pool-search")
            print(search_table(summary), "\n")
            experiment = (Path(args.runs_dir) / f"{space}-pool-search" / "search"
                          / experiment_name(report, report, summary["constraint"], "labelled"))
            pools = {}
            for label in summary["searchers"]:
                trials = [json.loads(path.read_text()) for path in (experiment / label).glob("trial-*.json")]
                pools[label] = {key: sum(t["pool"][key] for t in trials) for key in ("mutations", "projected")}
            results[name] = {
                "report": report,
                "budget": budget,
                "constraint": summary["constraint"],
                "note": summary["note"],
                "searchers": {k: {"trials": v["trials"], "at": v["at"], "pool": pools[k]} for k, v in summary["searchers"].items()},
            }
    out = Path(__file__).parent / "results" / "search_pools.json"
    write_json(out, results)
    print(f"wrote {out}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
