"""A TFRecord file reader that needs no TensorFlow.

Each record is framed as (TensorFlow ``core/lib/io/record_writer.cc``; the
same layout sile/nasbench-rs ``src/tfrecord.rs`` reads)::

    uint64 length            little endian
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

Both checksums are verified; a mismatch or a truncated record raises
:class:`archgen.errors.DataFileError` naming the record's byte offset.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from archgen.errors import DataFileError
from archgen.spaces.nb101.crc32c import crc32c, crc32c_many, mask

_HEADER = 12  # uint64 length + uint32 CRC
_FOOTER = 4


def read_records(path: str | os.PathLike[str], batch: int = 65_536) -> Iterator[bytes]:
    """Yields every record's payload, in file order, after checking both CRCs.

    Args:
        path: The ``.tfrecord`` file.
        batch: Records whose payload CRCs are verified together.

    Yields:
        Each record's data bytes.

    Raises:
        DataFileError: If the file is missing, truncated, or a CRC does not match.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DataFileError(f"cannot read TFRecord file {str(path)!r}: {error.strerror or error}") from None
    if size == 0:
        return
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    # Plain bytes slices of the map for headers and payloads; a numpy view of it for batched CRCs.
    buffer = np.frombuffer(mapped, dtype=np.uint8)
    offset = 0
    while offset < size:
        offsets: list[int] = []
        lengths: list[int] = []
        while offset < size and len(offsets) < batch:
            length = _checked_length(mapped, offset, size, path)
            offsets.append(offset)
            lengths.append(length)
            offset += _HEADER + length + _FOOTER
        starts = np.array(offsets, dtype=np.int64)
        _check_payload_crcs(buffer, starts, np.array(lengths, dtype=np.int64), path)
        for start, length in zip(offsets, lengths):
            yield mapped[start + _HEADER : start + _HEADER + length]


def _checked_length(mapped: mmap.mmap, offset: int, size: int, path: Path) -> int:
    if offset + _HEADER > size:
        raise DataFileError(f"truncated TFRecord header at byte offset {offset} of {str(path)!r}")
    header = mapped[offset : offset + _HEADER]
    stored = int.from_bytes(header[8:12], "little")
    if int(mask(crc32c(header[:8]))) != stored:
        raise DataFileError(f"bad length CRC in TFRecord {str(path)!r} at byte offset {offset}")
    length = int.from_bytes(header[:8], "little")
    if offset + _HEADER + length + _FOOTER > size:
        raise DataFileError(
            f"truncated TFRecord record at byte offset {offset} of {str(path)!r}: "
            f"needs {length} data bytes, file ends first"
        )
    return length


def _check_payload_crcs(buffer: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, path: Path) -> None:
    starts = offsets + _HEADER
    computed = mask(crc32c_many(buffer, starts, lengths))
    footers = starts + lengths
    stored = (
        buffer[footers].astype(np.uint32)
        | buffer[footers + 1].astype(np.uint32) << np.uint32(8)
        | buffer[footers + 2].astype(np.uint32) << np.uint32(16)
        | buffer[footers + 3].astype(np.uint32) << np.uint32(24)
    )
    bad = np.flatnonzero(computed != stored)
    if len(bad):
        raise DataFileError(f"bad data CRC in TFRecord {str(path)!r} at byte offset {int(offsets[bad[0]])}")
