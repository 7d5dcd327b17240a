"""The AutoFormer-Tiny metrics table (Auto-Prox ``gt_autoformer`` records)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from archgen.errors import DataFileError
from archgen.spaces.autoformer.space import AutoFormerOptions, AutoFormerSpace
from archgen.spaces.autoformer.tables import load_benchmark
from archgen.data_files import shared_data_path

DATA_FILES = ("gt_autoformer.json", "gt_autoformer_2.json")


def data_dir() -> Path:
    folder = shared_data_path("autoformer")
    if folder is None or not all((folder / name).is_file() for name in DATA_FILES):
        pytest.skip("AutoFormer records not found; see ../shared/data/autoformer/PROVENANCE.md")
    return folder


@pytest.fixture(scope="module")
def table_space() -> AutoFormerSpace:
    return AutoFormerSpace(AutoFormerOptions(size="tiny", benchmark=data_dir()))


@pytest.mark.data
def test_all_200_subnets_parse_validate_and_round_trip(table_space: AutoFormerSpace) -> None:
    folder = data_dir()
    records = [r for name in DATA_FILES for r in json.loads((folder / name).read_text())]
    assert len(records) == 200
    table = table_space.benchmark()
    assert len(table) == 200  # PROVENANCE.md: 100 + 100 records, 200 distinct subnets
    for record, key in zip(records, table.keys):
        arch = table_space.from_string(key)
        assert table_space.is_valid(arch)
        native = table_space.to_native(arch)
        assert native == {
            "embed_dim": record["arch"]["hidden_dim"],
            "depth": record["arch"]["depth"],
            "mlp_ratio": [float(r) for r in record["arch"]["mlp_ratio"]],
            "num_heads": record["arch"]["num_heads"],
        }
        assert table_space.to_string(table_space.from_native(native)) == key
        assert table.row(key)["imagenet_super_acc"] == record["imagenet_super_acc"]


@pytest.mark.data
def test_accuracy_ranges_match_provenance(table_space: AutoFormerSpace) -> None:
    table = table_space.benchmark()
    assert set(table.metrics) == {
        "imagenet_super_acc", "c100_base_acc", "c100_kd_acc", "flower_base_acc",
        "flower_kd_acc", "chaoyang_base_acc", "chaoyang_kd_acc",
    }  # fmt: skip
    # PROVENANCE.md: imagenet_super_acc 70.75-75.51, c100_kd_acc 75.08-78.80.
    imagenet = table.column("imagenet_super_acc")
    assert round(float(imagenet.min()), 2) == 70.75 and round(float(imagenet.max()), 2) == 75.51
    c100 = table.column("c100_kd_acc")
    assert round(float(c100.min()), 2) == 75.08 and round(float(c100.max()), 2) == 78.80
    # gt_autoformer_2's *_base_acc are null: exactly its 100 rows are NaN.
    assert int(np.isnan(table.column("c100_base_acc")).sum()) == 100


@pytest.mark.data
def test_data_is_not_an_autoformer_small_table() -> None:
    space = AutoFormerSpace(AutoFormerOptions(size="small", benchmark=data_dir()))
    with pytest.raises(DataFileError, match="embed_dim 192"):
        space.benchmark()


@pytest.mark.data
def test_pit_records_are_rejected() -> None:
    pit = data_dir() / "gt_pit.json"
    if not pit.is_file():
        pytest.skip("gt_pit.json not staged")
    with pytest.raises(DataFileError, match="base_dim"):
        load_benchmark(pit, AutoFormerSpace())


RECORD = {
    "arch": {"hidden_dim": 192, "mlp_ratio": [3.5] * 12, "depth": 12, "num_heads": [3] * 12},
    "c100_kd_acc": 76.0,
    "imagenet_super_acc": 74.5,
    "c100_base_acc": None,
}


def test_a_records_file_loads(tmp_path: Path) -> None:
    file = tmp_path / "gt_autoformer.json"
    file.write_text(json.dumps([RECORD]))
    table = load_benchmark(tmp_path, AutoFormerSpace())
    assert len(table) == 1 and table.metrics == ["c100_kd_acc", "imagenet_super_acc", "c100_base_acc"]
    row = table.row(table.keys[0])
    assert row["imagenet_super_acc"] == 74.5 and math.isnan(row["c100_base_acc"])


def test_the_original_pth_list_loads(tmp_path: Path) -> None:
    file = tmp_path / "gt_autoformer.pth"
    torch.save([RECORD], file)
    assert len(load_benchmark(file, AutoFormerSpace())) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        (json.dumps({"arch": RECORD["arch"]}), "expected a list"),
        (json.dumps([[1, 2]]), "not a dict with an 'arch'"),
        (json.dumps([{**RECORD, "c100_kd_acc": "76"}]), "c100_kd_acc"),
        (json.dumps([{**RECORD, "arch": {**RECORD["arch"], "depth": 13}}]), "12 entries; depth is 13"),
        (json.dumps([RECORD, RECORD]), "repeats the subnet of gt_autoformer.json record 0"),
    ],
)
def test_corrupt_files_raise_data_file_error(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "gt_autoformer.json"
    file.write_text(content)
    with pytest.raises(DataFileError, match=message):
        load_benchmark(file, AutoFormerSpace())


def test_missing_and_unknown_paths_raise_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        load_benchmark(tmp_path / "absent.json", AutoFormerSpace())
    with pytest.raises(DataFileError, match="no AutoFormer records"):
        load_benchmark(tmp_path, AutoFormerSpace())
    (tmp_path / "table.csv").write_text("a,b\n")
    with pytest.raises(DataFileError, match="unknown AutoFormer records file"):
        load_benchmark(tmp_path / "table.csv", AutoFormerSpace())
    with pytest.raises(DataFileError, match="has no benchmark table"):
        AutoFormerSpace().benchmark()
