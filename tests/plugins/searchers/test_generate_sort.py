"""``generate_sort``: Arch-VQ §5.3 -- generate a pool, rank it with a predictor trained within the budget."""

from __future__ import annotations

import math

import numpy as np
import pytest

import archgen
from archgen.errors import ConfigError
from archgen.plugins.searchers import generate_sort
from archgen.plugins.searchers.generate_sort import GenerateSort, rank, top_statistics
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
    # Queried members rank by what was measured, the rest by prediction: that score is sorted.
    scores = [m if m is not None else p for m, p in zip(stats["top_measured"], stats["top_predicted"])]
    assert len(stats["top"]) == 20 and scores == sorted(scores, reverse=True)
    assert sum(m is not None for m in stats["top_measured"]) >= 3  # the verified ones at least


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


class ConstantPredictor(PerfectPredictor):
    """Predicts nothing useful: every architecture gets the same score."""

    def predict(self, space, archs):
        return np.zeros(len(archs))


def test_trusted_labels_put_the_measured_best_first(nb201, toy, monkeypatch):
    monkeypatch.setattr(generate_sort, "load", lambda slot, name, **options: ConstantPredictor())
    options = generate_sort.GenerateSortOptions(samples=300, top=300, verify=0)
    oracle = toy(30)
    stats = GenerateSort(options).search(nb201, oracle, seed=1)
    measured = sorted((q.value for q in oracle.trajectory), reverse=True)
    # The 30 queried members lead, best measured first (the toy scores are 0..6, all above the constant 0
    # except the zeros, which tie with the predictions and keep their pool order after them).
    top_measured = [m for m in stats["top_measured"] if m is not None]
    assert top_measured == measured and stats["top_measured"][: sum(v > 0 for v in measured)] == [v for v in measured if v > 0]
    # Without trust, a constant prediction ranks nothing: the top is the distinct pool in draw order.
    untrusted = GenerateSort(options.model_copy(update={"trust_labels": False})).search(nb201, toy(30), seed=1)
    pool: dict = {}
    for arch in nb201.sample(300, seed=1):
        pool.setdefault(nb201.canonical_key(arch), nb201.to_string(arch))
    assert untrusted["top"] == list(pool.values())


def test_later_rounds_label_the_best_predicted_unlabelled_members(nb201, toy, monkeypatch):
    perfect = PerfectPredictor()
    monkeypatch.setattr(generate_sort, "load", lambda slot, name, **options: perfect)
    options = generate_sort.GenerateSortOptions(samples=300, top=25, verify=0, rounds=2)
    oracle = toy(20)
    stats = GenerateSort(options).search(nb201, oracle, seed=4)
    assert stats["labels"] == 20 and stats["rounds"] == 2
    first, second = oracle.trajectory[:10], oracle.trajectory[10:]
    pool: dict = {}
    for arch in nb201.sample(300, seed=4):
        pool.setdefault(nb201.canonical_key(arch), arch)
    first_keys = {nb201.canonical_key(nb201.from_string(q.arch)) for q in first}
    rest = sorted((conv_count(a) for k, a in pool.items() if k not in first_keys), reverse=True)
    # The second round takes the 10 best-predicted (here: best) members the first round left.
    assert sorted((q.value for q in second), reverse=True) == rest[:10]
