"""``evolution``: regularized (aging) evolution, Real et al., AAAI 2019, Algorithm 1.

A population of ``population`` architectures is seeded with random ones; each
cycle draws ``sample_size`` members without replacement, mutates the best of
them with the space's own ``mutate(arch, rng)`` and adds the child, and removes
the *oldest* member (aging, not the worst). This is the NAS-Bench-101 paper's
strongest baseline (google-research/nasbench, ``NASBench.ipynb``,
``run_evolution_search``) and NAS-Bench-201's R-EA (D-X-Y/AutoDL-Projects,
``exps/NATS-algos/regularized_ea.py``, whose NB201 setting -- population 10,
sample size 3 -- are the defaults here; AutoDL draws the sample with
replacement, the paper and the NB101 colab without).

A child whose canonical key was evaluated before costs no budget (the
:class:`archgen.oracle.BudgetedOracle` answers from memory) but still joins the
population, as in the paper, where every child is trained.
"""

from __future__ import annotations

import collections
import random
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from archgen.architecture import Architecture
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.oracle import prefetch
from archgen.protocols import Mutates

if TYPE_CHECKING:
    from archgen.protocols import Oracle, SearchSpace
    from archgen.runtime import Runtime


class EvolutionOptions(BaseModel):
    """Options of the ``evolution`` searcher.

    Attributes:
        population: Members kept alive (the oldest dies each cycle).
        sample_size: Members drawn per cycle; the best of them is the parent.
        cycles: Stop after this many cycles even if budget is left (``None``: run
            until the budget is spent).
        patience: Consecutive cycles that bring no new evaluation before the search
            stops early (the population keeps revisiting evaluated architectures).
    """

    model_config = ConfigDict(extra="forbid")
    population: int = Field(10, ge=2, le=1_000_000)
    sample_size: int = Field(3, ge=1, le=1_000_000)
    cycles: int | None = Field(None, ge=1)
    patience: int = Field(10_000, ge=1)

    @model_validator(mode="after")
    def _sample_fits(self) -> EvolutionOptions:
        if self.sample_size > self.population:
            raise ValueError(f"sample_size {self.sample_size} exceeds population {self.population}")
        return self


class RegularizedEvolution:
    """Aging evolution over the space's ``mutate`` neighbourhood."""

    Options: ClassVar[type[BaseModel]] = EvolutionOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {"population": 5, "sample_size": 2}

    def __init__(self, options: EvolutionOptions | None = None):
        self.options = options if options is not None else EvolutionOptions()

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Seeds the population at random, then evolves it until the budget is spent.

        Args:
            space: The space to search; it must offer ``mutate(arch, rng)``.
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            seed: Seeds the initial draws and every choice of the evolution.
            runtime: Unused.

        Returns:
            ``{"cycles": ..., "evaluated": ..., "stopped": "budget" | "cycles" | "patience"}``.

        Raises:
            ConfigError: If the space has no ``mutate``.
        """
        if not isinstance(space, Mutates):
            raise ConfigError(
                f"searcher 'evolution' needs the space to offer mutate(arch, rng); space {space.name!r} does not"
            )
        mutate = space.mutate
        options = self.options
        rng = random.Random(seed)
        seeds = np.random.default_rng(seed)
        sign = 1.0 if oracle.higher_is_better else -1.0
        population: collections.deque[tuple[Architecture, float]] = collections.deque()
        stale = 0
        while len(population) < options.population and oracle.remaining > 0:
            draws = space.sample(options.population, seed=int(seeds.integers(2**63)))
            prefetch(oracle, draws[: options.population - len(population)])  # a training oracle trains these at once
            for arch in draws:
                if len(population) == options.population or oracle.remaining <= 0:
                    break
                value = self._ask(oracle, arch)
                if value is not None:
                    population.append((arch, value))
                    stale = 0
                else:
                    stale += 1
                if stale >= options.patience:
                    return {"cycles": 0, "evaluated": oracle.num_queries, "stopped": "patience"}
        cycles = 0
        while oracle.remaining > 0 and population:
            if options.cycles is not None and cycles >= options.cycles:
                return {"cycles": cycles, "evaluated": oracle.num_queries, "stopped": "cycles"}
            cycles += 1
            sample = rng.sample(list(population), min(options.sample_size, len(population)))
            parent = max(sample, key=lambda member: sign * member[1])
            child = mutate(parent[0], rng)
            before = oracle.num_queries
            value = self._ask(oracle, child)
            stale = 0 if oracle.num_queries > before else stale + 1
            if value is not None:
                population.append((child, value))
                if len(population) > options.population:
                    population.popleft()
            if stale >= options.patience:
                return {"cycles": cycles, "evaluated": oracle.num_queries, "stopped": "patience"}
        return {"cycles": cycles, "evaluated": oracle.num_queries, "stopped": "budget"}

    @staticmethod
    def _ask(oracle: Oracle, arch: Architecture) -> float | None:
        """The oracle's value, or ``None`` for an architecture it has no entry for (not counted)."""
        try:
            return oracle.query(arch)
        except InvalidArchitectureError:
            return None
