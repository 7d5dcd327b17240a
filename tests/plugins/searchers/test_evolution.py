"""``evolution``: regularized (aging) evolution, Real et al. 2019, Algorithm 1."""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from archgen.errors import ConfigError
from archgen.plugins.searchers.evolution import EvolutionOptions, RegularizedEvolution
from archgen.plugins.searchers.random_search import RandomSearch
from archgen.testing import check_searcher


def test_evolution_spends_exactly_its_budget(nb201, toy):
    oracle = toy(60)
    stats = RegularizedEvolution().search(nb201, oracle, seed=0)
    assert oracle.num_queries == 60 and stats["stopped"] == "budget"


def test_evolution_beats_random_search_on_a_smooth_landscape(nb201, toy):
    # The conv-count score rewards one-edge steps towards all-conv3x3 (score 6, one cell of 15,625):
    # random search at 100 queries expects about 3.9; evolution climbs to the optimum.
    def best(searcher, seed):
        oracle = toy(100)
        searcher.search(nb201, oracle, seed=seed)
        return oracle.best().value

    evolution = [best(RegularizedEvolution(), seed) for seed in range(5)]
    random = [best(RandomSearch(), seed) for seed in range(5)]
    assert np.mean(evolution) > np.mean(random) + 1
    assert max(evolution) == 6


def test_evolution_is_deterministic_by_seed(nb201, toy):
    runs = []
    for seed in (1, 1, 2):
        oracle = toy(30)
        RegularizedEvolution().search(nb201, oracle, seed=seed)
        runs.append([q.arch for q in oracle.trajectory])
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_population_is_seeded_at_random_then_children_are_one_mutation_away(nb201, toy):
    oracle = toy(40)
    RegularizedEvolution(EvolutionOptions(population=10, sample_size=3)).search(nb201, oracle, seed=5)
    archs = [nb201.from_string(q.arch) for q in oracle.trajectory]
    for child in archs[10:]:
        # every child differs from some earlier architecture on exactly one edge (its parent)
        assert any(sum(a != b for a, b in zip(child.ops, earlier.ops)) == 1 for earlier in archs[: archs.index(child)])


def test_cycles_bound_the_search(nb201, toy):
    oracle = toy(1000)
    stats = RegularizedEvolution(EvolutionOptions(population=5, sample_size=2, cycles=7)).search(nb201, oracle, seed=0)
    assert stats == {"cycles": 7, "evaluated": oracle.num_queries, "stopped": "cycles"}
    assert oracle.num_queries <= 5 + 7


def test_sample_size_cannot_exceed_population():
    with pytest.raises(ConfigError, match="sample_size 4 exceeds population 3"):
        archgen.load("searcher", "evolution", population=3, sample_size=4)


def test_a_space_without_mutate_is_refused_by_name(nb201, toy):
    space = type("Plain", (), {"name": "plain"})()
    with pytest.raises(ConfigError, match="space 'plain' does not"):
        RegularizedEvolution().search(space, toy(5), seed=0)


def test_evolution_passes_the_searcher_kit(nb201, toy):
    check_searcher(lambda: archgen.load("searcher", "evolution", **RegularizedEvolution.TEST_OPTIONS), nb201, toy(1).oracle, budget=15)
