"""NB201 search: every first-party searcher on CIFAR-10, CIFAR-100 and ImageNet16-120 (``archgen search``).

Signals: CIFAR-10 searches on the 200-epoch cifar10-valid validation accuracy
(``nb201_cifar10valid_val200.csv.gz``); CIFAR-100 and ImageNet16-120 have only
12-epoch validation accuracies for all cells here, so they search on those.
The reported figure is the 200-epoch test accuracy of the architecture with
the best signal. Prints each experiment's table (with the published anchors)
and writes ``benchmarks/results/search_nb201.json``.

    python benchmarks/search_nb201.py [--runs-dir runs] [--trials 10] [--budget 400] [--searchers random,evolution]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from archgen.atomic import write_json
from archgen.config import load_config
from archgen.data_files import shared_data_path
from archgen.pipeline.commands import search
from archgen.pipeline.search_command import search_table

#: (name, signal, report): the signal each dataset offers for all 15,625 cells here.
EXPERIMENTS = (
    ("cifar10", "cifar10-valid/valid@200", "cifar10/test@200"),
    ("cifar100", "cifar100/valid@12", "cifar100/test@200"),
    ("imagenet16-120", "imagenet16-120/valid@12", "imagenet16-120/test@200"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--name", default="nb201-search")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--searchers", default="random,evolution")
    args = parser.parse_args()
    data = shared_data_path("nasbench201")
    if data is None:
        raise SystemExit("../shared/data/nasbench201 not found (set ARCHGEN_SHARED_DATA)")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for dataset, signal, report in EXPERIMENTS:
            for searcher in args.searchers.split(","):
                registry = Path(scratch) / "registry.toml"
                registry.write_text(
                    f'[run]\nname = "{args.name}"\nruns_dir = "{Path(args.runs_dir).resolve()}"\nthreads = 1\n'
                    f'[space]\nname = "nb201"\n[space.options]\nbenchmark = "{data / "nb201_accuracies.csv.gz"}"\n'
                    f'extra_benchmarks = ["{data / "nb201_cifar10valid_val200.csv.gz"}"]\n'
                    f'[searcher]\nname = "{searcher}"\n'
                    f'[search]\nsignal = "{signal}"\nreport = "{report}"\nbudget = {args.budget}\ntrials = {args.trials}\n',
                    encoding="utf-8",
                )
                started = time.perf_counter()
                summary = search(load_config(registry), run_dir=Path(args.runs_dir) / args.name)
                seconds = time.perf_counter() - started
            print(search_table(summary), f"\n({dataset}: last searcher {seconds:.1f} s)\n")
            results[dataset] = {
                "signal": signal,
                "report": report,
                "note": summary["note"],
                "searchers": {k: {"trials": v["trials"], "at": v["at"]} for k, v in summary["searchers"].items()},
                "published": summary["published"],
            }
    out = Path(__file__).parent / "results" / "search_nb201.json"
    write_json(out, results)
    print(f"wrote {out}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
