"""archgen.io.restricted_pickle: user-supplied pickles and torch files never run code."""

from __future__ import annotations

import bz2
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from archgen.errors import DataFileError
from archgen.io import RefusedPickleError, load_pickle, load_torch, safe_unpickle


class _Payload:
    """Unpickling this would create a folder: every loader must refuse it unrun."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


PLAIN = {"a": [1, 2.5, "x", (True, None)], "b": OrderedDict(k=b"bytes"), "c": {3, 4}, "n": np.arange(3.0), "s": np.float64(1.5)}


def _write(path: Path, data: object, compress: bool) -> Path:
    raw = pickle.dumps(data, protocol=4)
    path.write_bytes(bz2.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "bz2"])
def test_plain_data_round_trips(tmp_path, compress):
    loaded = load_pickle(_write(tmp_path / "data.pkl", PLAIN, compress), compression="bz2" if compress else None)
    assert loaded["a"] == PLAIN["a"] and loaded["b"] == PLAIN["b"] and loaded["c"] == PLAIN["c"]
    assert np.array_equal(loaded["n"], PLAIN["n"]) and loaded["s"] == 1.5


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "bz2"])
def test_malicious_pickle_is_refused_unrun(tmp_path, compress):
    marker = tmp_path / "pwned"
    path = _write(tmp_path / "evil.pkl", {"x": _Payload(marker)}, compress)
    with pytest.raises(DataFileError, match=r"evil.pkl: not a plain-data pickle: refusing to load posix.mkdir"):
        load_pickle(path, compression="bz2" if compress else None)
    assert not marker.exists()
    with open(path, "rb") as handle, pytest.raises(RefusedPickleError):
        safe_unpickle(bz2.BZ2File(handle) if compress else handle)
    assert not marker.exists()


def test_torch_tensors_inside_a_pickle_are_dropped_unread(tmp_path):
    # torch's tensor rebuilders stand in as no-ops: weights in a data file are skipped, not loaded.
    path = tmp_path / "weights.pkl"
    path.write_bytes(pickle.dumps({"w": torch.ones(2), "meta": 1}, protocol=4))
    assert load_pickle(path) == {"w": None, "meta": 1}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "bz2"])
def test_truncated_and_missing_pickles_name_the_file(tmp_path, compress):
    whole = (tmp_path / "whole.pkl")
    _write(whole, PLAIN, compress)
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    kind = "bz2 pickle" if compress else "pickle"
    with pytest.raises(DataFileError, match=rf"cut.pkl: corrupt {kind} \("):
        load_pickle(cut, compression="bz2" if compress else None)
    with pytest.raises(DataFileError, match="absent.pkl: .*does not exist"):
        load_pickle(tmp_path / "absent.pkl", compression="bz2" if compress else None)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_torch_state_dicts_load_with_numpy_scalars(tmp_path, zip_format):
    path = tmp_path / "state.pth"
    torch.save({"w": torch.arange(4.0), "step": np.float64(2.0)}, path, _use_new_zipfile_serialization=zip_format)
    loaded = load_torch(path)
    assert torch.equal(loaded["w"], torch.arange(4.0)) and loaded["step"] == 2.0


def test_torch_file_with_code_is_refused_unrun(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"x": _Payload(marker)}, path)
    with pytest.raises(DataFileError, match=r"evil.pth: refused by torch.load\(weights_only=True\): .*GLOBAL posix.mkdir"):
        load_torch(path)
    assert not marker.exists()


def test_damaged_torch_files_are_one_line_data_errors(tmp_path):
    good = tmp_path / "good.pth"
    torch.save({"w": torch.arange(100.0)}, good)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(DataFileError, match=r"garbage.pth: corrupt torch file \(Unsupported operand"):
        load_torch(garbage)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DataFileError, match="cut.pth: corrupt torch file") as error:
        load_torch(cut)
    assert "\n" not in str(error.value)
    with pytest.raises(DataFileError, match="absent.pth: torch file does not exist"):
        load_torch(tmp_path / "absent.pth")
