"""Pickles and ``torch.save`` files read without running the code they might name.

A pickle can call any importable function while it loads, so archgen never
hands a user-supplied one to :func:`pickle.load` or to ``torch.load`` with
``weights_only=False``:

* :func:`load_pickle` (and :func:`safe_unpickle` on an open stream) resolves
  only plain containers, numbers, strings and numpy arrays/scalars; any other
  global is refused before it is called. torch's tensor rebuilders are
  allowed but return ``None``, so trained weights in a data file are skipped
  unread (the real ``torch.storage._load_from_bytes`` would call an
  unrestricted ``torch.load``).
* :func:`load_torch` is ``torch.load(map_location="cpu", weights_only=True)``,
  retried with numpy's scalar and array types allowed when the first attempt
  refuses them (benchmark files written with numpy floats need them).

Both raise :class:`archgen.errors.DataFileError` naming the file, for a refused
global and for any kind of damage (truncation, flipped bytes).
"""

from __future__ import annotations

import builtins
import bz2
import collections
import io
import os
import pickle
from pathlib import Path
from typing import Any, Literal

import numpy as np

try:  # numpy >= 2 keeps it in numpy._core; pickles written under numpy 1 name numpy.core
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1
    from numpy.core import multiarray as _multiarray

from archgen.errors import DataFileError


class RefusedPickleError(pickle.UnpicklingError):
    """A pickle that names a global outside the allow-list."""


def _dropped(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for torch's tensor rebuilders, so trained weights are skipped unread."""
    return None


def _allowed_globals() -> dict[tuple[str, str], Any]:
    allowed: dict[tuple[str, str], Any] = {}
    for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bytes", "bool", "complex"):
        allowed[("builtins", name)] = getattr(builtins, name)
    allowed[("collections", "OrderedDict")] = collections.OrderedDict
    allowed[("collections", "defaultdict")] = collections.defaultdict
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "scalar")] = _multiarray.scalar
        allowed[(module, "_reconstruct")] = _multiarray._reconstruct
    allowed[("numpy", "dtype")] = np.dtype
    allowed[("numpy", "ndarray")] = np.ndarray
    for module, name in (
        ("torch._utils", "_rebuild_tensor"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch._tensor", "_rebuild_from_type_v2"),
        ("torch.storage", "_load_from_bytes"),
    ):
        allowed[(module, name)] = _dropped
    return allowed


class _ContainersOnlyUnpickler(pickle.Unpickler):
    """Resolves only container and number types; any other global is refused."""

    _allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles (Python 2 era, like the 2020 benchmark files) name builtins '__builtin__'.
        module = "builtins" if module == "__builtin__" else module
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise RefusedPickleError(
                f"refusing to load {module}.{name} (only plain containers and numbers are accepted)"
            ) from None


def safe_unpickle(stream: io.BufferedIOBase | Any) -> Any:
    """Unpickles data that should hold only dicts, lists, tuples, numbers, strings and numpy arrays.

    Args:
        stream: A binary file object.

    Returns:
        The unpickled object.

    Raises:
        RefusedPickleError: If the pickle names any other global (a class or function).
        pickle.UnpicklingError: Or anything else, if the stream is damaged.
    """
    return _ContainersOnlyUnpickler(stream).load()


def load_pickle(path: str | os.PathLike[str], *, compression: Literal["bz2"] | None = None) -> Any:
    """Reads a plain-data pickle file (optionally bz2-compressed) with :func:`safe_unpickle`.

    Args:
        path: The file.
        compression: ``"bz2"`` for ``.pickle.pbz2`` files, ``None`` for a plain pickle.

    Returns:
        The unpickled object.

    Raises:
        DataFileError: If the file is missing, names a refused global, or is damaged.
    """
    path = Path(path)
    kind = "bz2 pickle" if compression == "bz2" else "pickle"
    opener: Any = bz2.open if compression == "bz2" else open
    try:
        with opener(path, "rb") as handle:
            return safe_unpickle(handle)
    except RefusedPickleError as error:
        raise DataFileError(f"{path}: not a plain-data pickle: {error}") from None
    except FileNotFoundError:
        raise DataFileError(f"{path}: {kind} file does not exist") from None
    except Exception as error:  # noqa: BLE001 - a damaged pickle can raise almost anything
        raise DataFileError(f"{path}: corrupt {kind} ({type(error).__name__}: {_first_line(error)})") from None


def load_torch(path: str | os.PathLike[str]) -> Any:
    """``torch.load(weights_only=True)`` on the CPU, allowing numpy scalars if the first try refuses them.

    Args:
        path: A file written by ``torch.save`` (zip or legacy format).

    Returns:
        The loaded object.

    Raises:
        DataFileError: If the file is missing, torch cannot read it, or it needs
            any global beyond tensors, containers and numpy numbers.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: torch file does not exist")

    def attempt() -> Any:
        return torch.load(path, map_location="cpu", weights_only=True)

    try:
        try:
            return attempt()
        except pickle.UnpicklingError as error:
            if not _is_weights_only_refusal(error):
                raise
            # Files written with numpy floats need these; still no arbitrary code.
            extra = [_multiarray.scalar, _multiarray._reconstruct, np.dtype, np.ndarray, collections.defaultdict]
            extra += [type(np.dtype(kind)) for kind in ("f8", "f4", "i8", "i4")]
            with torch.serialization.safe_globals(extra):
                return attempt()
    except pickle.UnpicklingError as error:
        refused = _refused_global(error) if _is_weights_only_refusal(error) else None
        if refused is not None:
            raise DataFileError(f"{path}: refused by torch.load(weights_only=True): {refused}") from None
        raise DataFileError(f"{path}: corrupt torch file ({_unpickler_detail(error)})") from None
    except Exception as error:  # noqa: BLE001 - a damaged file can make torch.load raise almost anything
        raise DataFileError(f"{path}: corrupt torch file ({type(error).__name__}: {_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    """The first sentence of an error's text: torch's corrupt-file errors run to a paragraph."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line.split(". ")[0].rstrip(".")


def _is_weights_only_refusal(error: pickle.UnpicklingError) -> bool:
    return str(error).startswith("Weights only load failed")


def _refused_global(error: BaseException) -> str | None:
    """The line of torch's weights_only message that names a refused global, if it names one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "GLOBAL" in line or "global" in line.split(" ", 3)[:3]]
    return named[0] if named else None


def _unpickler_detail(error: BaseException) -> str:
    """What torch's unpickler choked on (the line after its boilerplate), else the first sentence."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for before, after in zip(lines, lines[1:]):
        if before.endswith("WeightsUnpickler error:"):
            return after
    return _first_line(error)
