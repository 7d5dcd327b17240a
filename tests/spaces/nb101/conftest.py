"""Fixtures for the nb101 tests: a tiny TFRecord writer in the official format."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from archgen.spaces.nb101.crc32c import masked_crc32c
from archgen.spaces.nb101.records import Evaluation, Record, encode_record


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keeps these tests' enumeration cache out of the user's real cache folder."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


def frame(payload: bytes) -> bytes:
    """One TFRecord frame: length, its masked CRC, the data, the data's masked CRC."""
    length = struct.pack("<Q", len(payload))
    return length + struct.pack("<I", masked_crc32c(length)) + payload + struct.pack("<I", masked_crc32c(payload))


def run(module_hash: str, adjacency: str, ops: Sequence[str], epochs: int, seed: float, parameters: int = 1234) -> Record:
    """A record whose metrics are simple functions of ``seed`` (so means are checkable)."""
    evaluations = (
        Evaluation(0.0, 0.0, 0.1, 0.1, 0.1),
        Evaluation(epochs / 2, 50.0 + seed, 0.5, 0.5, 0.5),
        Evaluation(float(epochs), 100.0 + seed, 0.9 + seed / 100, 0.8 + seed / 100, 0.7 + seed / 100),
    )
    return Record(module_hash, epochs, adjacency, tuple(ops), parameters, evaluations)


@pytest.fixture
def write_tfrecord(tmp_path: Path) -> Callable[..., Path]:
    """``write_tfrecord(records, name=..., corrupt=None)`` writes records; ``corrupt`` = index whose data CRC is broken."""

    def write(records: Sequence[Record], name: str = "tiny.tfrecord", corrupt: int | None = None) -> Path:
        chunks = []
        for i, record in enumerate(records):
            chunk = bytearray(frame(encode_record(record)))
            if i == corrupt:
                chunk[-1] ^= 0xFF
            chunks.append(bytes(chunk))
        path = tmp_path / name
        path.write_bytes(b"".join(chunks))
        return path

    return write


@pytest.fixture
def make_run() -> Callable[..., Record]:
    """The :func:`run` record factory."""
    return run


@pytest.fixture
def frame_bytes() -> Callable[[bytes], bytes]:
    """The :func:`frame` helper."""
    return frame


@dataclass(frozen=True)
class PublishedCell:
    """A NAS-Bench-101 cell printed with its dataset hash by an independent source."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]
    hash: str


@pytest.fixture(scope="session")
def published_cell() -> PublishedCell:
    """The cell of github microsoft/nni docs/en_US/NAS/BenchmarksExample.ipynb.

    op1..op5 = conv3x3, maxpool3x3, conv3x3, conv3x3, conv1x1; inputs 1<-0, 2<-1, 3<-2, 4<-0,
    5<-{0,3,4}, output<-{2,5}; printed with 'hash': '00005c142e6f48ac74fdcf73e3439874' by NNI's
    database built from the official tfrecord (also sile/nasbench-rs README's query example).
    """
    return PublishedCell(
        matrix=(
            (0, 1, 0, 0, 1, 1, 0),
            (0, 0, 1, 0, 0, 0, 0),
            (0, 0, 0, 1, 0, 0, 1),
            (0, 0, 0, 0, 0, 1, 0),
            (0, 0, 0, 0, 0, 1, 0),
            (0, 0, 0, 0, 0, 0, 1),
            (0, 0, 0, 0, 0, 0, 0),
        ),
        ops=("input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"),
        hash="00005c142e6f48ac74fdcf73e3439874",
    )
