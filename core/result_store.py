"""The result store of training oracles: every trained network's figures, committed the moment training ends.

One SQLite database (stdlib :mod:`sqlite3`, write-ahead log) is the single record of a
training oracle's work. A result is keyed by ``(space, canonical key, dataset, recipe hash,
seed)``, so the same network trained on the same data with the same recipe and seed is
never trained again: a search killed at any point resumes from what is stored, and two
searches sharing a store share their results.

Two processes must also never train the same network *at the same time*: before training,
a process takes a claim on the key (a row of ``claims``, inserted in one transaction). A
second process that finds the key claimed waits for the result instead of training. A claim
whose owner died (its process is gone on this host, or its lease ran out) is taken over, so a
SIGKILLed search never blocks the next one.

``attempts`` logs every training started and marks the one that finished, so "no network
trained twice" is a query (:meth:`ResultStore.counts`' ``retrained`` is 0), and a training cut
short by a killed worker shows as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archgen.atomic import atomic_path
from archgen.errors import DataFileError

#: Columns of a result besides its key, in the order exports write them.
RESULT_FIELDS = ("arch", "valid", "test", "params", "macs", "train_seconds", "epochs", "device", "worker",
                 "finished_at")
KEY_FIELDS = ("space", "key", "dataset", "recipe", "seed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    space TEXT NOT NULL, key TEXT NOT NULL, dataset TEXT NOT NULL, recipe TEXT NOT NULL, seed INTEGER NOT NULL,
    arch TEXT NOT NULL, valid REAL NOT NULL, test REAL NOT NULL, params INTEGER, macs INTEGER,
    train_seconds REAL NOT NULL, epochs INTEGER NOT NULL, device TEXT NOT NULL, worker TEXT NOT NULL,
    finished_at REAL NOT NULL,
    PRIMARY KEY (space, key, dataset, recipe, seed)
);
CREATE TABLE IF NOT EXISTS claims (
    space TEXT NOT NULL, key TEXT NOT NULL, dataset TEXT NOT NULL, recipe TEXT NOT NULL, seed INTEGER NOT NULL,
    owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at REAL NOT NULL,
    PRIMARY KEY (space, key, dataset, recipe, seed)
);
CREATE TABLE IF NOT EXISTS attempts (
    space TEXT NOT NULL, key TEXT NOT NULL, dataset TEXT NOT NULL, recipe TEXT NOT NULL, seed INTEGER NOT NULL,
    worker TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL
);
CREATE TABLE IF NOT EXISTS recipes (recipe TEXT PRIMARY KEY, description TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ResultKey:
    """What identifies one training: the same key is never trained twice.

    Attributes:
        space: The space's name.
        key: The architecture's canonical key, as a string (every form of one network shares it).
        dataset: The dataset's recorded identity (name and options hash).
        recipe: The training recipe's hash.
        seed: The training seed.
    """

    space: str
    key: str
    dataset: str
    recipe: str
    seed: int

    def row(self) -> tuple[str, str, str, str, int]:
        return (self.space, self.key, self.dataset, self.recipe, self.seed)


@dataclass(frozen=True)
class TrainingResult:
    """What one training measured.

    Attributes:
        arch: The architecture's native string (the form that was trained).
        valid: Validation accuracy (%), the searcher's signal.
        test: Test accuracy (%), the reported figure.
        params: Trainable parameters of the network.
        macs: Multiply-accumulates of one forward pass, where the space counts them (else ``None``).
        train_seconds: Wall time of training and evaluation.
        epochs: Epochs trained.
        device: Where it trained (``"cpu"``, ``"cuda:0"``).
        worker: Which process trained it (``host:pid``).
        finished_at: Unix time of the commit.
    """

    arch: str
    valid: float
    test: float
    params: int | None
    macs: int | None
    train_seconds: float
    epochs: int
    device: str
    worker: str
    finished_at: float = 0.0


def this_worker() -> str:
    """``host:pid`` of the calling process (recorded with claims, attempts and results)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ResultStore:
    """A SQLite file of training results, claims and attempts.

    Args:
        path: The database file (created with its folder when absent).
        lease_seconds: How long a claim holds without its owner renewing it; a claim older than
            this is taken over even when its owner's process cannot be checked (another host).

    Raises:
        DataFileError: If ``path`` exists but is not an archgen result store (one line, naming it).
    """

    def __init__(self, path: str | os.PathLike[str], lease_seconds: float = 6 * 3600.0):
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise DataFileError(f"{str(self.path)!r} is not an archgen result store (SQLite said: {error})") from None

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per operation: safe across threads, forks and Ray workers.
        connection = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            connection.execute("PRAGMA busy_timeout=60000")
            yield connection
        finally:
            connection.close()

    # -- results -----------------------------------------------------------------------
    def get(self, key: ResultKey) -> TrainingResult | None:
        """The stored result of ``key``, or ``None``."""
        with self._connect() as connection:
            row = connection.execute(
                f"SELECT {', '.join(RESULT_FIELDS)} FROM results WHERE space=? AND key=? AND dataset=? AND recipe=? "
                "AND seed=?", key.row()).fetchone()
        return None if row is None else TrainingResult(*row)

    def put(self, key: ResultKey, result: TrainingResult, attempt: int | None = None) -> TrainingResult:
        """Commits ``result`` and releases the key's claim in one transaction; an existing result wins.

        Args:
            key: What was trained.
            result: What it measured.
            attempt: The id :meth:`record_attempt` returned, marked finished in the same transaction.

        Returns:
            The result now stored (the earlier one if another process committed first).
        """
        stamped = TrainingResult(**{**asdict(result), "finished_at": time.time()})
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                f"INSERT OR IGNORE INTO results ({', '.join(KEY_FIELDS + RESULT_FIELDS)}) "
                f"VALUES ({', '.join('?' * (len(KEY_FIELDS) + len(RESULT_FIELDS)))})",
                key.row() + tuple(asdict(stamped)[name] for name in RESULT_FIELDS))
            connection.execute("DELETE FROM claims WHERE space=? AND key=? AND dataset=? AND recipe=? AND seed=?",
                               key.row())
            if attempt is not None:
                connection.execute("UPDATE attempts SET finished_at=? WHERE rowid=?", (stamped.finished_at, attempt))
            connection.execute("COMMIT")
        stored = self.get(key)
        assert stored is not None
        return stored

    def record_recipe(self, recipe: str, description: dict[str, Any]) -> None:
        """Stores what a recipe hash stands for (dataset, transforms, optimiser...), once."""
        with self._connect() as connection:
            connection.execute("INSERT OR IGNORE INTO recipes VALUES (?, ?)", (recipe, json.dumps(description, sort_keys=True)))

    # -- claims ------------------------------------------------------------------------
    def claim(self, key: ResultKey, owner: str | None = None) -> bool:
        """Takes the claim on ``key`` unless a live owner holds it or it is already stored.

        Args:
            key: The training about to start.
            owner: Who trains it (default: this process, ``host:pid``).

        Returns:
            Whether the caller now owns the key (and must train it and :meth:`put` the result).
        """
        owner = owner or this_worker()
        host, pid = socket.gethostname(), os.getpid()
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                if connection.execute("SELECT 1 FROM results WHERE space=? AND key=? AND dataset=? AND recipe=? AND seed=?",
                                      key.row()).fetchone():
                    return False
                held = connection.execute(
                    "SELECT owner, host, pid, claimed_at FROM claims WHERE space=? AND key=? AND dataset=? AND recipe=? "
                    "AND seed=?", key.row()).fetchone()
                if held is not None and held[0] != owner and self._alive(*held[1:]):
                    return False
                connection.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   key.row() + (owner, host, pid, time.time()))
                return True
            finally:
                connection.execute("COMMIT")

    def take_over(self, key: ResultKey) -> None:
        """Makes the calling process the owner of ``key``'s claim (the worker that trains it)."""
        with self._connect() as connection:
            connection.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               key.row() + (this_worker(), socket.gethostname(), os.getpid(), time.time()))

    def release(self, key: ResultKey, owner: str | None = None) -> None:
        """Drops ``owner``'s claim on ``key`` (training failed; another may try)."""
        with self._connect() as connection:
            connection.execute("DELETE FROM claims WHERE space=? AND key=? AND dataset=? AND recipe=? AND seed=? "
                               "AND owner=?", key.row() + (owner or this_worker(),))

    def _alive(self, host: str, pid: int, claimed_at: float) -> bool:
        """Whether a claim's owner may still be training: its process exists here, or its lease runs."""
        if time.time() - claimed_at > self.lease_seconds:
            return False
        if host != socket.gethostname():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def wait_for(self, key: ResultKey, poll_seconds: float = 0.5) -> TrainingResult | None:
        """Waits while another live process holds the claim; its result, or ``None`` if it gave up."""
        while True:
            result = self.get(key)
            if result is not None:
                return result
            with self._connect() as connection:
                held = connection.execute(
                    "SELECT host, pid, claimed_at FROM claims WHERE space=? AND key=? AND dataset=? AND recipe=? "
                    "AND seed=?", key.row()).fetchone()
            if held is None or not self._alive(*held):
                return None
            time.sleep(poll_seconds)

    # -- attempts and reports ----------------------------------------------------------
    def record_attempt(self, key: ResultKey, worker: str | None = None) -> int:
        """Notes that a training of ``key`` started (committed before its first step); returns its id for :meth:`put`."""
        with self._connect() as connection:
            cursor = connection.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                                        key.row() + (worker or this_worker(), time.time()))
            return int(cursor.lastrowid)

    def counts(self) -> dict[str, int]:
        """How much work the store holds.

        Returns:
            ``results`` (networks stored), ``completed`` (trainings that ran to the end),
            ``interrupted`` (started and never finished: a killed worker or driver), ``claims``
            (open ones) and ``retrained`` (networks whose training completed more than once: 0 unless
            two stores' work was merged by hand).
        """
        with self._connect() as connection:
            def one(query: str) -> int:
                return int(connection.execute(query).fetchone()[0])

            return {
                "results": one("SELECT COUNT(*) FROM results"),
                "completed": one("SELECT COUNT(*) FROM attempts WHERE finished_at IS NOT NULL"),
                "interrupted": one("SELECT COUNT(*) FROM attempts WHERE finished_at IS NULL"),
                "claims": one("SELECT COUNT(*) FROM claims"),
                "retrained": one("SELECT COUNT(*) FROM (SELECT 1 FROM attempts WHERE finished_at IS NOT NULL "
                                 "GROUP BY space, key, dataset, recipe, seed HAVING COUNT(*) > 1)"),
            }

    def rows(self) -> list[dict[str, Any]]:
        """Every result as a dict (key fields, then result fields), oldest first."""
        fields = KEY_FIELDS + RESULT_FIELDS
        with self._connect() as connection:
            rows = connection.execute(f"SELECT {', '.join(fields)} FROM results ORDER BY finished_at, key").fetchall()
        return [dict(zip(fields, row)) for row in rows]

    def export(self, target: str | os.PathLike[str]) -> int:
        """Writes every result to ``target`` (``.csv`` or ``.json``), atomically; returns the row count.

        Raises:
            DataFileError: For another suffix (naming the accepted ones).
        """
        target = Path(target)
        rows = self.rows()
        if target.suffix == ".json":
            text = json.dumps({"store": str(self.path), "counts": self.counts(), "results": rows}, indent=1)
        elif target.suffix == ".csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(KEY_FIELDS + RESULT_FIELDS), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            text = buffer.getvalue()
        else:
            raise DataFileError(f"cannot export the result store to {str(target)!r}: the suffix must be .csv or .json")
        with atomic_path(target) as temporary:
            temporary.write_text(text, encoding="utf-8")
        return len(rows)
