"""SIGKILL in the middle of training-oracle searches: what finished is kept, nothing is trained twice.

* the driver (``archgen search``) killed mid-search, serial and on Ray: the resumed search ends
  with the trial an uninterrupted run gives, and the store shows every network completed once;
* a Ray worker killed mid-training: Ray retries the task, the batch's figures equal a serial
  run's, and the store shows the interrupted attempt beside the one completed training;
* two searches sharing one store at once: each network is trained by one of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archgen.config import load_config
from archgen.pipeline.search_command import run_search
from archgen.result_store import ResultStore
from archgen.registry import load

from .conftest import TINY, search_toml

TRIAL = Path("search/valid--test/random/trial-0.json")


def _archgen(*args: str, cwd: Path) -> subprocess.Popen:
    """``archgen ARGS`` in its own session (so everything it started can be killed afterwards)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ARCHGEN_PROGRESS": "0"}
    return subprocess.Popen([sys.executable, "-m", "archgen.cli.main", *args], cwd=cwd, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_until(condition, timeout: float = 240.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _results(store: Path) -> int:
    return ResultStore(store).counts()["results"] if store.exists() else 0


def _reference_trial(tmp_path: Path, budget: int) -> dict:
    """The trial of an uninterrupted serial search with its own store."""
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "registry.toml").write_text(search_toml(Path("store.sqlite"), budget=budget))
    run_search(load_config(folder / "registry.toml"), run_dir=folder / "run")
    return json.loads((folder / "run" / TRIAL).read_text())


@contextlib.contextmanager
def _killed_afterwards(process: subprocess.Popen):
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # what the driver left (Ray's own processes)
        process.wait(30)


@pytest.mark.parametrize("executor", ["serial", "ray"])
def test_a_search_whose_driver_is_killed_resumes_to_the_same_trial_training_nothing_twice(tmp_path, executor):
    if executor == "ray":
        pytest.importorskip("ray", reason="pip install 'archgen[ray]'")
    budget = 6
    reference = _reference_trial(tmp_path, budget)
    folder = tmp_path / "killed"
    folder.mkdir()
    (folder / "registry.toml").write_text(search_toml(Path("store.sqlite"), budget=budget, executor=executor, workers=2))
    store = folder / "store.sqlite"
    with _killed_afterwards(_archgen("search", "--config", "registry.toml", "--run-dir", "run", cwd=folder)) as driver:
        _wait_until(lambda: _results(store) >= 2 or driver.poll() is not None, what="two stored results")
        assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    assert not (folder / "run" / TRIAL).exists()  # killed before the trial was committed
    stored_before = _results(store)
    assert 2 <= stored_before < budget

    run_search(load_config(folder / "registry.toml"), run_dir=folder / "run")
    resumed = json.loads((folder / "run" / TRIAL).read_text())
    assert resumed["queries"] == reference["queries"]
    counts = ResultStore(store).counts()
    assert counts["results"] == budget and counts["completed"] == budget and counts["retrained"] == 0
    assert counts["claims"] == 0


def test_a_ray_worker_killed_mid_training_is_retried_to_the_serial_figures(tmp_path):
    ray = pytest.importorskip("ray", reason="pip install 'archgen[ray]'")
    space = load("space", "nb201")
    archs = space.sample(4, seed=11)
    slow = {**TINY, "epochs": 2, "model": {"C": 16, "N": 2}}  # a few seconds each: time to kill one mid-way
    serial = load("oracle", "train", dataset={"name": "digits"}, store=str(tmp_path / "serial.sqlite"), **slow)
    expected = serial.oracle(space, "test").query_many(archs)

    store = tmp_path / "ray.sqlite"
    source = load("oracle", "train", dataset={"name": "digits"}, store=str(store), executor="ray", workers=2,
                  max_retries=3, **slow)
    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("values", source.oracle(space, "test").query_many(archs)))
    try:
        thread.start()
        victim = _wait_for_worker(store)
        os.kill(victim, signal.SIGKILL)
        thread.join(300)
    finally:
        source.close()
    assert not thread.is_alive() and ray.is_initialized() is False
    assert outcome["values"] == expected
    counts = ResultStore(store).counts()
    assert counts["results"] == 4 and counts["completed"] == 4 and counts["retrained"] == 0
    assert counts["interrupted"] >= 1  # the killed attempt, started and never finished


def _wait_for_worker(store: Path) -> int:
    """The pid of a Ray worker that has started training (an unfinished attempt by another process)."""
    found: list[int] = []

    def started() -> bool:
        if not store.exists():
            return False
        with ResultStore(store)._connect() as connection:
            rows = connection.execute("SELECT worker FROM attempts WHERE finished_at IS NULL").fetchall()
        pids = [int(worker.rsplit(":", 1)[1]) for (worker,) in rows]
        found[:] = [pid for pid in pids if pid != os.getpid()]
        return bool(found)

    _wait_until(started, what="a Ray worker to start training")
    time.sleep(0.5)  # mid-training, not at its first step
    return found[0]


def test_two_searches_sharing_a_store_train_each_network_once(tmp_path):
    budget = 5
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "registry.toml").write_text(search_toml(tmp_path / "shared.sqlite", budget=budget))
    first = _archgen("search", "--config", "registry.toml", "--run-dir", "run", cwd=tmp_path / "a")
    second = _archgen("search", "--config", "registry.toml", "--run-dir", "run", cwd=tmp_path / "b")
    with _killed_afterwards(first), _killed_afterwards(second):
        assert first.wait(300) == 0, first.stderr.read().decode()[-2000:]
        assert second.wait(300) == 0, second.stderr.read().decode()[-2000:]
    trials = [json.loads((tmp_path / name / "run" / TRIAL).read_text()) for name in ("a", "b")]
    assert trials[0]["queries"] == trials[1]["queries"]  # same seed: the same five networks
    counts = ResultStore(tmp_path / "shared.sqlite").counts()
    assert counts["results"] == budget and counts["completed"] == budget and counts["retrained"] == 0
