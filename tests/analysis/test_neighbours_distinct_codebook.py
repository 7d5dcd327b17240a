"""Nearest-training distances, distinct sampling and codebook health."""

import json
import math

import numpy as np
import pytest

import archgen
from archgen.analysis.codebook_health import usage_figures
from archgen.distinct_sampling import distinct_sample
from archgen.analysis.neighbours import nearest_distances
from archgen.cli.main import main


def _brute_force(sample, reference):
    (a, o), best = sample, None
    for b, p in zip(*reference):
        upper = np.triu(np.ones_like(a, dtype=bool), k=1)
        d = int(((a != 0) != (b != 0))[upper].sum() + (o != p).sum())
        best = d if best is None else min(best, d)
    return best


def test_nearest_distance_equals_a_brute_force_count_of_differing_edges_and_ops():
    rng = np.random.default_rng(0)
    adjacency = np.triu(rng.integers(0, 2, (40, 6, 6)), 1).astype(np.uint8)
    ops = rng.integers(-1, 4, (40, 6))
    samples, reference = (adjacency[:15], ops[:15]), (adjacency[15:], ops[15:])
    got = nearest_distances(samples, reference, num_ops=4)
    assert got.tolist() == [_brute_force((adjacency[i], ops[i]), reference) for i in range(15)]
    assert (nearest_distances(reference, reference, num_ops=4) == 0).all()


def test_distinct_sampling_keeps_n_distinct_valid_keys_and_counts_every_draw():
    space = archgen.load("space", "nb201")
    uniform = archgen.load("generator", "uniform")
    found = distinct_sample(space, lambda n, seed: uniform.sample(space, n, seed=seed), 300, 100, 10_000,
                            np.random.default_rng(0))
    assert found["complete"] and len(found["keys"]) == len(set(found["keys"])) == 300
    assert found["draws"] >= 300 and found["valid_draws"] == found["draws"]  # uniform only draws members
    assert len(found["seeds"]) == math.ceil(found["draws"] / 100)
    capped = distinct_sample(space, lambda n, seed: uniform.sample(space, n, seed=seed), 300, 100, 150,
                             np.random.default_rng(0))
    assert not capped["complete"] and capped["draws"] == 150


def test_usage_figures_are_the_used_codes_and_the_exponentiated_entropy():
    assert usage_figures(np.array([2, 2, 0, 0])) == {"used": 2, "perplexity": pytest.approx(2.0)}
    assert usage_figures(np.array([5, 0, 0]))["perplexity"] == pytest.approx(1.0)


def test_the_three_commands_write_their_files(run_copy):
    for name, extra in (("neighbours", ["--n", "300"]), ("distinct", ["--n", "50", "--option", "max_draws=3000"]),
                        ("codebook", [])):
        assert main(["analyze", str(run_copy), name, *extra]) == 0, name
    neighbours = json.loads((run_copy / "analysis" / "neighbours.json").read_text())
    assert sum(neighbours["histogram"]["all"]) == neighbours["novel_samples"] > 0
    assert neighbours["histogram"]["all"][0] == 0  # a novel sample is no training graph: never at distance 0
    distinct = json.loads((run_copy / "analysis" / "distinct.json").read_text())
    model, uniform = distinct["generators"]["arch_vq"], distinct["generators"]["uniform"]
    assert uniform["complete"] and uniform["distinct"] == 50 and len(set(uniform["architectures"])) == 50
    assert model["complete"] == (model["distinct"] == 50) and model["draws"] <= 3000
    assert model["novel"] <= model["distinct"] and len(set(model["architectures"])) == model["distinct"]
    codebook = json.loads((run_copy / "analysis" / "codebook.json").read_text())
    seed0 = codebook["per_seed"][0]
    assert seed0["used"] == seed0["training"]["codebook_used"]  # both count the training split's codes
    assert sum(seed0["sorted_usage"]) == 8 * codebook["train_sequences"]
