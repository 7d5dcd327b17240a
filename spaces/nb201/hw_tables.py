"""Hardware latency and energy of NAS-Bench-201 cells (HW-NAS-Bench-360's table).

``nb201_hw360_latency_energy.csv.gz`` (see ``../shared/data/nasbench201/PROVENANCE.md``;
github roldebijvank/HW-NAS-Bench-360, ``results/dataset.parquet``) has one row
per (cell, device, framework, task): ``arch_idx`` (the NAS-Bench-201 index),
``device`` (``pi5``, ``pixel``), ``framework`` (``litert``, ``onnx``,
``torchmobile``), ``task`` (``cifar100``, ``ninapro``, ``darcy``),
``lat_ms_median`` (ms), ``energy_mj`` (mJ; empty on the Pixel) and ``status``.
Only the measured representative of each isomorphism class was timed
(``rep_arch_idx``); its figures are copied to the other members.

The metrics are ``hw360/<device>-<framework>/<task>/latency`` (ms) and
``.../energy`` (mJ). The optional ``accuracy`` column adds ``ninapro/test@200``:
NAS-Bench-360's NinaPro test accuracy (%) after 200 epochs, seed 777 (the
repo's ``scripts/utils/task_specs.py`` reads ``eval_acc1es['ori-test@199']`` of
``NATS-tss-v1_0-daa55.pickle``), the same on every device row of a cell. Its
DarcyFlow values are not exposed: NAS-Bench-360 scores DarcyFlow by relative
L2 error (lower is better), yet the column runs from -0.80 to 0.985 under the
name ``accuracy``, and nothing in the source says what transform it holds.

The file holds NAS-Bench-201 indexes, not cells, so the table is built with
the index -> arch-string map of the space's accuracy table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError
from archgen.io import read_csv_records

#: CSV column -> metric suffix.
MEASUREMENTS: Mapping[str, str] = {"lat_ms_median": "latency", "energy_mj": "energy"}

#: NAS-Bench-360 task -> metric of its ``accuracy`` column (see the module docstring).
TASK_ACCURACIES: Mapping[str, str] = {"ninapro": "ninapro/test@200"}

_REQUIRED = ("arch_idx", "device", "framework", "task", "status", *MEASUREMENTS)


def metric_name(device: str, framework: str, task: str, measurement: str) -> str:
    """``hw360/<device>-<framework>/<task>/<latency|energy>``."""
    return f"hw360/{device}-{framework}/{task}/{measurement}"


def load_hw_benchmark(path: str | os.PathLike[str], arch_of_index: Mapping[int, str], space: str = "nb201") -> BenchmarkTable:
    """Reads the HW-NAS-Bench-360 table, keyed by the official arch strings.

    Args:
        path: ``nb201_hw360_latency_energy.csv.gz`` (or a plain CSV of the same columns).
        arch_of_index: NAS-Bench-201 index -> official arch string (from the accuracy table).
        space: The space's name.

    Returns:
        One row per index of ``arch_of_index``; rows whose ``status`` is not
        ``ok`` and empty fields are NaN.

    Raises:
        DataFileError: If the file is unreadable, lacks a column, or names an
            index the accuracy table does not have, or a number is malformed.
    """
    _, records = read_csv_records(path, what="HW-NAS-Bench-360 file", required=_REQUIRED)
    indexes = sorted(arch_of_index)
    row_of = {index: row for row, index in enumerate(indexes)}
    columns: dict[str, np.ndarray] = {}
    for line, record in enumerate(records, start=2):
        try:
            row = row_of[int(record["arch_idx"])]
        except (KeyError, ValueError):
            raise DataFileError(
                f"{path}: line {line} has arch_idx {record['arch_idx']!r}, which the accuracy table does not index"
            ) from None
        for column, measurement in MEASUREMENTS.items():
            name = metric_name(record["device"], record["framework"], record["task"], measurement)
            if name not in columns:
                columns[name] = np.full(len(indexes), np.nan)
            text = record[column].strip()
            if record["status"] != "ok" or text == "":
                continue
            try:
                columns[name][row] = float(text)
            except ValueError:
                raise DataFileError(f"{path}: line {line} column {column!r} has {text!r}; expected a number") from None
        accuracy_metric = TASK_ACCURACIES.get(record["task"])
        text = (record.get("accuracy") or "").strip()
        if accuracy_metric is not None and text and record["status"] == "ok":
            try:
                value = float(text)
            except ValueError:
                raise DataFileError(f"{path}: line {line} column 'accuracy' has {text!r}; expected a number") from None
            column_values = columns.setdefault(accuracy_metric, np.full(len(indexes), np.nan))
            if not np.isnan(column_values[row]) and column_values[row] != value:
                raise DataFileError(
                    f"{path}: line {line} gives {record['task']} accuracy {value} for arch_idx {record['arch_idx']}, "
                    f"another row {column_values[row]}; the task's accuracy must not depend on the device"
                )
            column_values[row] = value
    return BenchmarkTable(space, tuple(arch_of_index[index] for index in indexes), columns, source=str(path))
