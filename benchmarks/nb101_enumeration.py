"""Times the NAS-Bench-101 enumeration: the vectorised path against the official plain loop.

* ``vectorised``: :func:`archgen.spaces.nb101.enumeration.enumerate_cells`
  (numpy over all bitmasks, all labellings and all interior permutations at
  once; an exact canonical form instead of one MD5 refinement per graph);
* ``plain loop``: :func:`enumerate_cells_reference`, the procedure of
  google-research/nasbench ``nasbench/scripts/generate_graphs.py`` (one
  matrix per bitmask via ``np.fromfunction``, ``hash_module`` per labelling,
  first graph per fingerprint kept);
* the on-disk cache: building it and loading it;
* ``enumerate() -> Architecture``: what iterating the space costs users.

Both paths run on ``V <= --reference-vertices`` (default 6) in the same
process and must yield identical cells; ``--reference-vertices 7`` runs the
full plain loop (minutes).

Usage::

    python benchmarks/nb101_enumeration.py [--reference-vertices 6]

Prints a table and writes ``benchmarks/results/nb101_enumeration.json``.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from archgen.atomic import write_json
from archgen.spaces.nb101.cells_cache import load_cells
from archgen.spaces.nb101.enumeration import enumerate_cells, enumerate_cells_reference
from archgen.spaces.nb101.space import NB101Options, NB101Space

RESULTS = Path(__file__).resolve().parent / "results" / "nb101_enumeration.json"


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-vertices", type=int, default=6, help="V limit for the plain loop (default 6)")
    args = parser.parse_args()
    v = args.reference_vertices

    fast_small_s, fast_small = timed(enumerate_cells, v)
    plain_s, plain = timed(enumerate_cells_reference, v)
    identical = all(
        np.array_equal(getattr(fast_small, name), getattr(plain, name)) for name in ("num_vertices", "edge_bits", "labeling")
    )
    full_s, cells = timed(enumerate_cells)
    with tempfile.TemporaryDirectory() as folder:
        build_s, _ = timed(load_cells, folder)
        load_s, loaded = timed(load_cells, folder)
        space = NB101Space(NB101Options(cache_dir=Path(folder)))
        iterate_s, count = timed(lambda: sum(1 for _ in space.enumerate()))
    assert len(loaded) == len(cells) == count

    rows = [
        (f"plain loop (official procedure), V<={v}", len(plain), plain_s),
        (f"vectorised, V<={v}", len(fast_small), fast_small_s),
        ("vectorised, V<=7 (first enumeration)", len(cells), full_s),
        ("cache build (enumerate + atomic write)", len(cells), build_s),
        ("cache load", len(loaded), load_s),
        ("enumerate() -> Architecture objects", count, iterate_s),
    ]
    print(f"{'step':<44} {'cells':>9} {'seconds':>9}")
    for name, n, seconds in rows:
        print(f"{name:<44} {n:>9,} {seconds:>9.3f}")
    ratio = plain_s / fast_small_s
    print(f"\nplain / vectorised on V<={v}: {ratio:,.0f}x (identical cells: {identical})")
    print("cells per vertex count:", cells.counts_by_vertices(), "total", f"{len(cells):,}")
    write_json(
        RESULTS,
        {
            "machine": platform.platform(),
            "processor": platform.processor(),
            "reference_vertices": v,
            "plain_seconds": plain_s,
            "vectorised_small_seconds": fast_small_s,
            "ratio": ratio,
            "identical": identical,
            "vectorised_full_seconds": full_s,
            "cache_build_seconds": build_s,
            "cache_load_seconds": load_s,
            "enumerate_architectures_seconds": iterate_s,
            "counts_by_vertices": cells.counts_by_vertices(),
            "total": len(cells),
        },
    )
    print(f"wrote {RESULTS}")
    if not identical:
        raise SystemExit("the vectorised and the plain enumeration disagree")


if __name__ == "__main__":
    main()
