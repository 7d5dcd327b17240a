"""NAS-Bench-201 table loaders (archgen.spaces.nb201.tables / formats).

Two kinds of evidence:

* the staged table ``../shared/data/nasbench201/nb201_accuracies.csv.gz``
  (derived from the official API; see its PROVENANCE.md), checked against
  published facts; these tests skip when the data is absent;
* tiny official-format files written here with the documented record layout
  (D-X-Y/NATS-Bench ``nats_bench/api_utils.py``: ``ArchResults.state_dict``,
  ``ResultsCount.__init__``/``reset_eval``; D-X-Y/NAS-Bench-201
  ``nas_201_api/api_201.py``: the ``.pth`` dict with 'less'/'full'), holding
  hand-chosen numbers whose means are exact in binary floating point.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import DataFileError
from archgen.spaces.nb201.tables import ACCURACY_CSV_COLUMNS, load_benchmark
from archgen.testing import require_shared_data

SPACE = archgen.load("space", "nb201")

# -- the staged CSV ------------------------------------------------------------------------------------------

#: NB201 index 6111, the CIFAR-10 optimum (PROVENANCE.md spot checks).
BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
#: NB201 index 1 (the example architecture of the official README).
INDEX_1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def _shared(name: str) -> Path:
    return require_shared_data("nasbench201", name)


@pytest.fixture(scope="module")
def accuracies_path() -> Path:
    return _shared("nb201_accuracies.csv.gz")


@pytest.fixture(scope="module")
def accuracies(accuracies_path: Path):
    return load_benchmark(accuracies_path, SPACE)


@pytest.fixture(scope="module")
def raw_rows(accuracies_path: Path) -> list[dict[str, str]]:
    with gzip.open(accuracies_path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.data
def test_staged_csv_has_every_cell_in_index_order(accuracies, raw_rows):
    assert len(accuracies) == 15_625
    assert accuracies.column("index").tolist() == list(range(15_625))
    assert accuracies.keys == tuple(row["arch_str"] for row in raw_rows)
    assert accuracies.keys[1] == INDEX_1


@pytest.mark.data
def test_staged_csv_metric_names(accuracies):
    assert accuracies.metrics == ["index", *ACCURACY_CSV_COLUMNS.values()]


@pytest.mark.data
def test_staged_csv_reproduces_the_published_optima(accuracies):
    # The "optimal" row of the NAS-Bench-201 paper's search-results table (Dong & Yang, ICLR 2020):
    # test accuracies 94.37 / 73.51 / 47.31 (quoted as "Optimum" in ../shared/papers/arch-llm.md);
    # the four-decimal values are PROVENANCE.md's spot checks of this file.
    cifar10 = accuracies.column("cifar10/test@200")
    assert cifar10.max() == pytest.approx(94.3733, abs=5e-5)
    assert accuracies.keys[int(cifar10.argmax())] == BEST_CIFAR10
    assert accuracies.row(BEST_CIFAR10)["index"] == 6111
    assert accuracies.column("cifar100/test@200").max() == pytest.approx(73.5133, abs=5e-5)
    assert accuracies.column("imagenet16-120/test@200").max() == pytest.approx(47.3111, abs=5e-5)
    assert round(cifar10.max(), 2) == 94.37


@pytest.mark.data
def test_staged_csv_index_1(accuracies):
    assert accuracies.row(INDEX_1)["cifar10/test@200"] == pytest.approx(93.66, abs=1e-9)
    assert accuracies.row(INDEX_1)["index"] == 1


@pytest.mark.data
def test_staged_csv_keys_parse_and_classes_match_nats_unique_str(accuracies, raw_rows):
    # iso_str is NATS-Bench's get_unique_str; the release has 6,466 isomorphism classes.
    canonical = [SPACE.canonical_key(SPACE.from_string(key)) for key in accuracies.keys]
    assert all(SPACE.to_string(SPACE.from_string(key)) == key for key in accuracies.keys)
    assert canonical == [row["iso_str"] for row in raw_rows]
    assert len(set(canonical)) == 6_466


@pytest.mark.data
def test_staged_naslib_csv():
    table = load_benchmark(_shared("nb201_zc_naslib_725.csv.gz"), SPACE)
    # PROVENANCE.md: 724 cifar10 + 725 cifar100 + 724 ImageNet16-120 rows; 200-epoch validation maxima.
    assert len(table) == 725
    assert np.isfinite(table.column("cifar10-valid/valid@200")).sum() == 724
    assert np.isfinite(table.column("cifar100/valid@200")).sum() == 725
    assert np.isfinite(table.column("imagenet16-120/valid@200")).sum() == 724
    assert np.nanmax(table.column("cifar10-valid/valid@200")) == pytest.approx(91.36, abs=1e-6)
    assert np.nanmax(table.column("cifar100/valid@200")) == pytest.approx(72.72, abs=1e-6)
    assert np.nanmax(table.column("imagenet16-120/valid@200")) == pytest.approx(46.5333, abs=1e-4)


@pytest.mark.data
def test_space_option_reads_the_staged_csv(accuracies_path):
    space = archgen.load("space", "nb201", benchmark=accuracies_path)
    assert space.benchmark().row(INDEX_1)["cifar10/test@200"] == pytest.approx(93.66, abs=1e-9)
    assert space.benchmark() is space.benchmark()


# -- synthetic official files -----------------------------------------------------------------------------

ARCHS = (
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    INDEX_1,
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
)


def _trial(dataset: str, seed: int, epochs: int, final: dict[str, float], flop: float, params: float, latency=None):
    """A ResultsCount state: every attribute ResultsCount.__init__ and reset_eval set."""
    accs, losses, times = {}, {}, {}
    for eval_set, accuracy in final.items():
        for epoch in range(epochs):
            # Earlier epochs differ, so reading anything but the last epoch is caught.
            accs[f"{eval_set}@{epoch}"] = accuracy if epoch == epochs - 1 else accuracy - 20.0
            losses[f"{eval_set}@{epoch}"] = 1.0
            times[f"{eval_set}@{epoch}"] = 0.5
    return {
        "name": dataset,
        "net_state_dict": None,
        "train_acc1es": {epoch: 50.0 for epoch in range(epochs)},
        "train_acc5es": None,
        "train_losses": {epoch: 1.5 for epoch in range(epochs)},
        "train_times": {epoch: 3.0 for epoch in range(epochs)},
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": "", "class_num": 10},
        "params": params,
        "flop": flop,
        "seed": seed,
        "epochs": epochs,
        "latency": latency,
        "eval_names": list(final),
        "eval_acc1es": accs,
        "eval_times": times,
        "eval_losses": losses,
    }


def _arch_results(index: int, trials: list[dict]) -> dict:
    """An ArchResults state: {'arch_index', 'arch_str', 'all_results', 'dataset_seed', 'clear_net_done'}."""
    dataset_seed: dict[str, list[int]] = {}
    for trial in trials:
        dataset_seed.setdefault(trial["name"], []).append(trial["seed"])
    return {
        "arch_index": index,
        "arch_str": ARCHS[index],
        "all_results": {(trial["name"], trial["seed"]): trial for trial in trials},
        "dataset_seed": {dataset: sorted(seeds) for dataset, seeds in dataset_seed.items()},
        "clear_net_done": True,
    }


def _schedules() -> dict[int, dict[str, dict]]:
    """{index: {'12': ArchResults, '200': ArchResults}}; arch 2 is not evaluated."""
    arch0_full = [
        _trial("cifar10-valid", 777, 200, {"x-valid": 90.0, "ori-test": 93.0}, 100.0, 1.0, [0.02, 0.04]),
        _trial("cifar10-valid", 888, 200, {"x-valid": 91.0, "ori-test": 93.5}, 100.0, 1.0, [0.03]),
        _trial("cifar10", 777, 200, {"ori-test": 94.0}, 100.0, 1.0),
        _trial("cifar10", 888, 200, {"ori-test": 94.5}, 100.0, 1.0),
        _trial("cifar100", 777, 200, {"x-valid": 70.0, "x-test": 72.0, "ori-test": 71.0}, 100.5, 1.25),
        _trial("cifar100", 888, 200, {"x-valid": 71.0, "x-test": 72.5, "ori-test": 71.75}, 100.5, 1.25),
        _trial("ImageNet16-120", 777, 200, {"x-valid": 45.0, "x-test": 46.0, "ori-test": 45.5}, 25.0, 1.5),
    ]
    arch0_less = [_trial("cifar10-valid", 777, 12, {"x-valid": 80.0}, 100.0, 1.0)]
    arch1_full = [
        _trial("cifar10", 777, 200, {"ori-test": 90.0}, 50.0, 0.5),
        _trial("cifar10", 888, 200, {"ori-test": 91.0}, 50.0, 0.5),
        _trial("cifar10", 999, 200, {"ori-test": 93.5}, 50.0, 0.5),
    ]
    arch1_less = [
        _trial("cifar10-valid", 777, 12, {"x-valid": 60.0}, 50.0, 0.5),
        _trial("cifar10-valid", 888, 12, {"x-valid": 61.0}, 50.0, 0.5),
    ]
    return {
        0: {"12": _arch_results(0, arch0_less), "200": _arch_results(0, arch0_full)},
        1: {"12": _arch_results(1, arch1_less), "200": _arch_results(1, arch1_full)},
    }


#: Hand-computed get_more_info(..., is_random=False) figures of the records above.
EXPECTED = {
    ARCHS[0]: {
        "index": 0.0,
        "cifar10-valid/valid@200": 90.5,  # x-valid, mean of 90.0, 91.0
        "cifar10-valid/test@200": 93.25,  # ori-test
        "cifar10-valid/valid@12": 80.0,
        "cifar10-valid/flops": 100.0,
        "cifar10-valid/params": 1.0,
        "cifar10-valid/latency": 0.03,  # mean of the per-trial means 0.03 and 0.03
        "cifar10/test@200": 94.25,
        "cifar10/flops": 100.0,
        "cifar10/params": 1.0,
        "cifar100/valid@200": 70.5,  # x-valid
        "cifar100/test@200": 72.25,  # x-test, not ori-test (that is 'valtest')
        "cifar100/flops": 100.5,
        "cifar100/params": 1.25,
        "imagenet16-120/valid@200": 45.0,
        "imagenet16-120/test@200": 46.0,
        "imagenet16-120/flops": 25.0,
        "imagenet16-120/params": 1.5,
    },
    ARCHS[1]: {
        "index": 1.0,
        "cifar10-valid/valid@12": 60.5,
        "cifar10-valid/flops": 50.0,
        "cifar10-valid/params": 0.5,
        "cifar10/test@200": 91.5,  # mean of 90.0, 91.0, 93.5
        "cifar10/flops": 50.0,
        "cifar10/params": 0.5,
    },
}


def _check(table) -> None:
    assert table.keys == ARCHS
    assert set(table.metrics) == {"index", *EXPECTED[ARCHS[0]]}
    for arch, expected in EXPECTED.items():
        row = table.row(arch)
        for metric, value in expected.items():
            assert row[metric] == pytest.approx(value, abs=1e-12), (arch, metric)
        missing = [metric for metric in table.metrics if metric not in expected]
        assert all(np.isnan(row[metric]) for metric in missing), arch
    unevaluated = table.row(ARCHS[2])
    assert unevaluated["index"] == 2.0
    assert all(np.isnan(value) for metric, value in unevaluated.items() if metric != "index")


def _nb201_dict(schedules=None) -> dict:
    schedules = _schedules() if schedules is None else schedules
    return {
        "meta_archs": list(ARCHS),
        "arch2infos": {i: {"less": s["12"], "full": s["200"]} for i, s in schedules.items()},
        "evaluated_indexes": sorted(schedules),
        "total_archs": len(ARCHS),
    }


def _nats_dict() -> dict:
    return {"meta_archs": list(ARCHS), "arch2infos": _schedules(), "evaluated_indexes": {0, 1}}


def _write_bz2_pickle(path: Path, value) -> Path:
    with bz2.open(path, "wb") as handle:
        pickle.dump(value, handle, protocol=4)
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_nb201_pth(tmp_path, zipped):
    path = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save(_nb201_dict(), path, _use_new_zipfile_serialization=zipped)
    _check(load_benchmark(path, SPACE))


def test_nb201_pth_with_numpy_floats(tmp_path):
    schedules = _schedules()
    for trial in schedules[0]["200"]["all_results"].values():
        trial["eval_acc1es"] = {key: np.float64(value) for key, value in trial["eval_acc1es"].items()}
    path = tmp_path / "numpy.pth"
    torch.save(_nb201_dict(schedules), path)
    _check(load_benchmark(path, SPACE, cache=False))


def test_nats_single_file(tmp_path):
    _check(load_benchmark(_write_bz2_pickle(tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2", _nats_dict()), SPACE))


def test_nats_fast_mode_folder_with_weights(tmp_path):
    folder = tmp_path / "NATS-tss-v1_0-3ffb9-full"
    folder.mkdir()
    _write_bz2_pickle(folder / "meta.pickle.pbz2", {"meta_archs": list(ARCHS)})
    schedules = _schedules()
    # The -full folder keeps trained weights; the loader must skip them without torch.load.
    next(iter(schedules[0]["200"]["all_results"].values()))["net_state_dict"] = {"w": torch.ones(3)}
    _write_bz2_pickle(folder / "000000.pickle.pbz2", schedules[0])
    _write_bz2_pickle(folder / "1.pickle.pbz2", schedules[1])  # reload() also accepts '{index}.pickle.pbz2'
    _check(load_benchmark(folder, SPACE))


def test_plain_pickle(tmp_path):
    path = tmp_path / "benchmark.pickle"
    path.write_bytes(pickle.dumps(_nats_dict(), protocol=2))
    _check(load_benchmark(path, SPACE))


def test_space_option_reads_an_official_file(tmp_path):
    path = tmp_path / "nb201.pth"
    torch.save(_nb201_dict(), path)
    row = archgen.load("space", "nb201", benchmark=path).benchmark().row(INDEX_1)
    assert row["cifar10/test@200"] == 91.5


def test_cache_is_written_reused_and_invalidated(tmp_path):
    path = tmp_path / "nb201.pth"
    torch.save(_nb201_dict(), path)
    first = load_benchmark(path, SPACE)
    cached = list((tmp_path / "cache" / "archgen" / "nb201-benchmark").glob("*.npz"))
    assert len(cached) == 1
    again = load_benchmark(path, SPACE)
    assert again.keys == first.keys and again.metrics == first.metrics
    _check(again)
    # A different file at the same path gets a new fingerprint.
    changed = _schedules()
    for trial in changed[1]["200"]["all_results"].values():
        trial["eval_acc1es"] = {key: value - 10.0 for key, value in trial["eval_acc1es"].items()}
    torch.save(_nb201_dict(changed), path)
    os.utime(path, ns=(1, 1))
    assert load_benchmark(path, SPACE).row(INDEX_1)["cifar10/test@200"] == 81.5


def test_broken_cache_is_ignored(tmp_path):
    path = tmp_path / "nb201.pth"
    torch.save(_nb201_dict(), path)
    load_benchmark(path, SPACE)
    for file in (tmp_path / "cache").rglob("*.npz"):
        file.write_bytes(b"not a zip")
    _check(load_benchmark(path, SPACE))


def test_no_cache_writes_nothing(tmp_path):
    path = tmp_path / "nb201.pth"
    torch.save(_nb201_dict(), path)
    load_benchmark(path, SPACE, cache=False)
    assert not (tmp_path / "cache").exists()


# -- CSV layouts and their errors ------------------------------------------------------------------------------

HEADER = "index,arch_str,iso_str,cifar10_test_200,cifar100_test_200"


def _write_csv(path: Path, lines: list[str], compress: bool = False) -> Path:
    text = "\n".join(lines) + "\n"
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_small_accuracy_csv_sorted_by_index(tmp_path, compress):
    path = _write_csv(
        tmp_path / ("t.csv.gz" if compress else "t.csv"),
        [HEADER, f"2,{ARCHS[2]},#,10.0,1.0", f"0,{ARCHS[0]},x,85.5,", f"1, {ARCHS[1]} ,y,93.66,70.25"],
        compress,
    )
    table = load_benchmark(path, SPACE)
    assert table.keys == ARCHS
    assert table.metrics == ["index", "cifar10/test@200", "cifar100/test@200"]
    assert table.row(ARCHS[1]) == {"index": 1.0, "cifar10/test@200": 93.66, "cifar100/test@200": 70.25}
    assert np.isnan(table.row(ARCHS[0])["cifar100/test@200"])


def test_csv_with_archgen_metric_names_reads_back(tmp_path):
    lines = ["index,arch_str,cifar10/test@200,imagenet16-120/valid@12", f"1,{INDEX_1},93.5,30.25"]
    row = load_benchmark(_write_csv(tmp_path / "mine.csv", lines), SPACE).row(INDEX_1)
    assert row == {"index": 1.0, "cifar10/test@200": 93.5, "imagenet16-120/valid@12": 30.25}


def test_small_naslib_csv(tmp_path):
    path = _write_csv(
        tmp_path / "zc.csv",
        [
            "dataset,index,arch_str,flops,val_accuracy,params,synflow",
            f"cifar100,1,{INDEX_1},80.0,70.5,0.75,3.0",
            f"cifar10,1,{INDEX_1},79.5,88.25,0.5,3.0",
            f"ImageNet16-120,0,{ARCHS[0]},20.0,40.0,0.25,inf",
        ],
    )
    table = load_benchmark(path, SPACE)
    assert table.keys == (ARCHS[0], INDEX_1)
    assert table.row(INDEX_1)["cifar10-valid/valid@200"] == 88.25
    assert table.row(INDEX_1)["cifar100/params"] == 0.75
    assert table.row(ARCHS[0])["imagenet16-120/flops"] == 20.0
    assert np.isnan(table.row(ARCHS[0])["cifar10-valid/valid@200"])


def _error(path, match: str) -> str:
    with pytest.raises(DataFileError, match=match) as caught:
        load_benchmark(path, SPACE)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def test_missing_file(tmp_path):
    _error(tmp_path / "nope.csv.gz", "does not exist")


def test_unknown_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello,world\n1,2\n")
    message = _error(path, "unknown benchmark format")
    assert ".pth" in message and "NATS-tss" in message


def test_unknown_binary_file(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(np.random.default_rng(0).bytes(4096).replace(b"\x80", b"\x00"))
    _error(path, "unknown benchmark format")


def test_zip_that_is_not_a_torch_file(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, a=np.zeros(2))
    _error(path, "zip archive that torch.save did not write")


def test_folder_without_meta(tmp_path):
    _error(tmp_path, "unknown benchmark format")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 20)
    _error(path, "corrupt gzip")


def test_truncated_gzip_csv(tmp_path):
    cells = list(SPACE.enumerate())[:3000]
    lines = [HEADER] + [f"{i},{SPACE.to_string(cell)},x,1.0,2.0" for i, cell in enumerate(cells)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    _error(path, "corrupt gzip")


def test_csv_without_index_column(tmp_path):
    path = _write_csv(tmp_path / "t.csv", ["arch_str,cifar10_test_200", f"{INDEX_1},93.0"])
    _error(path, r"lacks column\(s\) \['index'\]")


def test_csv_without_metric_columns(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", ["index,arch_str,colour", f"1,{INDEX_1},red"]), "no metric column")


def test_csv_bad_arch_string_names_line_and_text(tmp_path):
    bad = "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    path = _write_csv(tmp_path / "t.csv", [HEADER, f"1,{INDEX_1},x,1,2", f"0,{bad},x,1,2"])
    message = _error(path, "line 3")
    assert "|conv~0|" in message and "unknown op 'conv'" in message


def test_csv_duplicate_arch(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", [HEADER, f"1,{INDEX_1},x,1,2", f"5,{INDEX_1},x,1,2"]), "repeats arch")


def test_csv_duplicate_index(tmp_path):
    path = _write_csv(tmp_path / "t.csv", [HEADER, f"1,{INDEX_1},x,1,2", f"1,{ARCHS[0]},x,1,2"])
    _error(path, "line 3 repeats index 1")


def test_csv_index_out_of_range(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", [HEADER, f"15625,{INDEX_1},x,1,2"]), "0..15624")


def test_csv_ragged_row(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", [HEADER, f"1,{INDEX_1},x,1"]), "line 2 has 4 fields, the header has 5")


def test_csv_not_a_number(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", [HEADER, f"1,{INDEX_1},x,high,2"]), "'cifar10_test_200' has 'high'")


def test_csv_header_only(tmp_path):
    _error(_write_csv(tmp_path / "t.csv", [HEADER]), "no rows")


def test_naslib_unknown_dataset(tmp_path):
    path = _write_csv(tmp_path / "zc.csv", ["dataset,index,arch_str,val_accuracy", f"svhn,1,{INDEX_1},90"])
    _error(path, "dataset 'svhn'")


def test_naslib_index_with_two_archs(tmp_path):
    path = _write_csv(
        tmp_path / "zc.csv",
        ["dataset,index,arch_str,val_accuracy", f"cifar10,1,{INDEX_1},90", f"cifar100,1,{ARCHS[0]},70"],
    )
    _error(path, "gives index 1 the arch")


# -- errors in official files ----------------------------------------------------------------------------------


def test_torch_file_that_is_not_a_benchmark(tmp_path):
    path = tmp_path / "model.pth"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    _error(path, r"lacks \['meta_archs', 'arch2infos'\]")


def test_truncated_torch_file(tmp_path):
    path = tmp_path / "cut.pth"
    torch.save(_nb201_dict(), path)
    path.write_bytes(path.read_bytes()[:300])
    _error(path, "corrupt zip/torch file")


@pytest.mark.parametrize("length", [100, 3000, 20000, 200000])
def test_truncated_legacy_torch_file(tmp_path, length):
    path = tmp_path / "cut.pth"
    torch.save(_nb201_dict(), path, _use_new_zipfile_serialization=False)
    path.write_bytes(path.read_bytes()[:length])
    _error(path, "corrupt torch file")


@pytest.mark.parametrize("length", [20, 500, 5000])
def test_truncated_pickles(tmp_path, length):
    whole = pickle.dumps(_nats_dict(), protocol=4)
    plain = tmp_path / "cut.pickle"
    plain.write_bytes(whole[:length])
    _error(plain, "corrupt pickle")
    packed = tmp_path / "cut.pickle.pbz2"
    packed.write_bytes(bz2.compress(whole[:length]))
    _error(packed, "corrupt bz2 pickle")


def test_corrupt_bz2(tmp_path):
    path = tmp_path / "bad.pickle.pbz2"
    path.write_bytes(b"BZh91AY&SY" + b"\x00" * 64)
    _error(path, "corrupt bz2")


def test_official_bad_arch_string_names_its_index(tmp_path):
    data = _nats_dict()
    data["meta_archs"][1] = "|nor_conv_3x3~0|+|nor_conv_3x3~0|"
    _error(_write_bz2_pickle(tmp_path / "NATS.pickle.pbz2", data), r"meta_archs\[1\]")


def test_record_that_is_not_arch_results(tmp_path):
    data = _nats_dict()
    del data["arch2infos"][1]["200"]["dataset_seed"]
    _error(_write_bz2_pickle(tmp_path / "NATS.pickle.pbz2", data), "record of arch 1 is not an ArchResults state")


def test_record_index_outside_meta_archs(tmp_path):
    data = _nats_dict()
    data["arch2infos"][7] = data["arch2infos"].pop(1)
    _error(_write_bz2_pickle(tmp_path / "NATS.pickle.pbz2", data), "index 7 outside meta_archs")


def test_numpy_integer_indexes_are_accepted(tmp_path):
    data = _nats_dict()
    data["arch2infos"] = {np.int64(index): schedules for index, schedules in data["arch2infos"].items()}
    _check(load_benchmark(_write_bz2_pickle(tmp_path / "NATS.pickle.pbz2", data), SPACE))


def test_nats_meta_file_alone_points_to_the_folder(tmp_path):
    path = _write_bz2_pickle(tmp_path / "meta.pickle.pbz2", {"meta_archs": list(ARCHS)})
    _error(path, "pass the folder")


class _Payload:
    """Unpickling this would create a folder: the loader must refuse it instead."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("compress", [True, False], ids=["bz2", "plain"])
def test_pickle_with_code_is_refused_unrun(tmp_path, compress):
    marker = tmp_path / "pwned"
    data = _nats_dict()
    data["arch2infos"][0]["200"]["arch_str"] = _Payload(marker)
    path = tmp_path / "evil.pickle.pbz2"
    if compress:
        _write_bz2_pickle(path, data)
    else:
        path.write_bytes(pickle.dumps(data, protocol=4))
    message = _error(path, "refusing to load")
    assert "mkdir" in message
    assert not marker.exists()


def test_torch_file_with_code_is_refused_unrun(tmp_path):
    marker = tmp_path / "pwned"
    data = _nb201_dict()
    data["total_archs"] = _Payload(marker)
    path = tmp_path / "evil.pth"
    torch.save(data, path)
    _error(path, "weights_only")
    assert not marker.exists()


def _official_bytes(kind: str, tmp_path: Path) -> bytes:
    if kind in ("zip", "legacy"):
        path = tmp_path / "source.pth"
        torch.save(_nb201_dict(), path, _use_new_zipfile_serialization=kind == "zip")
        return path.read_bytes()
    whole = pickle.dumps(_nats_dict(), protocol=4)
    return bz2.compress(whole) if kind == "bz2" else whole


@pytest.mark.parametrize("kind", ["zip", "legacy", "bz2", "plain"])
def test_damaged_official_files_give_data_errors_only(tmp_path, kind):
    # Random byte flips and cuts: the loader either reads the file or says DataFileError, nothing deeper.
    original = _official_bytes(kind, tmp_path)
    rng = np.random.default_rng(2024)
    path = tmp_path / "damaged"
    for _ in range(25):
        damaged = bytearray(original)
        for position in rng.integers(0, len(damaged), size=int(rng.integers(1, 6))):
            damaged[int(position)] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            damaged = damaged[: int(rng.integers(1, len(damaged)))]
        path.write_bytes(bytes(damaged))
        try:
            load_benchmark(path, SPACE, cache=False)
        except DataFileError as error:
            assert "\n" not in str(error)
