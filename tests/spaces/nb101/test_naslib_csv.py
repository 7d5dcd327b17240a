"""The staged NASLib subsets of ../shared/data/nasbench101 (skipped when absent)."""

from __future__ import annotations

import collections
import csv
import gzip
from pathlib import Path

import pytest

from archgen.errors import DataFileError
from archgen.spaces.nb101.hashing import hash_module, labels_of
from archgen.spaces.nb101.space import NB101Options, NB101Space
from archgen.spaces.nb101.tables import load_naslib_csv
from archgen.testing import require_shared_data

pytestmark = pytest.mark.data


def _require(name: str) -> Path:
    return require_shared_data("nasbench101", name)


@pytest.fixture(scope="module")
def labelled():
    return load_naslib_csv(_require("nb101_zc_naslib_500.csv.gz"))


def test_all_cells_load_valid_and_match_the_hash_column(labelled) -> None:
    archs, table = labelled
    space = NB101Space()
    assert len(archs) == 500
    assert all(space.is_valid(arch) for arch in archs)
    # The staged hash column is hash_module of the stored (unpruned) matrix; the loader checked every row.
    assert table is not None and "val_accuracy" in table.metrics


def test_stored_specs_are_unpruned_so_the_dataset_key_needs_pruning(labelled) -> None:
    # NASLib stored random specs as sampled; the dataset key is the hash of the *pruned* spec.
    archs, _ = labelled
    space = NB101Space()
    needs_pruning = sum(space.prune(arch) != arch for arch in archs)
    assert needs_pruning == 499
    assert all(space.canonical_key(space.prune(arch)) == space.canonical_key(arch) for arch in archs[:50])
    raw = [hash_module(arch.adjacency, labels_of(arch.ops)) for arch in archs]
    assert sum(h == space.canonical_key(a) for h, a in zip(raw, archs)) == 1


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt") as handle:
        return list(csv.DictReader(handle))


def test_rows_of_one_cell_hold_at_most_its_three_runs(labelled) -> None:
    # NASLib queried NAS-Bench-101 by the pruned hash, which returns one of the 3 runs at random. Rows
    # that prune to one cell may thus differ, but show at most 3 distinct validation accuracies; a
    # wrong grouping (cells merged by a bad key) would show more. (params/flops/proxies are NASLib's own
    # computations on the stored, unpruned spec, so they are not expected to agree.)
    archs, _ = labelled
    space = NB101Space()
    groups = collections.defaultdict(set)
    for arch, row in zip(archs, _rows(_require("nb101_zc_naslib_500.csv.gz"))):
        groups[space.canonical_key(arch)].add(row["val_accuracy"])
    assert len(groups) == 292
    assert max(len(values) for values in groups.values()) <= 3
    assert any(len(values) > 1 for values in groups.values())


def test_table_is_keyed_by_canonical_key_and_averages_rows(labelled) -> None:
    archs, table = labelled
    space = NB101Space()
    assert len(table) == 292
    assert all(space.canonical_key(arch) in table for arch in archs)
    # input -> output directly: 55 of the 500 rows prune to it.
    key = space.canonical_key(space.from_string("0100|input,output"))
    values = [float(row["val_accuracy"]) for arch, row in zip(archs, _rows(_require("nb101_zc_naslib_500.csv.gz")))
              if space.canonical_key(arch) == key]
    assert len(values) == 55
    assert table.row(key)["val_accuracy"] == pytest.approx(sum(values) / len(values))


def test_unlabelled_1000_archs() -> None:
    archs, table = load_naslib_csv(_require("nb101_archs_naslib_1000.csv.gz"))
    space = NB101Space()
    assert len(archs) == 1000 and table is None
    assert all(space.is_valid(arch) for arch in archs)
    assert len({space.canonical_key(arch) for arch in archs}) == 490


def test_space_benchmark_reads_the_csv() -> None:
    space = NB101Space(NB101Options(benchmark=_require("nb101_zc_naslib_500.csv.gz")))
    assert len(space.benchmark()) == 292


def test_a_wrong_hash_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('hash,adjacency,ops\n' + "f" * 32 + ',0100,"input,output"\n')
    with pytest.raises(DataFileError, match="line 2: hash"):
        load_naslib_csv(bad)
