"""Cache files that detect their own corruption: ``.npz`` arrays plus a SHA-256.

A cache is written with :func:`save_checked_npz` and read with
:func:`load_checked_npz`, which returns ``None`` -- "rebuild me" -- for a
missing, truncated, foreign or tampered file rather than trusting it. Arrays
are read with ``allow_pickle=False``, so a cache can never run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from archgen.atomic import atomic_path

_META = "__meta__"


def _digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_checked_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], kind: str) -> Path:
    """Writes ``arrays`` atomically with a checksum and a ``kind`` tag.

    Args:
        path: Target file (its folder is created if needed).
        arrays: Named arrays (no object dtype).
        kind: A format tag that :func:`load_checked_npz` must be asked for.

    Returns:
        The path written.

    Raises:
        OSError: If the file cannot be written (callers decide whether a cache
            that cannot be kept matters).
    """
    meta = json.dumps({"kind": kind, "sha256": _digest(arrays)})
    with atomic_path(path) as temporary:
        # A file handle, because np.savez appends ".npz" to a bare temporary name.
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays, **{_META: np.frombuffer(meta.encode(), dtype=np.uint8)})
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def load_checked_npz(
    path: str | os.PathLike[str], kind: str, names: tuple[str, ...]
) -> dict[str, np.ndarray] | None:
    """Reads a file written by :func:`save_checked_npz`, or ``None`` if it cannot be trusted.

    Args:
        path: The cache file.
        kind: The format tag it must carry.
        names: Arrays it must hold.

    Returns:
        The arrays, or ``None`` when the file is missing, unreadable, of another
        kind, lacks an array, or fails its checksum.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data[_META]).decode())
            arrays = {name: data[name] for name in data.files if name != _META}
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != kind or any(name not in arrays for name in names):
        return None
    if meta.get("sha256") != _digest(arrays):
        return None
    return arrays
