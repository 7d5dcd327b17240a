"""``archgen store``: a result store's counts, its best results, and its export."""

from __future__ import annotations

import csv

from archgen.cli.main import main
from archgen.result_store import ResultKey, ResultStore, TrainingResult


def _stored(path):
    store = ResultStore(path)
    for seed, valid in ((0, 50.0), (1, 70.0)):
        key = ResultKey("nb201", "k", "digits-x", "r", seed)
        store.put(key, TrainingResult("|arch|", valid, valid - 1, 1_500_000, 9, 2.0, 1, "cpu", "h:1"),
                  store.record_attempt(key))
    store.record_attempt(ResultKey("nb201", "k2", "digits-x", "r", 0))  # a training that never finished
    return store


def test_store_prints_counts_and_the_best_first_and_exports(tmp_path, capsys):
    _stored(tmp_path / "r.sqlite")
    assert main(["store", str(tmp_path / "r.sqlite"), "--top", "1", "--export", str(tmp_path / "all.csv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("2 results; 2 trainings completed, 1 interrupted, 0 networks trained twice; 0 open claims")
    assert lines[2].split()[:3] == ["70.00", "69.00", "1.500M"] and len(lines) == 4
    assert lines[3] == f"wrote 2 results to {tmp_path / 'all.csv'}"
    assert [row["valid"] for row in csv.DictReader((tmp_path / "all.csv").open())] == ["50.0", "70.0"]


def test_a_missing_store_is_one_line(tmp_path, capsys):
    assert main(["store", str(tmp_path / "none.sqlite")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no result store at" in err[0] and "none.sqlite" in err[0]
