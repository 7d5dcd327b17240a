"""``guided``: predictor-guided search with a generator as the proposal distribution (BANANAS-style).

White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search" (AAAI 2021; naszilla/naszilla,
``bananas``): query ``initial`` random architectures, then per round

1. train an ensemble of ``ensemble`` predictors (independent initialisations) on
   every architecture queried so far;
2. propose candidates: ``generated`` draws of the generator (any
   ``archgen.generators`` plugin; ``uniform`` by default, a trained one from
   ``generator_run``) plus ``mutations`` mutations of the ``parents`` best
   queried architectures (BANANAS's ``acq_opt_type = "mutation"``, through the
   space's own ``mutate``);
3. score the candidates not yet queried with an acquisition over the ensemble's
   mean and standard deviation -- independent Thompson sampling (``its``,
   BANANAS's default), UCB, or the mean alone -- and query the best ``batch``.

Defaults are BANANAS's (``num_init = 10``, ``k = 10``, ``num_ensemble = 5``,
``explore_type = "its"``, 100 candidates, one parent mutated). The predictor is
any ``archgen.predictors`` plugin (by default :func:`~archgen.plugins.searchers.surrogate.default_surrogate`,
``gin`` over canonical cells with a ranking loss); each ensemble member is a
fresh instance fitted with its own seed, so any predictor gives an ensemble
spread.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.plugins.searchers.ledger import QueryLedger
from archgen.plugins.searchers.proposals import ProposalSource
from archgen.plugins.searchers.surrogate import default_surrogate
from archgen.protocols import Mutates
from archgen.registry import PluginChoice, Slot, load

if TYPE_CHECKING:
    from archgen.protocols import Oracle, SearchSpace
    from archgen.runtime import Runtime


class GuidedOptions(BaseModel):
    """Options of the ``guided`` searcher.

    Attributes:
        generator: The proposal generator (``[generator]``-style choice), used untrained
            unless ``generator_run`` is given.
        generator_run: A trained run directory whose generator (its ``config.json``'s, not
            ``generator``) proposes candidates.
        generator_seed: The run's checkpoint seed (default: trial ``k`` uses the run's ``k``-th, cycling).
        sampling: Sampling options passed to the generator's ``sample``.
        predictor: The predictor plugin each ensemble member is an instance of (default: the
            default surrogate, :mod:`archgen.plugins.searchers.surrogate`).
        ensemble: Independently seeded predictors whose mean and spread drive the acquisition.
        initial: Architectures drawn from the generator and queried before the first round.
        batch: Architectures queried per round (BANANAS's ``k``).
        generated: Generator draws per round.
        mutations: Mutations of the best queried architectures per round.
        parents: How many of the best queried architectures are mutated.
        max_edits: Each mutation applies 1..``max_edits`` steps of the space's ``mutate``.
        acquisition: ``its`` (independent Thompson sampling), ``ucb`` (mean + ``beta`` · std) or ``mean``.
        beta: The UCB exploration weight.
        patience: Rounds in a row that query nothing new before the search stops.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    generator: Annotated[PluginChoice, Slot("generator")] = Field(default_factory=lambda: PluginChoice(name="uniform"))
    generator_run: RelativeToConfig | None = None
    generator_seed: int | None = Field(None, ge=0)
    sampling: dict[str, Any] = Field(default_factory=dict)
    predictor: Annotated[PluginChoice, Slot("predictor")] = Field(default_factory=default_surrogate)
    ensemble: int = Field(5, ge=1, le=100)
    initial: int = Field(10, ge=2, le=1_000_000)
    batch: int = Field(10, ge=1, le=1_000_000)
    generated: int = Field(100, ge=0, le=1_000_000)
    mutations: int = Field(100, ge=0, le=1_000_000)
    parents: int = Field(1, ge=1, le=1_000_000)
    max_edits: int = Field(1, ge=1, le=100)
    acquisition: Literal["its", "ucb", "mean"] = "its"
    beta: float = Field(0.5, ge=0.0, le=1000.0)
    patience: int = Field(20, ge=1)


def acquire(mean: np.ndarray, std: np.ndarray, kind: str, *, beta: float, rng: np.random.Generator) -> np.ndarray:
    """The acquisition value of each candidate (higher is better).

    Args:
        mean: ``[C]`` ensemble means (already oriented so that higher is better).
        std: ``[C]`` ensemble standard deviations.
        kind: ``its`` draws one value per candidate from ``N(mean, std²)`` (BANANAS's
            independent Thompson sampling); ``ucb`` is ``mean + beta · std``; ``mean`` exploits.
        beta: The UCB weight.
        rng: Draws ITS's samples.
    """
    if kind == "its":
        return mean + std * rng.standard_normal(len(mean))
    if kind == "ucb":
        return mean + beta * std
    return mean.copy()


class GuidedSearch:
    """BANANAS over any generator's proposals and any predictor's ensemble."""

    Options: ClassVar[type[BaseModel]] = GuidedOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {
        "predictor": {"name": "gin", "options": {"hidden_dims": [8], "embedding_dim": 8, "head_hidden": 8, "epochs": 5}},
        "ensemble": 2, "initial": 4, "batch": 3, "generated": 20, "mutations": 10,
    }

    def __init__(self, options: GuidedOptions | None = None):
        self.options = options if options is not None else GuidedOptions()

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Queries the initial batch, then predictor-guided rounds until the budget is spent.

        Args:
            space: The space to search (``mutate`` is used when it has one and ``mutations > 0``).
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            seed: Seeds the generator draws, the predictors, the mutations and ITS.
            runtime: Device for the predictors and the generator.

        Returns:
            ``{"rounds", "evaluated", "stopped", "proposer", "invalid_draws"}``.
        """
        o = self.options
        source = ProposalSource(o.generator, o.generator_run, o.generator_seed, o.sampling).open(space, seed=seed, runtime=runtime)
        rng = random.Random(seed)
        noise = np.random.default_rng(seed)
        draw_seeds = np.random.default_rng([seed, 1])
        ledger = QueryLedger(space, oracle)
        seen, ask = ledger.seen, ledger.ask
        mutate = space.mutate if isinstance(space, Mutates) else None
        stats = {"rounds": 0, "invalid_draws": 0}

        stale = 0
        while sum(1 for _, y in seen.values() if y == y) < o.initial and oracle.remaining > 0:
            archs, invalid = source.draw(space, o.initial, seed=int(draw_seeds.integers(2**63)))
            stats["invalid_draws"] += invalid
            ledger.prefetch(archs, o.initial - sum(1 for _, y in seen.values() if y == y))
            new = sum(ask(arch) for arch in archs if sum(1 for _, y in seen.values() if y == y) < o.initial)
            stale = 0 if new else stale + 1
            if stale >= o.patience:
                return {**stats, "evaluated": oracle.num_queries, "stopped": "patience", "proposer": source.described}

        while oracle.remaining > 0:
            labelled = [(arch, y) for arch, y in seen.values() if y == y]
            archs, targets = [a for a, _ in labelled], np.array([y for _, y in labelled])
            candidates = self._candidates(space, source, labelled, seen, mutate, rng, draw_seeds, stats)
            new = 0
            if candidates and len(labelled) >= 2:
                predictions = np.stack([self._member(space, archs, targets, seed, member, runtime).predict(space, candidates)
                                        for member in range(o.ensemble)])
                score = acquire(predictions.mean(0), predictions.std(0), o.acquisition, beta=o.beta, rng=noise)
                ranked = np.argsort(-score, kind="stable")
                ledger.prefetch([candidates[int(index)] for index in ranked], o.batch)
                for index in ranked:
                    if new >= o.batch or oracle.remaining <= 0:
                        break
                    new += ask(candidates[int(index)])
            stats["rounds"] += 1
            stale = 0 if new else stale + 1
            if stale >= o.patience:
                return {**stats, "evaluated": oracle.num_queries, "stopped": "patience", "proposer": source.described}
        return {**stats, "evaluated": oracle.num_queries, "stopped": "budget", "proposer": source.described}

    def _member(self, space: SearchSpace, archs: list[Architecture], targets: np.ndarray, seed: int, member: int,
                runtime: Runtime | None) -> Any:
        """One ensemble member, fitted on every labelled architecture (its own seed)."""
        predictor = load("predictor", self.options.predictor.name, **self.options.predictor.options)
        predictor.fit(space, archs, targets, runtime=runtime, seed=seed * 100 + member)
        return predictor

    def _candidates(self, space: SearchSpace, source: ProposalSource, labelled: list[tuple[Architecture, float]],
                    seen: dict[Any, Any], mutate: Any, rng: random.Random, draw_seeds: np.random.Generator,
                    stats: dict[str, Any]) -> list[Architecture]:
        """Generator draws and mutations of the best, distinct by canonical key and never queried before."""
        o = self.options
        proposed: list[Architecture] = []
        if o.generated:
            drawn, invalid = source.draw(space, o.generated, seed=int(draw_seeds.integers(2**63)))
            stats["invalid_draws"] += invalid
            proposed += drawn
        if mutate is not None and o.mutations and labelled:
            best = [arch for arch, _ in sorted(labelled, key=lambda item: -item[1])[: o.parents]]
            for index in range(o.mutations):
                child = best[index % len(best)]
                for _ in range(rng.randint(1, o.max_edits)):
                    child = mutate(child, rng)
                proposed.append(child)
        candidates, keys = [], set()
        for arch in proposed:
            key = space.canonical_key(arch)
            if key not in seen and key not in keys:
                keys.add(key)
                candidates.append(arch)
        return candidates


__all__ = ["GuidedOptions", "GuidedSearch", "acquire"]
