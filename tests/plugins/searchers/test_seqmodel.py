"""``seqmodel``: Arch-LLM's Algorithm 1 (arch-llm.md §3.3) over any infilling code-model generator.

The algorithm's structure is checked with a toy generator whose codes are the six edge
ops of an NB201 cell (exact encode/decode), against an oracle whose score is injective
on canonical classes, so "the best m" is never a tie and can be recomputed here.
"""

from __future__ import annotations

import numpy as np
import pytest

import archgen
from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.generation import SampleBatch
from archgen.oracle import BudgetedOracle, ComputedOracle, MetricSpec
from archgen.plugins.searchers import seqmodel
from archgen.plugins.searchers.seqmodel import SeqModelOptions, SeqModelSearch, fill_masks
from archgen.registry import validate_options
from archgen.spaces.nb201.space import FIXED_ADJACENCY, OPERATIONS


class EdgeCodes:
    """Codes = the indices of the six edge ops (L = 6, K = 5); draws and infills are uniform."""

    def __init__(self, constant: np.ndarray | None = None):
        self.constant = constant
        self.sampled: list[np.ndarray] = []
        self.infilled: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.fitted_on = 0

    def fit(self, space, train, *, validation=(), runtime=None, seed=0, callbacks=()):
        self.fitted_on = len(train)
        return {}

    def sample(self, space, n, *, seed=0, **sampling):
        codes = np.random.default_rng(seed).integers(0, 5, (n, 6)) if self.constant is None else np.tile(self.constant, (n, 1))
        self.sampled.append(codes)
        return self._batch(space, codes)

    def infill(self, space, codes, mask, *, seed=0, **sampling):
        redrawn = np.random.default_rng(seed).integers(0, 5, codes.shape) if self.constant is None else np.tile(self.constant, (len(codes), 1))
        out = np.where(mask, redrawn, codes)
        self.infilled.append((codes.copy(), mask.copy(), out))
        return self._batch(space, out)

    def encode(self, space, archs):
        return np.array([[OPERATIONS.index(op) for op in arch.ops[1:-1]] for arch in archs])

    def decode_codes(self, codes):
        archs = decode(codes)
        batch = SampleBatch.from_architectures(archgen.load("space", "nb201"), archs)
        return batch.adjacency, batch.op_indices

    def _batch(self, space, codes):
        return SampleBatch.from_architectures(space, decode(codes))


def decode(codes: np.ndarray) -> list[Architecture]:
    return [Architecture("nb201", FIXED_ADJACENCY, ("input", *(OPERATIONS[c] for c in row), "output")) for row in codes.tolist()]


@pytest.fixture(scope="module")
def rank(nb201):
    """Canonical class -> its rank among the 6,466 classes (an injective score: no ties)."""
    keys = sorted({nb201.canonical_key(arch) for arch in nb201.enumerate()})
    assert len(keys) == 6466  # NAS-Bench-201's unique cells (Dong & Yang 2020, NATS-Bench get_unique_str)
    return {key: index for index, key in enumerate(keys)}


@pytest.fixture
def ranked(nb201, rank):
    """``budget -> BudgetedOracle`` of the class rank, recording the architectures it is asked."""

    class Recording(BudgetedOracle):
        def __init__(self, *args):
            super().__init__(*args)
            self.asked: list[Architecture] = []

        def query(self, arch):
            self.asked.append(arch)
            return super().query(arch)

    oracle = ComputedOracle(nb201, "class-rank", MetricSpec("%"), lambda arch: float(rank[nb201.canonical_key(arch)]))
    return lambda budget: Recording(oracle, nb201, budget)


def searcher(**options) -> SeqModelSearch:
    return SeqModelSearch(SeqModelOptions(train_size=5, **options))


def test_each_iteration_keeps_the_best_m_fills_2m_around_them_and_generates_n_minus_3m(nb201, rank, ranked):
    n, m = 20, 4
    generator, oracle = EdgeCodes(), ranked(10_000)
    stats = searcher(n=n, m=m, T=3).run(nb201, oracle, generator, sampling={}, seed=3)
    key = nb201.canonical_key

    assert [len(codes) for codes in generator.sampled] == [n, n - 3 * m, n - 3 * m, n - 3 * m]
    assert [len(codes) for codes, _, _ in generator.infilled] == [2 * m] * 3
    assert stats["iterations"] == 3 and stats["stopped"] == "iterations"
    assert [(step["generated"], step["filled"]) for step in stats["history"]] == [(n, 0)] + [(n - 3 * m, 2 * m)] * 3

    population = {key(arch) for arch in decode(generator.sampled[0])}
    for (codes, mask, filled), generated in zip(generator.infilled, generator.sampled[1:]):
        parents = sorted(population, key=rank.__getitem__, reverse=True)[:m]
        # Two fill: prompts per kept architecture, each given that architecture's own codes.
        assert [key(arch) for arch in decode(codes[0::2])] == parents
        assert np.array_equal(codes[0::2], codes[1::2])
        assert (mask.sum(1) >= 1).all() and (mask.sum(1) <= 6).all()
        # The fill candidates the oracle saw keep their parent's unmasked codes.
        fills = decode(filled)
        assert (generator.encode(nb201, fills)[~mask] == codes[~mask]).all()
        population = set(parents) | {key(arch) for arch in fills + decode(generated)}
    # Elitism: the search's best is the best of everything it asked.
    assert oracle.best().value == max(rank[key(arch)] for arch in oracle.asked)


def test_the_queries_of_an_iteration_are_its_new_fills_then_its_new_generations(nb201, ranked):
    generator, oracle = EdgeCodes(), ranked(10_000)
    searcher(n=12, m=3, T=2).run(nb201, oracle, generator, sampling={}, seed=0)
    key = nb201.canonical_key
    expected, seen = [], set()
    drafts = [decode(generator.sampled[0])] + [decode(out) + decode(gen) for (_, _, out), gen in zip(generator.infilled, generator.sampled[1:])]
    for draft in drafts:
        for arch in draft:
            if key(arch) not in seen:
                seen.add(key(arch))
                expected.append(key(arch))
    assert [key(arch) for arch in oracle.asked] == expected  # each class asked once, in draw order


@pytest.mark.parametrize("budget", [1, 20, 57, 200])
def test_the_budget_is_spent_exactly_and_never_overrun(nb201, ranked, budget):
    oracle = ranked(budget)
    stats = searcher(n=20, m=4).run(nb201, oracle, EdgeCodes(), sampling={}, seed=1)
    assert oracle.num_queries == budget == stats["evaluated"] == sum(step["new"] for step in stats["history"])
    assert stats["stopped"] == "budget"
    assert len(oracle.asked) == budget  # never asked past the budget, never asked twice


def test_repeats_are_free_and_a_search_that_finds_nothing_new_stops(nb201, ranked):
    oracle = ranked(50)
    stats = searcher(n=6, m=1, patience=3).run(nb201, oracle, EdgeCodes(constant=np.array([3, 3, 3, 3, 3, 3])), sampling={}, seed=0)
    assert oracle.num_queries == 1 and stats["stopped"] == "patience" and stats["iterations"] == 3


def test_search_fits_a_registry_generator_on_uniform_draws_and_checks_it_infills(nb201, ranked, monkeypatch):
    generator = EdgeCodes()
    monkeypatch.setattr(seqmodel, "load", lambda slot, name, **options: generator)
    stats = searcher(n=9, m=2).search(nb201, ranked(15), seed=2)
    assert generator.fitted_on == 5 and stats["evaluated"] == 15
    assert stats["proposer"] == "generator 'arch_llm' fitted on 5 uniform draws of the space"

    class NoInfill:
        def fit(self, *args, **kwargs):
            raise AssertionError("a generator that cannot infill must be refused before it is trained")

        def sample(self, space, n, *, seed=0, **sampling): ...
        def encode(self, space, archs): ...
        def decode_codes(self, codes): ...

    monkeypatch.setattr(seqmodel, "load", lambda slot, name, **options: NoInfill())
    with pytest.raises(ConfigError, match=r"needs a generator that infills.*generator 'arch_llm' does not$"):
        searcher().search(nb201, ranked(5), seed=0)


def test_bad_options_are_one_line_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"generator 'uniform' does not"):
        validate_options("searcher", "seqmodel", {"generator": {"name": "uniform"}})
    with pytest.raises(ConfigError, match=r"3m = 33 exceeds n = 30"):
        validate_options("searcher", "seqmodel", {"n": 30, "m": 11})
    missing = SeqModelSearch(SeqModelOptions(generator_run=str(tmp_path / "none")))
    with pytest.raises(ConfigError, match="is not a trained run directory"):
        missing.search(archgen.load("space", "nb201"), None, seed=0)


def test_fill_masks_draw_one_to_max_masked_codes_at_uniform_positions():
    rng = np.random.default_rng(0)
    full = fill_masks((3000, 8), None, rng)
    assert set(full.sum(1).tolist()) == set(range(1, 9))  # the training task's 1..L
    assert np.allclose(full.mean(0), full.mean(), atol=0.03)  # no position favoured
    capped = fill_masks((3000, 8), 2, rng)
    assert set(capped.sum(1).tolist()) == {1, 2}
    assert np.array_equal(fill_masks((5, 8), 3, np.random.default_rng(4)), fill_masks((5, 8), 3, np.random.default_rng(4)))
