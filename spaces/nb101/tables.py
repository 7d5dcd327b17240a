"""NAS-Bench-101 metrics: the official TFRecord files and the NASLib CSV layout.

Tables are keyed by the official module hash of the pruned cell (what
:meth:`NB101Space.canonical_key` returns), because that is the dataset's own
key and it does not depend on the vertex order a caller happens to use:
``table.row(space.canonical_key(arch))``.

The official files (``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``)
take minutes to parse, so :func:`load_official` converts a file once into a
columnar ``.npz`` in the cache folder (written atomically, checksummed) and
loads that afterwards.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError
from archgen.io import load_checked_npz, read_csv_records, save_checked_npz
from archgen.io.cache import cache_dir as user_cache_dir
from archgen.progress import progress
from archgen.spaces.nb101.hashing import hash_module, labels_of
from archgen.spaces.nb101.records import parse_record
from archgen.spaces.nb101.spec import MAX_VERTICES, domain_error, prune
from archgen.spaces.nb101.tfrecord import read_records

#: Per-run metrics kept from each record's final evaluation (``evaluation_data[2]``).
RUN_METRICS = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
#: Runs per cell and epoch budget in the release (``config['num_repeats']``).
NUM_RUNS = 3
#: Op names of the columnar form, indexed by ``ops``.
OP_NAMES = ("input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output")

_KIND = "archgen.nb101.official.v1"
_NAMES = ("hashes", "num_vertices", "adjacency", "ops", "epochs", "trainable_parameters", "runs", *RUN_METRICS)


@dataclass(frozen=True)
class OfficialData:
    """The official data in columnar form, one row per cell in file order.

    Attributes:
        hashes: ``[N]`` module hashes (``str``).
        num_vertices: ``[N]`` vertex counts.
        adjacency: ``[N, 7, 7]`` 0/1, zero-padded at the end.
        ops: ``[N, 7]`` indices into :data:`OP_NAMES`, ``-1`` on padding.
        epochs: ``[E]`` epoch budgets present (4, 12, 36, 108 or just 108).
        trainable_parameters: ``[N]``.
        runs: ``[N, E]`` number of runs recorded.
        metrics: name -> ``[N, E, 3]`` per-run values (NaN where a run is missing).
        source: The file it came from.
    """

    hashes: np.ndarray
    num_vertices: np.ndarray
    adjacency: np.ndarray
    ops: np.ndarray
    epochs: np.ndarray
    trainable_parameters: np.ndarray
    runs: np.ndarray
    metrics: dict[str, np.ndarray]
    source: str = ""

    def __len__(self) -> int:
        return len(self.hashes)

    def architecture(self, index: int, space: str = "nb101") -> Architecture:
        """Cell ``index`` as stored in the file (the official ``module_adjacency``/``module_operations``)."""
        n = int(self.num_vertices[index])
        return Architecture.from_arrays(
            space, self.adjacency[index, :n, :n], tuple(OP_NAMES[i] for i in self.ops[index, :n])
        )

    def table(self) -> BenchmarkTable:
        """Mean over runs of each metric and budget, plus ``trainable_parameters``.

        Columns are ``"<metric>@<epochs>"``, e.g. ``validation_accuracy@108``
        (accuracies as fractions in [0, 1], times in seconds).
        """
        columns: dict[str, np.ndarray] = {"trainable_parameters": self.trainable_parameters.astype(float)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a budget absent for a cell -> NaN
            for name, values in self.metrics.items():
                for e, epochs in enumerate(self.epochs.tolist()):
                    columns[f"{name}@{epochs}"] = np.nanmean(values[:, e, :], axis=1)
        return BenchmarkTable("nb101", tuple(self.hashes.tolist()), columns, source=self.source)


def load_official(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> OfficialData:
    """Reads an official ``.tfrecord`` (via its cached conversion) or a converted ``.npz``.

    Args:
        path: ``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord`` or an
            ``.npz`` written by this module.
        cache_dir: Folder of the conversion cache (default: the archgen cache folder).

    Returns:
        The data in columnar form.

    Raises:
        DataFileError: If the file is missing or corrupt.
    """
    path = Path(path)
    if path.suffix == ".npz":
        arrays = load_checked_npz(path, _KIND, _NAMES)
        if arrays is None:
            raise DataFileError(f"{str(path)!r} is not a converted NAS-Bench-101 table (or it is corrupt)")
        return _from_arrays(arrays, str(path))
    try:
        stat = path.stat()
    except OSError as error:
        raise DataFileError(f"cannot read NAS-Bench-101 file {str(path)!r}: {error.strerror or error}") from None
    folder = user_cache_dir(override=cache_dir)
    cached = folder / f"nb101_{path.stem}_{stat.st_size}_{stat.st_mtime_ns}.npz"
    arrays = load_checked_npz(cached, _KIND, _NAMES)
    if arrays is None:
        arrays = convert_tfrecord(path)
        save_checked_npz(cached, arrays, _KIND)
    return _from_arrays(arrays, str(path))


def convert_tfrecord(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Parses an official TFRecord file into the columnar arrays of :class:`OfficialData`.

    Raises:
        DataFileError: On a bad CRC, a malformed record, an unknown op, or more
            than 3 runs of one cell at one budget.
    """
    index: dict[str, int] = {}
    fixed: list[tuple[str, str, tuple[str, ...], int]] = []
    runs: dict[tuple[int, int], list[tuple[float, ...]]] = {}
    epochs_seen: set[int] = set()
    for payload in progress(read_records(path), desc=f"reading {Path(path).name}"):
        record = parse_record(payload)
        row = index.get(record.module_hash)
        if row is None:
            row = index[record.module_hash] = len(fixed)
            fixed.append((record.module_hash, record.adjacency, record.ops, record.trainable_parameters))
        epochs_seen.add(record.epochs)
        final = record.final
        runs.setdefault((row, record.epochs), []).append(tuple(getattr(final, name) for name in RUN_METRICS))
    epochs = np.array(sorted(epochs_seen), dtype=np.int64)
    n, e = len(fixed), len(epochs)
    arrays: dict[str, np.ndarray] = {
        "hashes": np.array([f[0] for f in fixed], dtype="U32"),
        "num_vertices": np.zeros(n, dtype=np.int8),
        "adjacency": np.zeros((n, MAX_VERTICES, MAX_VERTICES), dtype=np.uint8),
        "ops": np.full((n, MAX_VERTICES), -1, dtype=np.int8),
        "epochs": epochs,
        "trainable_parameters": np.array([f[3] for f in fixed], dtype=np.int64),
        "runs": np.zeros((n, e), dtype=np.int8),
        **{name: np.full((n, e, NUM_RUNS), np.nan) for name in RUN_METRICS},
    }
    op_index = {name: i for i, name in enumerate(OP_NAMES)}
    for row, (module_hash, raw_adjacency, ops, _) in enumerate(fixed):
        size = len(ops)
        if size > MAX_VERTICES or len(raw_adjacency) != size * size or set(raw_adjacency) - {"0", "1"}:
            raise DataFileError(f"record {module_hash} has adjacency {raw_adjacency!r} for {size} ops")
        arrays["num_vertices"][row] = size
        arrays["adjacency"][row, :size, :size] = np.frombuffer(raw_adjacency.encode(), np.uint8).reshape(size, size) - 48
        try:
            arrays["ops"][row, :size] = [op_index[op] for op in ops]
        except KeyError as error:
            raise DataFileError(f"record {module_hash} has unknown op {error.args[0]!r}; expected one of {list(OP_NAMES)}") from None
    column = {int(v): i for i, v in enumerate(epochs.tolist())}
    for (row, budget), values in runs.items():
        if len(values) > NUM_RUNS:
            raise DataFileError(f"cell {fixed[row][0]} has {len(values)} runs at {budget} epochs; expected at most {NUM_RUNS}")
        e_index = column[budget]
        arrays["runs"][row, e_index] = len(values)
        for r, metrics in enumerate(values):
            for name, value in zip(RUN_METRICS, metrics):
                arrays[name][row, e_index, r] = value
    return arrays


def _from_arrays(arrays: dict[str, np.ndarray], source: str) -> OfficialData:
    return OfficialData(
        hashes=arrays["hashes"],
        num_vertices=arrays["num_vertices"],
        adjacency=arrays["adjacency"],
        ops=arrays["ops"],
        epochs=arrays["epochs"],
        trainable_parameters=arrays["trainable_parameters"],
        runs=arrays["runs"],
        metrics={name: arrays[name] for name in RUN_METRICS},
        source=source,
    )


# -- the NASLib CSV layout of ../shared/data/nasbench101 ----------------------------------------


def load_naslib_csv(path: str | os.PathLike[str], space: str = "nb101") -> tuple[list[Architecture], BenchmarkTable | None]:
    """Reads a CSV with ``hash,adjacency,ops[,metric...]`` columns (gzip or plain).

    ``adjacency`` is the row-major 0/1 string, ``ops`` the comma-joined names.
    The cells are returned as stored -- NASLib's are mostly *unpruned* random
    specs, so several rows can be the same cell. The table is keyed by the
    official hash of the pruned cell; the rows of one cell are averaged
    (NASLib's ``val_accuracy`` is one randomly chosen run of the 3 per row,
    while its ``params``/``flops``/proxies were computed on the stored spec).

    The ``hash`` column is checked: it must be ``hash_module`` of the stored
    matrix (how ../shared/data/nasbench101 computed it) or the official key.

    Args:
        path: The CSV file.
        space: Space name to tag the architectures with.

    Returns:
        ``(architectures in file order, metrics table or None if no metric columns)``.

    Raises:
        DataFileError: If a row is malformed, invalid, or its hash disagrees.
    """
    path = Path(path)
    required = ("hash", "adjacency", "ops")
    fieldnames, records = read_csv_records(path, what="NAS-Bench-101 CSV", required=required)
    metric_names = [name for name in fieldnames if name not in required and name != "naslib_idx"]
    archs: list[Architecture] = []
    keys: list[str] = []
    values: list[list[float]] = []
    for line, row in enumerate(records, start=2):
        arch, key = _csv_cell(row, line, path, space)
        archs.append(arch)
        keys.append(key)
        try:
            values.append([float(row[name]) for name in metric_names])
        except (TypeError, ValueError):
            raise DataFileError(f"{str(path)!r} line {line}: non-numeric metric in {row}") from None
    if not metric_names:
        return archs, None
    order = list(dict.fromkeys(keys))
    position = {key: i for i, key in enumerate(order)}
    sums = np.zeros((len(order), len(metric_names)))
    counts = np.zeros(len(order))
    for key, row_values in zip(keys, values):
        sums[position[key]] += row_values
        counts[position[key]] += 1
    means = sums / counts[:, None]
    table = BenchmarkTable(space, tuple(order), {name: means[:, j] for j, name in enumerate(metric_names)}, source=str(path))
    return archs, table


def _csv_cell(row: dict[str, str], line: int, path: Path, space: str) -> tuple[Architecture, str]:
    bits, ops = row["adjacency"] or "", tuple((row["ops"] or "").split(","))
    n = len(ops)
    if len(bits) != n * n or set(bits) - {"0", "1"}:
        raise DataFileError(f"{str(path)!r} line {line}: adjacency {bits!r} is not {n}x{n} 0/1 digits")
    matrix = np.frombuffer(bits.encode(), np.uint8).reshape(n, n) - 48
    if np.tril(matrix).any():
        raise DataFileError(f"{str(path)!r} line {line}: adjacency is not strictly upper triangular")
    arch = Architecture.from_arrays(space, matrix, ops)
    reason = domain_error(arch.adjacency, arch.ops)
    if reason is not None:
        raise DataFileError(f"{str(path)!r} line {line}: not a valid NB101 cell: {reason}")
    pruned = prune(arch.adjacency, arch.ops)
    assert pruned is not None
    key = hash_module(pruned[0], labels_of(pruned[1]))
    if row["hash"] not in (key, hash_module(arch.adjacency, labels_of(arch.ops))):
        raise DataFileError(f"{str(path)!r} line {line}: hash {row['hash']!r} does not match the cell (official key {key})")
    return arch, key


def load_benchmark(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> BenchmarkTable:
    """The metrics table of any supported file, keyed by the official hash.

    ``.csv``/``.csv.gz`` files are read with :func:`load_naslib_csv`;
    ``.tfrecord`` and ``.npz`` with :func:`load_official`.

    Raises:
        DataFileError: If the file is missing, of an unknown kind, or corrupt.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        _, table = load_naslib_csv(path)
        if table is None:
            raise DataFileError(f"{str(path)!r} has cells but no metric columns")
        return table
    if name.endswith((".tfrecord", ".npz")):
        return load_official(path, cache_dir).table()
    raise DataFileError(
        f"unknown NAS-Bench-101 data file {str(path)!r}; expected .tfrecord, a converted .npz, or .csv/.csv.gz"
    )
