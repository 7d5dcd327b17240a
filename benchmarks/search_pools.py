"""Search on labelled pools: NB101's 292 labelled cells and AutoFormer's 200 Auto-Prox subnets.

``[search] pool = "labelled"`` restricts a space to the architectures its
oracle tables label (:class:`archgen.pipeline.search_command.LabelledPool`): these are
NOT searches of the full NB101 (423,624 cells) or AutoFormer-T (10^9 subnets)
spaces. NB101 searches NASLib's 108-epoch validation accuracy (the only
accuracy of ``nb101_zc_naslib_500.csv.gz``: signal = reported figure);
AutoFormer the supernet ImageNet top-1 of Auto-Prox's table, without and with
a FLOPs limit counted by the release's ``get_complexity`` (``flops_release``).
MBV3 (``--experiments mbv3``) is the full space under OFA's 25 ms Note10
latency limit, searching the OFA accuracy predictor (a surrogate).

Every searcher runs with the options in ``SEARCHER_OPTIONS`` (the predictor-guided
ones at cheap settings: a 3-member ensemble of 50-epoch ``gin``, the uniform
generator as proposer). Prints each table and writes
``benchmarks/results/search_pools.json`` (one entry per experiment, merged into
what the file already holds).

    python benchmarks/search_pools.py [--runs-dir runs] [--trials 10]
        [--searchers random,evolution,guided,generate_sort] [--experiments nb101,autoformer,autoformer-1.5G,mbv3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from archgen.atomic import write_json
from archgen.config import SearchConstraint, load_config
from archgen.data_files import shared_data_path
from archgen.pipeline.commands import search
from archgen.pipeline.search_command import experiment_name, search_table

#: (name, space, space options TOML (``{data}`` = the shared data folder), report, budget, checkpoints,
#: extra [search] TOML, pool, trials cap).
EXPERIMENTS = (
    ("nb101", "nb101", 'benchmark = "{data}/nasbench101/nb101_zc_naslib_500.csv.gz"', "val_accuracy", 200,
     [10, 25, 50, 100, 200], "", "labelled", None),
    ("autoformer", "autoformer", 'benchmark = "{data}/autoformer"', "imagenet_super_acc", 100, [10, 25, 50, 100], "",
     "labelled", None),
    ("autoformer-1.5G", "autoformer", 'benchmark = "{data}/autoformer"', "imagenet_super_acc", 50, [10, 25, 50],
     'constraint = { metric = "flops_release", max = 1.5 }\n', "labelled", None),
    # OFA's tutorial: 25 ms on the Note10 at resolution 192; 3 trials (a trial of 1,000 costs minutes).
    ("mbv3", "mbv3", 'resolution = 192\npredictor = "{data}/ofa_mbv3/acc_predictor.npz"\n'
     'latency_tables = "{data}/ofa_mbv3/latency_table_note10"', "imagenet/top1", 1000, [100, 250, 500, 1000],
     'constraint = { metric = "note10/latency", max = 25.0 }\n', "space", 3),
)

#: [searcher.options] per searcher (TOML); MBV3's evolution uses population 100, sample 25 (docs/search.md).
SEARCHER_OPTIONS = {
    "guided": 'ensemble = 3\nbatch = 10\npredictor = { name = "gin", options = { epochs = 50 } }\n',
    "generate_sort": 'predictor = { name = "gin", options = { epochs = 50 } }\n',
}
SPACE_SEARCHER_OPTIONS = {
    ("mbv3", "evolution"): "population = 100\nsample_size = 25\n",
    ("mbv3", "guided"): 'ensemble = 3\nbatch = 50\ngenerated = 200\nmutations = 200\nparents = 10\n'
                        'predictor = { name = "gin", options = { epochs = 30 } }\n',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--searchers", default="random,evolution")
    parser.add_argument("--experiments", default=",".join(e[0] for e in EXPERIMENTS))
    args = parser.parse_args()
    out = Path(__file__).parent / "results" / "search_pools.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    data = shared_data_path()
    if data is None:
        raise SystemExit("../shared/data not found (set ARCHGEN_SHARED_DATA)")
    chosen = args.experiments.split(",")
    with tempfile.TemporaryDirectory() as scratch:
        for name, space, options, report, budget, checkpoints, extra, pool, cap in EXPERIMENTS:
            if name not in chosen:
                continue
            trials = min(args.trials, cap or args.trials)
            for searcher in args.searchers.split(","):
                registry = Path(scratch) / "registry.toml"
                searcher_options = SPACE_SEARCHER_OPTIONS.get((space, searcher), SEARCHER_OPTIONS.get(searcher, ""))
                registry.write_text(
                    f'[run]\nname = "{space}-pool-search"\nruns_dir = "{Path(args.runs_dir).resolve()}"\nthreads = 1\n'
                    f'device = "cpu"\n[space]\nname = "{space}"\n[space.options]\n{options.format(data=data)}\n'
                    f'[searcher]\nname = "{searcher}"\n[searcher.options]\n{searcher_options}'
                    f'[search]\nreport = "{report}"\nbudget = {budget}\ntrials = {trials}\n'
                    f'checkpoints = {checkpoints}\npool = "{pool}"\n{extra}',
                    encoding="utf-8",
                )
                summary = search(load_config(registry), run_dir=Path(args.runs_dir) / f"{space}-pool-search")
            print(search_table(summary), "\n")
            constraint = SearchConstraint.model_validate(summary["constraint"]) if summary["constraint"] else None
            experiment = (Path(args.runs_dir) / f"{space}-pool-search" / "search"
                          / experiment_name(report, report, constraint, pool))
            pools = {}
            for label in summary["searchers"]:
                trials = [json.loads(path.read_text()) for path in (experiment / label).glob("trial-*.json")]
                if pool == "labelled":
                    pools[label] = {key: sum(t["pool"][key] for t in trials) for key in ("mutations", "projected")}
            results[name] = {
                "report": report,
                "budget": budget,
                "constraint": summary["constraint"],
                "note": summary["note"],
                "searchers": {k: {"trials": v["trials"], "at": v["at"], "pool": pools.get(k)} for k, v in summary["searchers"].items()},
            }
    write_json(out, results)
    print(f"wrote {out}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
