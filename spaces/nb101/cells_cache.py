"""The enumerated cells, cached in the user's cache directory.

The first call enumerates (well under a second, see
:mod:`archgen.spaces.nb101.enumeration`) and writes
``<cache>/nb101_cells_v1.npz`` atomically; later calls load it. A file that
fails its checksum, or holds a count other than the enumeration's invariant
423,624, is rebuilt with a warning instead of being trusted.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from archgen.io import load_checked_npz, save_checked_npz
from archgen.io.cache import cache_dir as user_cache_dir
from archgen.spaces.nb101.enumeration import CellArrays, enumerate_cells

#: Unique cells of the release (google-research/nasbench README: "423,624 unique neural networks").
NUM_CELLS = 423_624

CACHE_NAME = "nb101_cells_v1.npz"
_KIND = "archgen.nb101.cells.v1"
_NAMES = ("num_vertices", "edge_bits", "labeling")


def cache_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the cell cache lives (``cache_dir`` or the default cache folder)."""
    return user_cache_dir(override=cache_dir)


def load_cells(cache_dir: str | os.PathLike[str] | None = None) -> CellArrays:
    """All 423,624 cells, from the cache or freshly enumerated (and then cached).

    Args:
        cache_dir: Folder of the cache file; default ``$XDG_CACHE_HOME/archgen``
            or ``~/.cache/archgen``.

    Returns:
        The cells in the official generator's first-seen order.
    """
    path = cache_path(cache_dir) / CACHE_NAME
    arrays = load_checked_npz(path, _KIND, _NAMES)
    if arrays is not None:
        cells = CellArrays(arrays["num_vertices"], arrays["edge_bits"], arrays["labeling"])
        if _consistent(cells):
            return cells
    if path.exists():
        warnings.warn(f"NB101 cell cache {path} is corrupt or stale; rebuilding it", stacklevel=2)
    cells = enumerate_cells()
    try:
        save_checked_npz(path, {name: getattr(cells, name) for name in _NAMES}, _KIND)
    except OSError as error:  # a read-only home still gets the cells, just not the cache
        warnings.warn(f"could not write the NB101 cell cache {path}: {error}", stacklevel=2)
    return cells


def _consistent(cells: CellArrays) -> bool:
    sizes = {len(cells.num_vertices), len(cells.edge_bits), len(cells.labeling)}
    return sizes == {NUM_CELLS} and bool(np.all((cells.num_vertices >= 2) & (cells.num_vertices <= 7)))
