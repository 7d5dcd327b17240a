"""The ``nb201`` space's table loader: NAS-Bench-201 accuracy tables, from every file a user is likely to hold.

``load_benchmark(path, space)`` looks at the content (not only the name) and reads

* the CSV layout of ``nb201_accuracies.csv.gz`` (gzip or plain): ``index``,
  ``arch_str`` and metric columns (see :data:`ACCURACY_CSV_COLUMNS`);
* the NASLib NAS-Bench-Suite-Zero CSV (``nb201_zc_naslib_725.csv.gz``): one
  row per (dataset, cell) with ``dataset``, ``index``, ``arch_str``,
  ``val_accuracy``, ``flops``, ``params``;
* the official ``NAS-Bench-201-v1_*.pth``, the NATS-Bench topology pickle
  ``NATS-tss-v1_0-3ffb9.pickle.pbz2`` and its fast-mode folder
  ``NATS-tss-v1_0-3ffb9-simple/`` (see :mod:`archgen.spaces.nb201.formats`).

Metric names are ``<dataset>/<split>@<epochs>`` for accuracies (percent) and
``<dataset>/<cost>`` for costs, where

* ``<dataset>`` is the official training setup, lower-cased:
  ``cifar10-valid`` (trained on CIFAR-10 train), ``cifar10`` (train+valid),
  ``cifar100``, ``imagenet16-120``;
* ``<split>`` is ``valid`` or ``test`` as the official ``get_more_info`` means
  them (cifar10-valid: x-valid / ori-test; cifar10: ori-test; cifar100 and
  ImageNet16-120: x-valid / x-test);
* ``<epochs>`` is the training schedule (``200`` or ``12``), read at its last epoch;
* ``<cost>`` is ``flops`` (MFLOPs), ``params`` (millions) or ``latency`` (seconds).

So ``cifar10/test@200`` is the number the NAS-Bench-201 paper reports as
CIFAR-10 test accuracy, and ``cifar10-valid/valid@200`` its CIFAR-10
validation accuracy. Columns from an older benchmark file carry a suffix
(``cifar10/test@200:nb201-v1_0``). Every table also has the column ``index``
(the NAS-Bench-201 / NATS index); its keys are the official arch strings in
index order.

The official files take minutes to read, so the extracted table is cached as
``$XDG_CACHE_HOME/archgen/nb201-benchmark/<fingerprint>.npz`` (fingerprint:
size, mtime and the SHA-256 of the first MiB of the source).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
import numpy as np

from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError, InvalidArchitectureError
from archgen.io import cache_dir, load_checked_npz, read_csv_rows, save_checked_npz
# The space as the core protocol, not NB201Space: space.py imports this module to read its table.
from archgen.protocols import SearchSpace
from archgen.spaces.nb201 import formats

logger = logging.getLogger(__name__)

#: Cells in the space: indexes run 0..NUM_CELLS-1 (and distinct indexes bound the row count).
NUM_CELLS = 15_625

#: Column of ``nb201_accuracies.csv.gz`` -> archgen metric name (meanings from its PROVENANCE.md).
ACCURACY_CSV_COLUMNS: Mapping[str, str] = {
    "cifar10_test_200": "cifar10/test@200",
    "cifar100_test_200": "cifar100/test@200",
    "imagenet16_test_200": "imagenet16-120/test@200",
    "cifar10_valid_val_12": "cifar10-valid/valid@12",
    "cifar10_test_12": "cifar10/test@12",
    "cifar100_val_12": "cifar100/valid@12",
    "cifar100_test_12": "cifar100/test@12",
    "imagenet16_val_12": "imagenet16-120/valid@12",
    "imagenet16_test_12": "imagenet16-120/test@12",
    "cifar10_test_200_nb201v10": "cifar10/test@200:nb201-v1_0",
    "cifar100_test_200_nb201v11": "cifar100/test@200:nb201-v1_1",
}

#: Columns of ``nb201_cifar10valid_val200.csv.gz`` (NATS-Bench's 'cifar10-valid' runs, 200 epochs;
#: its PROVENANCE.md): the validation accuracy the NAS predictor papers train on, and the test and
#: train accuracies of the same models (trained on the 25k train split only). Its loss column is
#: not a percentage and is not read.
CIFAR10_VALID_CSV_COLUMNS: Mapping[str, str] = {
    "cifar10_valid_val_200": "cifar10-valid/valid@200",
    "cifar10_valid_test_200": "cifar10-valid/test@200",
    "cifar10_valid_train_200": "cifar10-valid/train@200",
}

#: A column already named the archgen way (so a table written by archgen reads back).
_METRIC_NAME = re.compile(r"^(cifar10-valid|cifar10|cifar100|imagenet16-120)/[a-z]+(@\d+)?(:[\w.-]+)?$")

#: NASLib's dataset names -> archgen's. Its cifar10 validation accuracy is cifar10-valid's x-valid.
NASLIB_DATASETS: Mapping[str, str] = {
    "cifar10": "cifar10-valid",
    "cifar100": "cifar100",
    "ImageNet16-120": "imagenet16-120",
}

#: NASLib column -> (metric suffix); validation accuracies are the 200-epoch ones.
NASLIB_COLUMNS: Mapping[str, str] = {"val_accuracy": "valid@200", "flops": "flops", "params": "params"}

ACCEPTED_FORMATS = (
    "nb201_accuracies CSV (.csv or .csv.gz with index, arch_str and metric columns)",
    "NASLib zero-cost CSV (dataset, index, arch_str, val_accuracy)",
    "NAS-Bench-201-v1_*.pth",
    "NATS-tss-v1_0-3ffb9.pickle.pbz2",
    "NATS-tss-v1_0-3ffb9-simple/ folder",
    "a plain pickle of the benchmark dict",
)

#: How torch.save's pre-1.6 format starts: a protocol-2 pickle of its magic number 0x1950A86A20F9469CFC6C.
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"

_CACHE_VERSION = "2"
_CACHE_KIND = "archgen.nb201.benchmark.v2"
_SNIFF_BYTES = 65_536


def load_benchmark(path: str | os.PathLike[str], space: SearchSpace, *, cache: bool = True) -> BenchmarkTable:
    """Reads an NAS-Bench-201 accuracy table in any format archgen knows.

    Args:
        path: A CSV (optionally gzipped), an official ``.pth``, a NATS pickle or a NATS fast-mode folder.
        space: The ``nb201`` space, used to check and normalise every arch string.
        cache: Whether to keep/read an ``.npz`` copy of tables read from the official files.

    Returns:
        The table: keys are the official arch strings in index order; columns
        are ``index`` and the metrics the file holds (see the module docstring).

    Raises:
        DataFileError: If the path is missing, the format is unknown, or the
            content is corrupt; the one-line message names the path and the problem.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise DataFileError(f"benchmark file {str(source)!r} does not exist")
    kind = _sniff(source)
    if kind in ("csv", "csv.gz"):
        keys, columns = _read_csv(source, space)
        return BenchmarkTable(space.name, keys, columns, str(source))
    cached = _read_cache(source) if cache else None
    if cached is not None:
        keys, columns = cached
        return BenchmarkTable(space.name, keys, columns, str(source))
    reader = {
        "torch": formats.read_nb201_pth,
        "pickle": formats.read_plain_pickle,
        "bz2": formats.read_nats_pickle,
        "nats-dir": formats.read_nats_directory,
    }[kind]
    records = reader(source)
    keys = tuple(_normalise(source, f"meta_archs[{i}]", text, space) for i, text in enumerate(records.arch_strs))
    _refuse_duplicates(source, keys, [f"meta_archs[{i}]" for i in range(len(keys))])
    columns: dict[str, np.ndarray] = {"index": np.arange(len(keys), dtype=float)}
    for key in sorted(records.metrics, key=_metric_order):
        columns[metric_name(key)] = records.metrics[key]
    if cache:
        _write_cache(source, keys, columns)
    return BenchmarkTable(space.name, keys, columns, str(source))


def metric_name(key: formats.MetricKey) -> str:
    """archgen's name for ``(dataset tag, split or cost, epochs)``, e.g. ``cifar10/test@200``."""
    tag, what, epochs = key
    return f"{tag}/{what}" if epochs is None else f"{tag}/{what}@{epochs}"


def _metric_order(key: formats.MetricKey) -> tuple[int, int, int, str]:
    tag, what, epochs = key
    datasets = list(formats.DATASET_TAGS.values())
    kinds = ["valid", "test", "flops", "params", "latency"]
    return (
        datasets.index(tag) if tag in datasets else len(datasets),
        -(epochs or 0),
        kinds.index(what) if what in kinds else len(kinds),
        what,
    )


# -- format detection ---------------------------------------------------------------------------------------


def _sniff(path: Path) -> str:
    """Names the format from the content: ``csv``, ``csv.gz``, ``torch``, ``pickle``, ``bz2`` or ``nats-dir``.

    Raises:
        DataFileError: For an unreadable, corrupt or unknown file (naming the accepted formats).
    """
    if path.is_dir():
        if formats.is_nats_directory(path):
            return "nats-dir"
        raise _unknown(path, "a folder without meta.pickle.pbz2")
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise DataFileError(f"cannot read benchmark file {str(path)!r}: {error.strerror or error}") from None
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as handle:
                inner = handle.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise DataFileError(f"{path}: corrupt gzip file ({error})") from None
        if _looks_like_csv(inner):
            return "csv.gz"
        raise _unknown(path, "a gzip file that does not hold a CSV with an arch_str column")
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"PK\x03\x04"):
        if _is_torch_zip(path):
            return "torch"
        raise _unknown(path, "a zip archive that torch.save did not write")
    if head.startswith(_TORCH_LEGACY_MAGIC):
        return "torch"  # torch.save's pre-1.6 format
    if head.startswith(b"\x80"):
        return "pickle"
    if _looks_like_csv(head):
        return "csv"
    raise _unknown(path, "unrecognised content")


def _is_torch_zip(path: Path) -> bool:
    """torch.save's zip container keeps the pickle as ``<name>/data.pkl``.

    Raises:
        DataFileError: If the zip archive itself is broken (e.g. a truncated download).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/data.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        raise DataFileError(f"{path}: corrupt zip/torch file ({error})") from None


def _looks_like_csv(head: bytes) -> bool:
    """Whether the first line is a CSV header naming ``arch_str``."""
    try:
        # Only the first line: the sniffed block may end inside a multi-byte character.
        first_line = head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return "arch_str" in [name.strip() for name in next(csv.reader([first_line]), [])]


def _unknown(path: Path, what: str) -> DataFileError:
    return DataFileError(
        f"{path}: unknown benchmark format ({what}); accepted: " + "; ".join(ACCEPTED_FORMATS)
    )


# -- CSV layouts ---------------------------------------------------------------------------------------------


def _read_csv(path: Path, space: SearchSpace) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    rows = read_csv_rows(path, what="benchmark file")
    header = next(rows, None)
    if not header:
        raise DataFileError(f"{path}: empty CSV")
    header = [name.strip() for name in header]
    if "dataset" in header and "val_accuracy" in header:
        return _read_naslib_csv(path, space, header, rows)
    return _read_accuracy_csv(path, space, header, rows)


def _require_columns(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFileError(f"{path}: CSV lacks column(s) {missing}; its header is {header}")


def _read_accuracy_csv(
    path: Path, space: SearchSpace, header: list[str], rows: Iterator[list[str]]
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    _require_columns(path, header, ("index", "arch_str"))
    known = {**ACCURACY_CSV_COLUMNS, **CIFAR10_VALID_CSV_COLUMNS}
    metric_columns = {
        position: known.get(name, name)
        for position, name in enumerate(header)
        if name in known or _METRIC_NAME.match(name)
    }
    if not metric_columns:
        raise DataFileError(
            f"{path}: CSV has no metric column; expected some of {sorted(known)} "
            "or names like 'cifar10/test@200'"
        )
    index_at, arch_at = header.index("index"), header.index("arch_str")
    records: list[tuple[int, str, list[float]]] = []
    seen_index: dict[int, int] = {}
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        _check_width(path, line, row, header)
        index = _parse_index(path, line, row[index_at])
        if index in seen_index:
            raise DataFileError(f"{path}: line {line} repeats index {index} (first at line {seen_index[index]})")
        seen_index[index] = line
        key = _normalise(path, f"line {line}", row[arch_at], space)
        values = [_parse_float(path, line, header[position], row[position]) for position in metric_columns]
        records.append((index, key, values))
    if not records:
        raise DataFileError(f"{path}: CSV has a header but no rows")
    records.sort(key=lambda record: record[0])
    keys = tuple(record[1] for record in records)
    _refuse_duplicates(path, keys, [f"line {seen_index[record[0]]}" for record in records])
    values = np.array([record[2] for record in records], dtype=float)
    columns = {"index": np.array([record[0] for record in records], dtype=float)}
    for column, name in enumerate(metric_columns.values()):
        columns[name] = values[:, column]
    return keys, columns


def _read_naslib_csv(
    path: Path, space: SearchSpace, header: list[str], rows: Iterator[list[str]]
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """Pivots NASLib's long format (one row per dataset and cell) to one row per cell."""
    _require_columns(path, header, ("dataset", "index", "arch_str", "val_accuracy"))
    dataset_at, index_at, arch_at = header.index("dataset"), header.index("index"), header.index("arch_str")
    value_columns = [(header.index(name), suffix) for name, suffix in NASLIB_COLUMNS.items() if name in header]
    key_of_index: dict[int, tuple[str, int]] = {}
    figures: dict[str, dict[int, float]] = {}
    seen: set[tuple[str, int]] = set()
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        _check_width(path, line, row, header)
        dataset = row[dataset_at]
        if dataset not in NASLIB_DATASETS:
            raise DataFileError(
                f"{path}: line {line} has dataset {dataset!r}; expected one of {sorted(NASLIB_DATASETS)}"
            )
        index = _parse_index(path, line, row[index_at])
        if (dataset, index) in seen:
            raise DataFileError(f"{path}: line {line} repeats ({dataset}, index {index})")
        seen.add((dataset, index))
        key = _normalise(path, f"line {line}", row[arch_at], space)
        if index in key_of_index and key_of_index[index][0] != key:
            raise DataFileError(
                f"{path}: line {line} gives index {index} the arch {key!r}, "
                f"but line {key_of_index[index][1]} gave {key_of_index[index][0]!r}"
            )
        key_of_index.setdefault(index, (key, line))
        tag = NASLIB_DATASETS[dataset]
        for position, suffix in value_columns:
            figures.setdefault(f"{tag}/{suffix}", {})[index] = _parse_float(path, line, header[position], row[position])
    if not key_of_index:
        raise DataFileError(f"{path}: CSV has a header but no rows")
    indexes = sorted(key_of_index)
    keys = tuple(key_of_index[index][0] for index in indexes)
    _refuse_duplicates(path, keys, [f"line {key_of_index[index][1]}" for index in indexes])
    columns = {"index": np.array(indexes, dtype=float)}
    tags, kinds = list(NASLIB_DATASETS.values()), list(NASLIB_COLUMNS.values())
    for name in sorted(figures, key=lambda name: (tags.index(name.split("/")[0]), kinds.index(name.split("/")[1]))):
        columns[name] = np.array([figures[name].get(index, np.nan) for index in indexes])
    return keys, columns


def _check_width(path: Path, line: int, row: list[str], header: list[str]) -> None:
    if len(row) != len(header):
        raise DataFileError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")


def _parse_index(path: Path, line: int, text: str) -> int:
    try:
        index = int(text)
    except ValueError:
        raise DataFileError(f"{path}: line {line} has index {text!r}; expected an integer") from None
    if not 0 <= index < NUM_CELLS:
        raise DataFileError(f"{path}: line {line} has index {index}; NAS-Bench-201 indexes are 0..{NUM_CELLS - 1}")
    return index


def _parse_float(path: Path, line: int, column: str, text: str) -> float:
    if text.strip() == "":
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise DataFileError(f"{path}: line {line} column {column!r} has {text!r}; expected a number") from None


def _normalise(path: Path, where: str, text: object, space: SearchSpace) -> str:
    """The official form of one arch string, or a DataFileError naming where it was."""
    try:
        return space.to_string(space.from_string(text))  # type: ignore[arg-type]
    except InvalidArchitectureError as error:
        raise DataFileError(f"{path}: {where}: {error}") from None


def _refuse_duplicates(path: Path, keys: tuple[str, ...], where: list[str]) -> None:
    first: dict[str, str] = {}
    for key, place in zip(keys, where):
        if key in first:
            raise DataFileError(f"{path}: {place} repeats arch {key!r} (first at {first[key]})")
        first[key] = place


# -- cache of tables read from the official files -----------------------------------------------------------


def _fingerprint(source: Path) -> str:
    digest = hashlib.sha256(_CACHE_VERSION.encode())
    files = [source]
    if source.is_dir():
        per_arch = formats.nats_directory_files(source)
        files = [source / "meta.pickle.pbz2", *(per_arch[index] for index in sorted(per_arch))]
    for file in files:
        status = file.stat()
        digest.update(f"{file.name}:{status.st_size}:{status.st_mtime_ns};".encode())
    with open(files[0], "rb") as handle:
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:32]


def _cache_file(source: Path) -> Path:
    return cache_dir("nb201-benchmark") / f"{_fingerprint(source)}.npz"


def _read_cache(source: Path) -> tuple[tuple[str, ...], dict[str, np.ndarray]] | None:
    """The table cached for ``source``, or ``None`` (a stale or broken cache means: read the source again)."""
    arrays = load_checked_npz(_cache_file(source), _CACHE_KIND, ("keys", "names", "values"))
    if arrays is None:
        return None
    keys = tuple(str(key) for key in arrays["keys"])
    names = [str(name) for name in arrays["names"]]
    values = np.asarray(arrays["values"], dtype=float)
    if values.shape != (len(names), len(keys)):
        return None
    return keys, {name: values[i].copy() for i, name in enumerate(names)}


def _write_cache(source: Path, keys: tuple[str, ...], columns: Mapping[str, np.ndarray]) -> None:
    names = list(columns)
    arrays = {
        "keys": np.array(keys, dtype=str),
        "names": np.array(names, dtype=str),
        "values": np.stack([np.asarray(columns[name], dtype=float) for name in names]),
    }
    try:
        save_checked_npz(_cache_file(source), arrays, _CACHE_KIND)
    except OSError as error:
        logger.warning("could not cache the NAS-Bench-201 table read from %s: %s", source, error)


__all__ = [
    "ACCEPTED_FORMATS",
    "ACCURACY_CSV_COLUMNS",
    "CIFAR10_VALID_CSV_COLUMNS",
    "NASLIB_COLUMNS",
    "NASLIB_DATASETS",
    "load_benchmark",
    "metric_name",
]
