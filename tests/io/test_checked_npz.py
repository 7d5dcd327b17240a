"""archgen.io.checked_npz: caches that refuse to be trusted when damaged."""

from __future__ import annotations

import numpy as np
import pytest

from archgen.io import load_checked_npz, save_checked_npz

ARRAYS = {"a": np.arange(12, dtype=np.int16).reshape(3, 4), "names": np.array(["x", "yy"]), "f": np.linspace(0, 1, 5)}


def _equal(loaded, original) -> bool:
    return loaded.keys() == original.keys() and all(
        np.array_equal(loaded[k], original[k]) and loaded[k].dtype == original[k].dtype for k in original
    )


def test_round_trip_is_exact(tmp_path):
    path = save_checked_npz(tmp_path / "sub" / "c.npz", ARRAYS, "kind.v1")
    assert _equal(load_checked_npz(path, "kind.v1", ("a", "names")), ARRAYS)


def test_another_kind_or_a_missing_array_is_not_trusted(tmp_path):
    path = save_checked_npz(tmp_path / "c.npz", ARRAYS, "kind.v1")
    assert load_checked_npz(path, "kind.v2", ()) is None
    assert load_checked_npz(path, "kind.v1", ("absent",)) is None
    assert load_checked_npz(tmp_path / "missing.npz", "kind.v1", ()) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_damaged_files_read_as_rebuild_me(tmp_path, damage):
    path = save_checked_npz(tmp_path / "c.npz", {"big": np.arange(5000, dtype=np.int64)}, "k")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 3] ^= 0xFF  # inside the stored array: only the checksum notices
    elif damage == "garbage":
        data = bytearray(b"not a zip file")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert load_checked_npz(path, "k", ("big",)) is None


def test_a_file_without_the_checksum_is_not_trusted(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    assert load_checked_npz(tmp_path / "plain.npz", "k", ("a",)) is None


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, __meta__=np.frombuffer(b'{"kind": "k", "sha256": ""}', dtype=np.uint8), a=np.array([{}], dtype=object))
    assert load_checked_npz(path, "k", ("a",)) is None
