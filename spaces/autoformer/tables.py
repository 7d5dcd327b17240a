"""The ``autoformer`` space's table loader: subnet metrics (Auto-Prox's ``gt_autoformer`` lists) as a table.

Each file is a list of records ``{"arch": {"hidden_dim", "depth", "mlp_ratio",
"num_heads"}, <metric>: float | null, ...}``: the JSON conversion staged in
``../shared/data/autoformer/`` or the original pickled ``.pth`` list
(lliai/Auto-Prox-AAAI24, ``gt_results/gt_autoformer*.pth``). Metrics become
float columns (``null`` -> NaN) keyed by the space's native string.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError, InvalidArchitectureError
from archgen.io import load_torch

#: The files a benchmark directory is expected to hold, in load order.
DEFAULT_FILES = ("gt_autoformer.json", "gt_autoformer_2.json")


class NativeSpace(Protocol):
    """What the loader needs of the ``autoformer`` space: its name and native-config round trip.

    Named here rather than importing ``AutoFormerSpace``, whose module imports this one to read
    its benchmark: the two would be an import cycle.
    """

    name: str

    def from_native(self, value: Any, *, aliases: bool = False) -> Architecture: ...

    def to_string(self, arch: Architecture) -> str: ...


def load_benchmark(path: str | Path, space: NativeSpace) -> BenchmarkTable:
    """Loads one records file, or :data:`DEFAULT_FILES` from a directory.

    Args:
        path: A ``.json`` / ``.pth`` records file or a directory.
        space: The space the subnets must belong to (keys are its native strings).

    Returns:
        One row per subnet, one float column per metric.

    Raises:
        DataFileError: If the path is missing, a file is unreadable or not a
            records list, a record is malformed or outside ``space``, or a
            subnet appears twice.
    """
    path = Path(path)
    if path.is_dir():
        files = [path / name for name in DEFAULT_FILES if (path / name).is_file()]
        if not files:
            raise DataFileError(f"no AutoFormer records in directory {str(path)!r}; expected {list(DEFAULT_FILES)}")
    elif path.is_file():
        files = [path]
    else:
        raise DataFileError(f"AutoFormer benchmark path {str(path)!r} does not exist")

    keys: list[str] = []
    rows: list[dict[str, float]] = []
    origin: dict[str, str] = {}
    for file in files:
        for index, record in enumerate(_read_records(file)):
            where = f"{file.name} record {index}"
            key, metrics = _parse_record(record, space, where)
            if key in origin:
                raise DataFileError(f"{where} repeats the subnet of {origin[key]}: {key}")
            origin[key] = where
            keys.append(key)
            rows.append(metrics)
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {name: np.array([row.get(name, math.nan) for row in rows], dtype=float) for name in names}
    return BenchmarkTable(space.name, tuple(keys), columns, source=", ".join(str(f) for f in files))


def _read_records(file: Path) -> list[Any]:
    if file.suffix == ".pth":
        records = load_torch(file)
    elif file.suffix == ".json":
        try:
            records = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataFileError(f"cannot read AutoFormer records {str(file)!r}: {type(error).__name__}: {error}") from None
    else:
        raise DataFileError(f"unknown AutoFormer records file {file.name!r}; expected a .json or .pth list")
    if not isinstance(records, list):
        raise DataFileError(f"{file.name} holds a {type(records).__name__}; expected a list of subnet records")
    return records


def _parse_record(record: Any, space: NativeSpace, where: str) -> tuple[str, dict[str, float]]:
    if not isinstance(record, dict) or "arch" not in record:
        raise DataFileError(f"{where} is not a dict with an 'arch' entry: {str(record)[:80]}")
    try:
        arch = space.from_native(record["arch"], aliases=True)
    except InvalidArchitectureError as error:
        raise DataFileError(f"{where}: {error}") from None
    metrics: dict[str, float] = {}
    for name, value in record.items():
        if name == "arch":
            continue
        if value is None:
            metrics[name] = math.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            metrics[name] = float(value)
        else:
            raise DataFileError(f"{where}: metric {name!r} = {value!r}; expected a finite number or null")
    return space.to_string(arch), metrics
