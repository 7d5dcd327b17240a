"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

A crash or a bad value mid-write leaves the earlier file (or none), never a
truncated one.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it over ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _create_beside(target)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _create_beside(target: Path) -> str:
    """Creates an empty, uniquely named file beside ``target`` with the umask's permissions.

    ``tempfile.mkstemp`` would create it mode 0600, and ``os.replace`` keeps that mode, so
    every run file would be private to its owner whatever the user's umask says; opening
    with 0666 lets the kernel apply the umask, as for any file the user creates.
    """
    for _ in range(100):
        temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return str(temporary)
    raise FileExistsError(f"could not create a temporary file beside {str(target)!r}")


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[Any]], None], mode: str = "w") -> Path:
    """Writes ``path`` atomically by calling ``writer`` on an open temporary file."""
    with atomic_path(path) as temporary:
        with open(temporary, mode, encoding=None if "b" in mode else "utf-8") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Writes a text file atomically."""
    return write_with(path, lambda handle: handle.write(text))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Writes a binary file atomically."""
    return write_with(path, lambda handle: handle.write(data), mode="wb")


def write_json(path: str | os.PathLike[str], value: Any) -> Path:
    """Writes indented JSON atomically (keys in insertion order)."""
    return write_text(path, json.dumps(value, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
