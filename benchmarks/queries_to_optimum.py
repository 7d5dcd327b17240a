"""Queries until a search first reports the space's published optimum, per trial (issue 29's search table).

``archgen search`` records, after every distinct oracle query, the reported figure of the
best-signal architecture so far (``report_of_best`` in ``trial-<k>.json``). This script reads the
trials of one or more searcher folders (``<run>/search/<signal>--<report>/<searcher>/``) and prints,
per folder (its ``settings.json`` names the space and the reported metric), the first query at which that figure reaches the optimum the space publishes for the
reported metric (``published_results()``, e.g. NAS-Bench-201 CIFAR-10 test 94.37; compared at the
published figure's two decimals), how many trials got there within ``--within`` queries, and the
mean / median / range over the trials that got there at all. It writes the rows as JSON.

    python benchmarks/queries_to_optimum.py runs/nb201-guided/search/*/guided [--within 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from archgen.atomic import write_json
from archgen.registry import load

ROOT = Path(__file__).resolve().parents[1]


def published_optimum(space_name: str, report: str) -> float:
    """The optimum ``space_name`` publishes for metric ``report``.

    Raises:
        SystemExit: If the space publishes none for it.
    """
    space = load("space", space_name)
    for item in space.published_results().search:
        if item.report == report and item.method == "optimum":
            return item.value
    raise SystemExit(f"space {space_name!r} publishes no optimum of {report!r}")


def first_hit(queries: list[dict[str, Any]], optimum: float) -> int | None:
    """The 1-based query after which the best-signal architecture's report rounds to ``optimum`` (None: never)."""
    for number, query in enumerate(queries, start=1):
        value = query.get("report_of_best")
        if value is not None and round(value, 2) >= optimum:
            return number
    return None


def summarise(folder: Path, within: int) -> dict[str, Any]:
    """One searcher folder's hits (its ``settings.json`` names the space and the reported metric).

    Raises:
        SystemExit: If the folder holds no ``settings.json`` or no finished trial.
    """
    settings_path = folder / "settings.json"
    trials = sorted(folder.glob("trial-*.json"), key=lambda path: int(path.stem.split("-")[1]))
    if not settings_path.is_file() or not trials:
        raise SystemExit(f"{folder}: not a searcher folder with finished trials (settings.json and trial-<k>.json)")
    settings = json.loads(settings_path.read_text())
    space = settings["space"]
    optimum = published_optimum(space["name"] if isinstance(space, dict) else space, settings["report"])
    hits = {}
    for path in trials:
        trial = json.loads(path.read_text())
        hits[trial["seed"]] = first_hit(trial["queries"], optimum)
    found = [hit for hit in hits.values() if hit is not None]
    return {
        "folder": str(folder), "report": settings["report"], "optimum": optimum, "within": within,
        "trials": len(hits), "hits": hits, "found_within": sum(hit <= within for hit in found),
        "found": len(found),
        "mean": statistics.fmean(found) if found else None,
        "median": statistics.median(found) if found else None,
        "range": [min(found), max(found)] if found else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="searcher folders holding trial-<k>.json")
    parser.add_argument("--within", type=int, default=50, help="the query budget of the target (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "queries_to_optimum.json")
    args = parser.parse_args()
    rows = [summarise(folder, args.within) for folder in args.folders]
    print(f"| folder | trials | optimum | within {args.within} | found | mean | median | range | per seed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        stats = [f"{row['mean']:.1f}", f"{row['median']:g}", f"{row['range'][0]}–{row['range'][1]}"] if row["found"] else ["–"] * 3
        per_seed = ", ".join(f"{seed}: {hit if hit is not None else '–'}" for seed, hit in row["hits"].items())
        print(f"| {row['folder']} | {row['trials']} | {row['optimum']} | {row['found_within']} | {row['found']} | "
              + " | ".join(stats) + f" | {per_seed} |")
    write_json(args.output, {"rows": rows})
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
