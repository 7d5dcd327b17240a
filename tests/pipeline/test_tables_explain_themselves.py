"""Printed tables: one seed shows values alone, every table ends with a legend line, ceilings are exact."""

from __future__ import annotations

import math

import pytest

from archgen.metrics import iid_uniqueness_ceiling
from archgen.metrics.ceilings import canonical_class_count, ceiling_text, uniqueness_ceilings
from archgen.pipeline.predict import predict_table
from archgen.pipeline.report import cell, results_table
from archgen.pipeline.search_command.tables import search_table
from archgen.pipeline.sweep import sweep_table


def _stat(mean, std=0.0):
    return {"mean": mean, "std": std}


def _figures(value, std):
    return {k: _stat(value, std) for k in ("validity", "uniqueness", "absolute_uniqueness", "novelty",
                                          "absolute_novelty", "heldout_coverage")}


def _metrics(seeds, std):
    return {
        "space": "toy", "generator": "g", "num_samples": 10_000, "seeds": seeds,
        "sampling": {"temperature": 1.2, "top_k": None},
        "iid_uniqueness_ceiling": 73.86,
        "uniqueness_ceilings": {"paper": {"ceiling": 73.862, "over": "members", "count": 15_625},
                                "strict": {"ceiling": 50.89, "over": "canonical classes", "count": 6_466}},
        "summary": {"paper": _figures(70.0, std), "strict": _figures(60.0, std), "reconstruction_accuracy": _stat(99.9, std)},
        "baselines": {},
    }


class _Space:
    """``size`` members in ``size // 2`` canonical classes (members 2k and 2k+1 are one class)."""

    def __init__(self, size):
        self._size = size

    def size(self):
        return self._size

    def enumerate(self):
        return iter(range(self._size))

    def canonical_key(self, arch):
        return arch // 2


def test_the_members_ceiling_is_the_expected_distinct_share_of_uniform_draws():
    # S (1 - (1 - 1/S)^n) / n with S = 15,625 cells and n = 10,000 draws.
    expected = 15_625 * (1 - (1 - 1 / 15_625) ** 10_000) / 10_000
    assert iid_uniqueness_ceiling(15_625, 10_000) == pytest.approx(100 * expected)
    assert round(iid_uniqueness_ceiling(15_625, 10_000), 2) == 73.86


def test_the_strict_ceiling_counts_canonical_classes():
    space = _Space(20)
    assert canonical_class_count(space) == 10
    ceilings = uniqueness_ceilings(space, 10)
    assert ceilings["paper"] == {"ceiling": pytest.approx(100 * 20 * (1 - (19 / 20) ** 10) / 10), "over": "members", "count": 20}
    assert ceilings["strict"]["over"] == "canonical classes" and ceilings["strict"]["count"] == 10
    assert ceilings["strict"]["ceiling"] == pytest.approx(100 * 10 * (1 - 0.9 ** 10) / 10)
    assert "strict 65.13 % of 10 canonical classes" in ceiling_text(ceilings)


def test_a_space_too_large_to_enumerate_is_bounded_by_members_and_huge_ones_read_100():
    ceilings = uniqueness_ceilings(_Space(10**6), 10_000)
    assert ceilings["strict"]["count"] == 10**6 and "classes not counted" in ceiling_text(ceilings)
    assert ceiling_text(uniqueness_ceilings(_Space(10**18), 10_000)).endswith("≈100 % (the space is too large for repeats)")


def test_one_seed_prints_values_alone_and_says_so():
    assert cell(_stat(70.0), 1) == "70.00" and cell(_stat(70.0, 0.5), 2) == "70.00 ± 0.50" and cell(_stat(math.nan), 1) == "-"
    text = results_table(_metrics([0], 0.0))
    assert "±" not in text.split("\nlegend:")[0]
    legend = text.splitlines()[-1]
    assert legend.startswith("legend: ") and "10,000 samples per seed; 1 seed (0);" in legend
    assert "sampling temperature=1.2 (top_k unset)" in legend
    assert "paper 73.86 % of 15,625 members, strict 50.89 % of 6,466 canonical classes" in legend


def test_several_seeds_print_mean_and_std_and_say_over_how_many():
    text = results_table(_metrics([0, 1, 2], 0.5))
    assert "70.00 ± 0.50" in text and "mean ± std over 3 seeds (0, 1, 2)" in text.splitlines()[-1]


def _sweep(seeds):
    point = {"value": 1.0, "sampling": {"temperature": 1.0, "top_k": 5}, "paper": _figures(70.0, 1.0), "strict": _figures(60.0, 1.0)}
    return {"over": "temperature", "num_samples": 500, "seeds": seeds, "points": [point], "sampling": {"top_k": 5},
            "iid_uniqueness_ceiling": 98.42,
            "uniqueness_ceilings": {"paper": {"ceiling": 98.42, "over": "members", "count": 15_625},
                                    "strict": {"ceiling": 96.24, "over": "canonical classes", "count": 6_466}}}


def test_sweep_columns_name_their_protocol_and_the_legend_the_rest():
    lines = sweep_table(_sweep(2)).splitlines()
    header = lines[0]
    for column in ("paper Validity", "paper Abs. Uniq", "paper Abs. Novelty", "strict Validity", "strict Abs. Uniq",
                   "strict Held-out cov."):
        assert column in header
    assert lines[-1].startswith("legend: ") and "500 samples per seed and point; means over 2 seeds" in lines[-1]
    assert "temperature swept, sampling top_k=5" in lines[-1] and "paper 98.42 %" in lines[-1]
    assert "1 seed;" in sweep_table(_sweep(1)).splitlines()[-1]


def _predict(trials):
    runs = [{"seed": s, "test_size": 900} for s in range(trials)]
    point = {"n": 100, "kendall_tau": _stat(0.61, 0.02), "spearman": _stat(0.8, 0.01), "fit_seconds": _stat(3.0),
             "reference": {}, "trials": runs}
    return {"space": "toy", "predictor": {"name": "gin"}, "metric": "acc", "test_metric": "acc", "pool_size": 1_000,
            "test_on": "rest", "trials": trials, "points": [point], "reference_note": ""}


def test_predict_table_has_a_legend_and_no_spread_for_one_trial():
    one = predict_table(_predict(1))
    assert "±" not in one.split("\nlegend:")[0] and "0.610" in one
    assert one.splitlines()[-1] == ("legend: rank correlation of predicted and true acc on the rest of the pool (1,000 labelled); "
                                    "trained on N labelled by acc; 1 trial (0); fit s: mean seconds per fit")
    assert "0.610 ± 0.020" in predict_table(_predict(3)) and "mean ± std over 3 trials (0, 1, 2)" in predict_table(_predict(3))


def _search(trials):
    entry = {"trials": trials, "budget": 100, "at": {"10": _stat(93.5, 0.3), "100": _stat(94.0, 0.1)}}
    return {"space": "toy", "note": "signal = report", "signal": "acc", "report": "acc", "checkpoints": [10, 100],
            "searchers": {"random": entry}, "published": []}


def test_search_table_has_a_legend_and_no_spread_for_one_trial():
    one = search_table(_search(1))
    assert "93.50" in one and "±" not in one.split("\nlegend:")[0]
    assert one.splitlines()[-1] == ("legend: @N = acc of the best-acc architecture after N distinct oracle queries; "
                                    "1 trial; budget 100 queries per trial")
    assert "93.50 ± 0.30" in search_table(_search(4)) and "mean ± std over 4 trials" in search_table(_search(4))
