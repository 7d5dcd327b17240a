"""``generate_sort``: Arch-VQ §5.3 -- generate a pool, rank it with a predictor trained within the budget."""

from __future__ import annotations

import math

import numpy as np
import pytest

import archgen
from archgen.errors import ConfigError
from archgen.plugins.search import generate_sort
from archgen.plugins.search.generate_sort import GenerateSort, rank, top_statistics
from archgen.testing import check_searcher

TINY = GenerateSort.TEST_OPTIONS


def conv_count(arch) -> float:
    return float(arch.ops.count("nor_conv_3x3"))


class PerfectPredictor:
    """Predicts the toy score exactly (so the ranking must be the toy's own)."""

    def __init__(self):
        self.fitted_on: list = []

    def fit(self, space, archs, targets, *, runtime=None, seed=0):
        self.fitted_on = list(zip(archs, targets))
        return {}

    def predict(self, space, archs):
        return np.array([conv_count(a) for a in archs])


def test_top_statistics_are_max_mean_min_of_the_finite_values():
    assert top_statistics([1.0, 2.0, math.nan, 6.0]) == {"max": 6.0, "mean": 3.0, "min": 1.0, "n": 3}
    with pytest.raises(ConfigError, match="no finite value"):
        top_statistics([math.nan])


def test_rank_orders_by_prediction_and_keeps_ties_stable(nb201):
    pool = nb201.sample(5, seed=0)

    class Fixed:
        def predict(self, space, archs):
            return np.array([0.5, 2.0, 0.5, -1.0, 2.0])

    order, predictions = rank(nb201, pool, Fixed())
    assert order == [1, 4, 0, 2, 3]
    assert rank(nb201, pool, Fixed(), higher_is_better=False)[0] == [3, 0, 2, 1, 4]
    assert predictions.tolist() == [0.5, 2.0, 0.5, -1.0, 2.0]


def test_the_top_is_the_predictors_ranking_of_the_distinct_pool(nb201, toy, monkeypatch):
    perfect = PerfectPredictor()
    monkeypatch.setattr(generate_sort, "load", lambda slot, name, **options: perfect)
    oracle = toy(12)
    stats = GenerateSort(generate_sort.GenerateSortOptions(samples=300, top=25, verify=2)).search(nb201, oracle, seed=4)
    pool: dict = {}
    for arch in nb201.sample(300, seed=4):
        pool.setdefault(nb201.canonical_key(arch), arch)  # the first draw of each class represents it
    assert stats["pool"] == len(pool) and stats["drawn"] == 300 and stats["invalid_draws"] == 0
    expected = sorted((conv_count(a) for a in pool.values()), reverse=True)[:25]
    top = [conv_count(nb201.from_string(s)) for s in stats["top"]]
    assert top == expected and stats["top_predicted"] == expected
    assert top_statistics(top) == top_statistics(expected)
    # 10 labels from the pool, the predictor trained on exactly those, then the 2 best-ranked queried
    assert stats["labels"] == 10 and len(perfect.fitted_on) == 10 and stats["verified"] == 2
    labels = [q.arch for q in oracle.trajectory[:10]]
    assert [nb201.to_string(a) for a, _ in perfect.fitted_on] == labels
    assert [y for _, y in perfect.fitted_on] == [q.value for q in oracle.trajectory[:10]]
    assert [q.arch for q in oracle.trajectory[10:]] == [s for s in stats["top"] if s not in labels][:2]


def test_generate_sort_spends_exactly_its_budget(nb201, toy):
    oracle = toy(15)
    stats = archgen.load("searcher", "generate_sort", **TINY).search(nb201, oracle, seed=0)
    assert oracle.num_queries == 15 and stats["labels"] == 12 and stats["verified"] == 3
    assert len(stats["top"]) == 20 and stats["top_predicted"] == sorted(stats["top_predicted"], reverse=True)


def test_generate_sort_is_deterministic_by_seed(nb201, toy):
    tops = []
    for seed in (1, 1, 2):
        tops.append(archgen.load("searcher", "generate_sort", **TINY).search(nb201, toy(10), seed=seed)["top"])
    assert tops[0] == tops[1] and tops[0] != tops[2]


def test_a_split_that_does_not_fit_the_budget_is_refused(nb201, toy):
    with pytest.raises(ConfigError, match="labels 8 \\+ verify 3 must fit the budget 10"):
        archgen.load("searcher", "generate_sort", **{**TINY, "labels": 8}).search(nb201, toy(10), seed=0)


def test_generate_sort_passes_the_searcher_kit(nb201, toy):
    check_searcher(lambda: archgen.load("searcher", "generate_sort", **TINY), nb201, toy(1).oracle, budget=10)


def test_with_duplicates_kept_a_repeated_draw_is_ranked_twice_but_labelled_once(nb201, toy, monkeypatch):
    perfect = PerfectPredictor()
    monkeypatch.setattr(generate_sort, "load", lambda slot, name, **options: perfect)
    draws = nb201.sample(300, seed=4)
    assert len({nb201.canonical_key(a) for a in draws}) < 300, "the toy needs repeated draws"
    options = generate_sort.GenerateSortOptions(samples=300, top=300, verify=0, distinct=False)
    stats = GenerateSort(options).search(nb201, toy(250), seed=4)
    assert stats["pool"] == 300 and len(stats["top"]) == 300
    assert sorted(stats["top"]) == sorted(nb201.to_string(a) for a in draws)
    labelled = [nb201.canonical_key(a) for a, _ in perfect.fitted_on]
    assert len(labelled) == len(set(labelled)) == stats["labels"]
