"""The on-disk cache of the enumeration: location, reuse, corruption handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archgen.io import cache_dir, load_checked_npz, save_checked_npz
from archgen.spaces.nb101.cells_cache import CACHE_NAME, NUM_CELLS, load_cells


def test_cache_is_written_under_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cells = load_cells()
    assert len(cells) == NUM_CELLS
    assert (tmp_path / "archgen" / CACHE_NAME).is_file()


def test_default_cache_dir_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "archgen"


def test_second_load_reads_the_cache_and_equals_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_cells(tmp_path)

    def no_enumeration():
        raise AssertionError("a warm cache must not enumerate again")

    # What made the cache fast was never timed here (timings live in benchmarks/): it must not re-enumerate.
    monkeypatch.setattr("archgen.spaces.nb101.cells_cache.enumerate_cells", no_enumeration)
    second = load_cells(tmp_path)
    assert np.array_equal(first.edge_bits, second.edge_bits) and np.array_equal(first.labeling, second.labeling)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_cache_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    load_cells(tmp_path)
    path = tmp_path / CACHE_NAME
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray(b"not a zip file")
    path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="corrupt or stale"):
        cells = load_cells(tmp_path)
    assert len(cells) == NUM_CELLS
    assert load_checked_npz(path, "archgen.nb101.cells.v1", ("edge_bits",)) is not None


def test_checksummed_file_with_a_wrong_count_is_rebuilt(tmp_path: Path) -> None:
    short = {
        "num_vertices": np.full(5, 7, np.int8),
        "edge_bits": np.zeros(5, np.int32),
        "labeling": np.zeros(5, np.int16),
    }
    save_checked_npz(tmp_path / CACHE_NAME, short, "archgen.nb101.cells.v1")
    with pytest.warns(UserWarning):
        assert len(load_cells(tmp_path)) == NUM_CELLS
