"""The training oracle's SQLite result store: keys, claims between processes, counts and exports."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from archgen.errors import DataFileError
from archgen.result_store import ResultKey, ResultStore, TrainingResult, this_worker

KEY = ResultKey("nb201", "('a',)", "digits-0123", "recipe1", 0)


def _result(valid: float = 50.0, test: float = 49.0) -> TrainingResult:
    return TrainingResult(arch="|a|", valid=valid, test=test, params=123, macs=456, train_seconds=1.5, epochs=1,
                          device="cpu", worker=this_worker())


def test_a_result_round_trips_and_each_key_field_separates_results(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    assert store.get(KEY) is None
    stored = store.put(KEY, _result())
    assert (stored.valid, stored.test, stored.params, stored.macs, stored.arch) == (50.0, 49.0, 123, 456, "|a|")
    assert stored.finished_at > 0
    for other in (ResultKey("nb101", *KEY.row()[1:]), ResultKey(*KEY.row()[:2], "cifar10-x", *KEY.row()[3:]),
                  ResultKey(*KEY.row()[:3], "recipe2", 0), ResultKey(*KEY.row()[:4], 1)):
        assert store.get(other) is None
    assert ResultStore(tmp_path / "r.sqlite").get(KEY) == stored  # a second handle reads the committed row


def test_the_first_result_committed_wins(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(KEY, _result(valid=10.0))
    assert store.put(KEY, _result(valid=99.0)).valid == 10.0


def test_the_database_is_in_write_ahead_log_mode(tmp_path):
    import sqlite3

    ResultStore(tmp_path / "r.sqlite")
    with sqlite3.connect(tmp_path / "r.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_claim_held_by_a_live_process_is_refused_and_a_dead_owners_claim_is_taken(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    assert store.claim(KEY, owner="driver-a")
    assert not store.claim(KEY, owner="driver-b")  # same host, pid alive (this process)
    assert store.claim(KEY, owner="driver-a")  # the owner may renew its own claim

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with store._connect() as connection:  # the claim now belongs to a process that has exited
        connection.execute("UPDATE claims SET pid=?", (dead.pid,))
    assert store.claim(KEY, owner="driver-b")


def test_a_claim_past_its_lease_is_taken_even_from_another_host(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite", lease_seconds=60)
    assert store.claim(KEY, owner="far-away")
    with store._connect() as connection:
        connection.execute("UPDATE claims SET host='other-host', claimed_at=?", (time.time() - 30,))
    assert not store.claim(KEY, owner="me")  # another host's claim within its lease: assumed alive
    with store._connect() as connection:
        connection.execute("UPDATE claims SET claimed_at=?", (time.time() - 61,))
    assert store.claim(KEY, owner="me")


def test_a_stored_key_cannot_be_claimed_and_put_releases_the_claim(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    assert store.claim(KEY)
    attempt = store.record_attempt(KEY)
    store.put(KEY, _result(), attempt)
    assert not store.claim(KEY)
    assert store.counts() == {"results": 1, "completed": 1, "interrupted": 0, "claims": 0, "retrained": 0}


def test_counts_tell_interrupted_trainings_from_finished_ones(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    store.record_attempt(KEY)  # a worker killed mid-training
    second = store.record_attempt(KEY)  # the retry
    store.put(KEY, _result(), second)
    assert store.counts() == {"results": 1, "completed": 1, "interrupted": 1, "claims": 0, "retrained": 0}


def _claim_in_child(path: str, queue: multiprocessing.Queue, start: object, done: object) -> None:
    start.wait()
    queue.put(ResultStore(path).claim(KEY))
    done.wait()  # stay alive: a claim whose owner has exited is rightly taken over


def test_of_processes_racing_for_one_key_exactly_one_wins(tmp_path):
    path = str(tmp_path / "r.sqlite")
    ResultStore(path)
    context = multiprocessing.get_context("fork")  # spawn cannot import a test module loaded by importlib
    queue, start, done = context.Queue(), context.Event(), context.Event()
    children = [context.Process(target=_claim_in_child, args=(path, queue, start, done)) for _ in range(6)]
    for child in children:
        child.start()
    start.set()
    outcomes = [queue.get(timeout=60) for _ in children]
    done.set()
    for child in children:
        child.join(60)
    assert sorted(outcomes) == [False] * 5 + [True]


def test_wait_for_returns_the_holders_result_or_none_once_the_holder_is_gone(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(KEY, _result(valid=77.0))
    assert store.wait_for(KEY).valid == 77.0
    other = ResultKey(*KEY.row()[:4], 5)
    assert store.wait_for(other) is None  # nobody holds it


def test_exports_hold_every_result_as_csv_and_json(tmp_path):
    store = ResultStore(tmp_path / "r.sqlite")
    store.put(KEY, _result())
    store.put(ResultKey(*KEY.row()[:4], 1), _result(valid=60.0))
    assert store.export(tmp_path / "out.csv") == 2
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [(row["seed"], float(row["valid"])) for row in rows] == [("0", 50.0), ("1", 60.0)]
    assert store.export(tmp_path / "out.json") == 2
    exported = json.loads((tmp_path / "out.json").read_text())
    assert exported["counts"]["results"] == 2 and exported["results"][1]["valid"] == 60.0
    with pytest.raises(DataFileError, match=r"out\.txt.*\.csv or \.json"):
        store.export(tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()


def test_a_file_that_is_not_a_store_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(DataFileError, match=r"bad\.sqlite.*is not an archgen result store") as error:
        ResultStore(bad)
    assert "\n" not in str(error.value)
