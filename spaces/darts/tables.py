"""The ``darts`` space's table loader: the staged NAS-Bench-301 / NASLib DARTS genotype files.

Two gzipped CSV layouts (see ``shared/data/nasbench301/PROVENANCE.md``):

* ``nb301_zc_naslib_725.csv.gz``: 725 genotypes with ``val_accuracy`` (CIFAR-10
  validation accuracy in %), ``flops``, ``params`` and zero-cost proxy scores
  (NASLib ``zc_nasbench301.json``);
* ``nb301_archs_naslib_11221.csv.gz``: 11,221 unlabelled genotypes (NASLib
  ``archs_nasbench301.json``).

Both carry ``normal`` and ``reduce`` columns: JSON lists of ``[op, input]``
in DARTS genotype order, concatenation ``[2, 3, 4, 5]``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Protocol

import numpy as np

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError
from archgen.io import read_csv_records
from archgen.registry import load
from archgen.spaces.darts.genotype import CONCAT, Genotype

LABELLED_FILE = "nb301_zc_naslib_725.csv.gz"
UNLABELLED_FILE = "nb301_archs_naslib_11221.csv.gz"

#: Columns of the labelled file that are not metrics.
_ARCH_COLUMNS = ("compact", "normal", "reduce", "naslib_idx")


class GenotypeSpace(Protocol):
    """A space that builds architectures from DARTS genotypes (``darts``, ``darts_cell``).

    The loader names what it needs rather than importing ``DartsSpace``, whose module imports
    this one to read its benchmark: the two would be an import cycle.
    """

    def from_genotype(self, genotype: Genotype) -> Architecture: ...


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of one of the staged CSV files (gzipped or plain).

    Raises:
        DataFileError: If the file is missing, unreadable or lacks ``normal``/``reduce``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"NAS-Bench-301 file {str(path)!r} not found; see shared/data/nasbench301/PROVENANCE.md")
    header, rows = read_csv_records(path, what="NAS-Bench-301 file")
    if not rows or not {"normal", "reduce"} <= set(header):
        raise DataFileError(
            f"NAS-Bench-301 file {str(path)!r} has no 'normal'/'reduce' columns or no rows (header {header})"
        )
    return rows


def genotype_of_row(row: dict[str, str], where: str = "") -> Genotype:
    """The (unvalidated) genotype of one CSV row.

    Raises:
        DataFileError: If ``normal``/``reduce`` are not JSON lists of ``[op, input]``.
    """
    cells = []
    for column in ("normal", "reduce"):
        try:
            pairs = json.loads(row[column])
            cells.append(tuple((str(op), int(index)) for op, index in pairs))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise DataFileError(
                f"{where}: column {column!r} is not a JSON list of [op, input] ({type(error).__name__}): "
                f"{str(row.get(column))[:60]!r}"
            ) from None
    return Genotype(cells[0], CONCAT, cells[1], CONCAT)


def load_genotypes(path: str | Path) -> list[Genotype]:
    """Every genotype of a staged file (either layout), validated.

    Raises:
        DataFileError: If the file is unreadable or a row is not a valid DARTS genotype.
    """
    genotypes = []
    for number, row in enumerate(read_rows(path), start=2):
        where = f"{Path(path).name} line {number}"
        genotype = genotype_of_row(row, where)
        reason = genotype.why_invalid()
        if reason is not None:
            raise DataFileError(f"{where}: not a valid DARTS genotype: {reason}")
        genotypes.append(genotype)
    return genotypes


def load_architectures(path: str | Path, space: GenotypeSpace | None = None) -> list[Architecture]:
    """Every genotype of a staged file (either layout) as a ``darts`` architecture, in file order.

    Args:
        path: One of the staged CSV files.
        space: The space to build them with (the default ``darts`` space if ``None``).

    Raises:
        DataFileError: If the file is unreadable or a row is not a valid DARTS genotype.
    """
    if space is None:
        # Through the registry, as core finds every space: importing DartsSpace here would close a cycle.
        space = load("space", "darts")
    return [space.from_genotype(genotype) for genotype in load_genotypes(path)]


def load_benchmark(path: str | Path, space: str = "darts") -> BenchmarkTable:
    """The labelled file as a table keyed by the genotype string, one float column per metric.

    Raises:
        DataFileError: If the file is unreadable, a genotype invalid, a metric
            not a number, or no metric column exists.
    """
    rows = read_rows(path)
    genotypes = load_genotypes(path)
    metrics = [name for name in rows[0] if name not in _ARCH_COLUMNS]
    if not metrics:
        raise DataFileError(f"NAS-Bench-301 file {str(path)!r} has no metric columns (only {list(rows[0])})")
    columns = {name: np.empty(len(rows)) for name in metrics}
    for i, row in enumerate(rows):
        for name in metrics:
            text = row[name]
            try:
                columns[name][i] = float(text) if text != "" else math.nan
            except ValueError:
                raise DataFileError(
                    f"{Path(path).name} line {i + 2}: metric {name!r} is {text!r}, not a number"
                ) from None
    return BenchmarkTable(space, tuple(g.to_string() for g in genotypes), columns, source=str(path))
