"""CSV files, gzipped or plain, told apart by their first bytes rather than their name.

Every failure -- a missing file, a truncated or corrupt gzip stream, text that
is not UTF-8, a malformed CSV, a row whose width differs from the header --
becomes one :class:`archgen.errors.DataFileError` naming the file (and the
line, where there is one).
"""

from __future__ import annotations

import csv
import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from archgen.errors import DataFileError

_GZIP_MAGIC = b"\x1f\x8b"


def read_csv_rows(path: str | os.PathLike[str], *, what: str = "CSV file") -> Iterator[list[str]]:
    """Yields the rows of a CSV file (header first), decompressing it if it is gzipped.

    Args:
        path: The file; gzip is recognised by its magic bytes, whatever the name.
        what: How error messages call the file (e.g. ``"NAS-Bench-301 file"``).

    Yields:
        Each row as a list of fields; a UTF-8 byte-order mark is dropped.

    Raises:
        DataFileError: If the file is missing or unreadable, named ``.gz`` but
            not gzip, corrupt or truncated, not UTF-8, or not CSV.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            compressed = handle.read(2) == _GZIP_MAGIC
    except OSError as error:
        reason = "does not exist" if isinstance(error, FileNotFoundError) else (error.strerror or str(error))
        raise DataFileError(f"cannot read {what} {str(path)!r}: {reason}") from None
    if not compressed and path.name.lower().endswith(".gz"):
        raise DataFileError(f"cannot read {what} {str(path)!r}: named .gz but not gzip-compressed")
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:  # type: ignore[operator]
            # strict: an unterminated quote or stray text after one is an error, not a silently merged field.
            yield from csv.reader(handle, strict=True)
    except (OSError, EOFError, zlib.error) as error:
        kind = "gzip" if compressed else "CSV"
        raise DataFileError(f"cannot read {what} {str(path)!r}: corrupt {kind} file ({error})") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"cannot read {what} {str(path)!r}: not UTF-8 text at byte {error.start}") from None
    except csv.Error as error:
        raise DataFileError(f"cannot read {what} {str(path)!r}: malformed CSV ({error})") from None


def read_csv_records(
    path: str | os.PathLike[str], *, what: str = "CSV file", required: tuple[str, ...] = ()
) -> tuple[list[str], list[dict[str, str]]]:
    """The header and every row as a dict, all rows checked against the header.

    Args:
        path: The file (gzipped or plain).
        what: How error messages call the file.
        required: Columns the header must have.

    Returns:
        ``(header, records)``; blank lines are skipped.

    Raises:
        DataFileError: As :func:`read_csv_rows`, and for an empty file, a
            missing required column or a row of the wrong width (naming its line).
    """
    rows = read_csv_rows(path, what=what)
    header = next(rows, None)
    if not header:
        raise DataFileError(f"{what} {str(path)!r} is empty")
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFileError(f"{what} {str(path)!r} lacks the column(s) {missing}; its header is {header}")
    records = []
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise DataFileError(
                f"{what} {str(path)!r} line {line} has {len(row)} fields, the header has {len(header)}"
            )
        records.append(dict(zip(header, row)))
    return header, records
