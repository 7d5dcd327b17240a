"""``random``: uniform draws until the budget is spent; repeats are free."""

from __future__ import annotations

import pytest

import archgen
from archgen.oracle import BudgetedOracle, TableOracle, MetricSpec
from archgen.plugins.searchers.random_search import RandomSearch, RandomSearchOptions
from archgen.testing import check_searcher


def test_random_search_spends_exactly_its_budget(nb201, toy):
    oracle = toy(37)
    stats = archgen.load("searcher", "random", batch=8).search(nb201, oracle, seed=0)
    assert oracle.num_queries == 37 and oracle.remaining == 0
    assert stats["stopped"] == "budget" and stats["evaluated"] == 37
    keys = [nb201.canonical_key(nb201.from_string(q.arch)) for q in oracle.trajectory]
    assert len(set(keys)) == 37, "every charged query is a new canonical class"


def test_random_search_is_deterministic_by_seed(nb201, toy):
    runs = []
    for seed in (3, 3, 4):
        oracle = toy(20)
        RandomSearch().search(nb201, oracle, seed=seed)
        runs.append([q.arch for q in oracle.trajectory])
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_random_search_skips_unanswerable_cells_and_stops_when_nothing_is_new(nb201):
    # An oracle that knows only 5 cells: the other draws are not charged, and the search gives up
    # after `patience` fruitless draws instead of looping forever.
    cells = nb201.sample(6, seed=1)
    assert len({nb201.canonical_key(a) for a in cells}) == 6
    known = cells[:5]
    table = TableOracle(nb201, "five", MetricSpec("%"), {nb201.canonical_key(a): float(i) for i, a in enumerate(known)})
    # A sampler over the five known cells and one the table lacks.
    space = type("Six", (), {"name": "nb201", "sample": lambda self, n, seed=0: [cells[(seed + i) % 6] for i in range(n)],
                             "canonical_key": nb201.canonical_key, "to_string": nb201.to_string})()
    oracle = BudgetedOracle(table, space, 50)
    stats = RandomSearch(RandomSearchOptions(batch=4, patience=30)).search(space, oracle, seed=0)
    assert oracle.num_queries == 5 and stats["stopped"] == "patience"


def test_random_search_passes_the_searcher_kit(nb201, toy):
    asked = check_searcher(lambda: RandomSearch(RandomSearchOptions(batch=4)), nb201, toy(10).oracle, budget=10)
    assert len({nb201.canonical_key(a) for a in asked}) == 10


def test_options_refuse_unknown_keys():
    with pytest.raises(archgen.ConfigError, match="batchsize"):
        archgen.load("searcher", "random", batchsize=3)
