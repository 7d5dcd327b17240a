"""Former name of :mod:`archgen.spaces.darts.tables`, kept for code that imports the documented loaders from here."""

from archgen.spaces.darts.tables import (
    LABELLED_FILE,
    UNLABELLED_FILE,
    genotype_of_row,
    load_architectures,
    load_genotypes,
    read_rows,
)
from archgen.spaces.darts.tables import load_benchmark as load_benchmark_table

__all__ = [
    "LABELLED_FILE",
    "UNLABELLED_FILE",
    "genotype_of_row",
    "load_architectures",
    "load_benchmark_table",
    "load_genotypes",
    "read_rows",
]
