"""The staged NAS-Bench-301 genotype files: every genotype parses, validates and round-trips."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import archgen
from archgen.errors import DataFileError
from archgen.spaces.darts import integer_codes
from archgen.spaces.darts.tables import (
    LABELLED_FILE,
    UNLABELLED_FILE,
    load_architectures,
    load_benchmark,
    load_genotypes,
)
from archgen.spaces.darts.space import DartsSpace
from archgen.testing import require_shared_data

pytestmark = pytest.mark.data


def _data(name: str) -> Path:
    return require_shared_data("nasbench301", name)


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return DartsSpace()


@pytest.mark.parametrize(("name", "rows"), [(LABELLED_FILE, 725), (UNLABELLED_FILE, 11_221)])
def test_every_genotype_parses_validates_and_round_trips(space: DartsSpace, name: str, rows: int) -> None:
    genotypes = load_genotypes(_data(name))
    assert len(genotypes) == rows
    for genotype in genotypes:
        assert genotype.why_invalid() is None
        text = genotype.to_string()
        arch = space.from_string(text)
        assert space.is_valid(arch) and space.paper_valid(arch)
        assert space.to_string(arch) == text
        assert space.to_genotype(arch) == genotype
    # Rows are distinct even up to input order (PROVENANCE.md: distinct architectures).
    inputs, ops = integer_codes.arrays_from_genotypes(genotypes)
    assert len(np.unique(integer_codes.canonical_codes(inputs, ops))) == rows


def test_architecture_loader_keeps_file_order(space: DartsSpace) -> None:
    path = _data(LABELLED_FILE)
    archs = load_architectures(path, space)
    assert [space.to_string(a) for a in archs] == list(load_benchmark(path).keys)
    assert all(a.space == "darts" for a in archs)


def test_the_two_files_share_no_genotype() -> None:
    # PROVENANCE.md: "None of the 725 zc archs above is in this list"; holds up to input order too.
    codes = [
        set(integer_codes.canonical_codes(*integer_codes.arrays_from_genotypes(load_genotypes(_data(name)))).tolist())
        for name in (LABELLED_FILE, UNLABELLED_FILE)
    ]
    assert not codes[0] & codes[1]


def test_benchmark_table_is_keyed_by_the_genotype_string(space: DartsSpace) -> None:
    table = load_benchmark(_data(LABELLED_FILE))
    assert len(table) == 725
    assert {"val_accuracy", "flops", "params", "synflow"} <= set(table.metrics)
    accuracy = table.column("val_accuracy")
    # PROVENANCE.md: val_accuracy range 91.24 - 94.49, mean 93.12.
    assert round(accuracy.min(), 2) == 91.24 and round(accuracy.max(), 2) == 94.49
    assert round(accuracy.mean(), 2) == 93.12
    first = table.keys[0]
    assert space.to_string(space.from_string(first)) == first
    # First data row of the file: normal [["max_pool_3x3", 0], ["dil_conv_3x3", 1], ...], val_accuracy 93.3211...
    assert first.startswith("Genotype(normal=[('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('avg_pool_3x3', 1)")
    assert table.row(first)["val_accuracy"] == pytest.approx(93.32119084207302)


def test_space_benchmark_option(space: DartsSpace) -> None:
    path = _data(LABELLED_FILE)
    configured = archgen.load("space", "darts", benchmark=str(path))
    assert len(configured.benchmark()) == 725
    with pytest.raises(DataFileError, match="no benchmark table"):
        space.benchmark()


def test_corrupt_files_raise_data_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="not found"):
        load_genotypes(tmp_path / "missing.csv.gz")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(DataFileError, match="cannot read"):
        load_genotypes(broken)
    invalid = tmp_path / "invalid.csv.gz"
    with gzip.open(invalid, "wt") as handle:
        handle.write('normal,reduce\n"[[""none"", 0]]","[]"\n')
    with pytest.raises(DataFileError, match="line 2: not a valid DARTS genotype"):
        load_genotypes(invalid)
    unparsable = tmp_path / "unparsable.csv"
    unparsable.write_text("normal,reduce\n{oops,[]\n")
    with pytest.raises(DataFileError, match="column 'normal' is not a JSON list"):
        load_genotypes(unparsable)
