"""Each analysis's headline: the one line ``archgen analyze`` prints, from the figure the analysis is about."""

from __future__ import annotations

from archgen.analysis import ANALYSES, analysis_module


def _rows(hit, total, percent):
    return {"sequences_with_any": hit, "permutations": hit, "permutations_percent": percent}


def _stat(mean, std=0.0):
    return {"mean": mean, "std": std}


RESULTS = {
    "permutation": {"sequences": 1000, "exact": _rows(60, 1000, 5.25), "canonical": _rows(80, 1000, 7.5)},
    "codes": {"js_distance_train_vs_novel": [0.1, None, 0.3], "novel_protocol": "strict", "novel_samples": 40, "samples": 100},
    "codebook": {"per_seed": [{"codebook_size": 512}], "train_sequences": 14_000,
                 "summary": {"used": _stat(300.0), "perplexity": _stat(250.4), "distinct_sequences": _stat(13_900.0)}},
    "reconstruction": {"split": "heldout", "per_seed": [{"seed": 0, "cells": 1562, "exact": 99.5, "ceiling_position_blind": 99.8},
                                                        {"seed": 1, "cells": 1562, "exact": 99.7, "ceiling_position_blind": 99.8}]},
    "distinct": {"n": 1000, "generators": {"arch_vq": {"distinct": 1000, "draws": 1350, "draws_per_distinct": 1.35, "complete": True},
                                           "uniform": {"distinct": 1000, "draws": 1100, "draws_per_distinct": 1.1, "complete": True}}},
    "neighbours": {"novel_samples": 30, "novel_protocol": "paper", "samples": 100,
                   "summary": {"all": {"count": 30, "median": 2.0}, "members": {"count": 22, "median": 2.0},
                               "off_topology": {"count": 8, "median": 3.0}}},
    "ablation": {"seeds": [0], "num_samples": 500, "rows": {
        "Arch-VQ": {"summary": {"paper": {"absolute_uniqueness": _stat(70.3), "absolute_novelty": _stat(60.1)}}}}},
    "sensitivity": {"points": [{"parameter": "codebook_size", "value": 64, "reconstruction_accuracy": 98.0},
                               {"parameter": "codebook_size", "value": 512, "reconstruction_accuracy": 99.9},
                               {"parameter": "beta", "value": 0.25, "reconstruction_accuracy": 99.0}]},
}

EXPECTED = {
    "permutation": "permuted sequences decoded to the original: 5.25 % of permutations exactly (60 of 1000 sequences at least "
                   "once), 7.50 % by canonical key (80 of 1000); Arch-VQ (NB101): 5.1 %",
    "codes": "JS distance of training vs strict-novel codes: mean 0.200 over 2 positions (largest 0.300); 40 novel of 100 samples",
    "codebook": "codebook use: 300 of 512 codes used, perplexity 250.4, 13900 distinct code sequences for 14000 training "
                "cells (1 seed)",
    "reconstruction": "exact reconstruction of the heldout split: 99.60 % (mean of 2 seeds, 1562 cells); position-blind "
                      "ceiling 99.80 %",
    "distinct": "1000 distinct valid architectures: arch_vq 1000 in 1,350 draws (1.35 per distinct); uniform 1000 in 1,100 "
                "draws (1.10 per distinct)",
    "neighbours": "distance of the 30 paper-novel samples (of 100) to their nearest training graph: median 2 (members 2, "
                  "off-topology 3; 8 off-topology)",
    "ablation": "paper Abs. Uniq/Abs. Novelty (500 samples, 1 seed): Arch-VQ 70.30/60.10",
    "sensitivity": "held-out reconstruction accuracy (%): codebook_size best 99.90 at 512 (lowest 98.00); beta best 99.00 at "
                   "0.25 (lowest 99.00)",
}


def test_every_analysis_has_a_headline_of_its_figure():
    assert set(RESULTS) == set(ANALYSES)
    for name, result in RESULTS.items():
        assert analysis_module(name).headline(result) == EXPECTED[name], name
