"""Searchers hand a batching oracle the batch they are about to query, and query exactly as without it.

A training oracle trains a prefetched batch on parallel workers; the searcher's own loop must stay
the serial one, so a Ray search's trajectory is a serial search's (docs/training.md).
"""

from __future__ import annotations

import zlib

import pytest

from archgen.oracle import BudgetedOracle
from archgen.registry import load


class _Scored:
    """A deterministic pseudo-accuracy by canonical key; optionally answers batches and records them."""

    metric, unit, higher_is_better = "score", "%", True

    def __init__(self, space):
        self._space, self.space, self.batches = space, space.name, []

    def query(self, arch):
        return float(zlib.crc32(repr(self._space.canonical_key(arch)).encode()) % 10_000) / 100


class _BatchScored(_Scored):
    def __init__(self, space):
        super().__init__(space)
        self.answered: set = set()

    def query_many(self, archs):
        self.batches.append(len(archs))
        self.answered.update(self._space.canonical_key(arch) for arch in archs)
        return [self.query(arch) for arch in archs]


@pytest.fixture(scope="module")
def nb201():
    return load("space", "nb201")


@pytest.mark.parametrize(("searcher", "options", "first_batch"), [
    ("random", {"batch": 16}, 12),                    # its whole budget from the first draw
    ("evolution", {"population": 5, "sample_size": 2}, 5),   # the initial population
    ("guided", {"initial": 4, "batch": 3, "generated": 20, "mutations": 10, "ensemble": 1,
                "predictor": {"name": "gbdt"}}, 4),
])
def test_a_batching_oracle_gets_the_batch_and_the_trajectory_is_the_serial_one(nb201, searcher, options, first_batch):
    budget = 12
    serial = BudgetedOracle(_Scored(nb201), nb201, budget)
    load("searcher", searcher, **options).search(nb201, serial, seed=3)
    batching_oracle = _BatchScored(nb201)
    batched = BudgetedOracle(batching_oracle, nb201, budget)
    load("searcher", searcher, **options).search(nb201, batched, seed=3)
    assert batched.trajectory == serial.trajectory
    assert batching_oracle.batches[0] == first_batch
    # Nothing was prefetched that the search did not then query: the budget counts trained networks.
    assert batching_oracle.answered <= {nb201.canonical_key(nb201.from_string(q.arch)) for q in batched.trajectory}
