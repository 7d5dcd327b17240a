"""``generate_sort``: draw many architectures from a generator, rank them with a predictor (Arch-VQ §5.3).

Arch-VQ (arXiv:2503.22063, §5.3, Table 5) generates 10,000 NB201 architectures
unconditionally, sorts them with a neural predictor and reports the max / mean /
min test accuracy of the top 1,000. Here the predictor is trained within the
search budget: ``labels`` architectures drawn at random from the generated pool
are queried for the signal and the predictor (any ``archgen.predictors`` plugin)
is fitted on them; the pool is ranked by its predictions, and the budget left is
spent querying the top of the ranking, best first, so the search's best-found
architecture is the ranking's verified best. The ranked top ``top`` (strings and
predictions) is returned in the search statistics; :func:`top_statistics` turns it
into Table 5's figures with any oracle (e.g. the test accuracy).

Two options go beyond the paper. ``rounds`` spends the labels actively: after a
random first round, each round labels the best-predicted members not yet queried,
so the labels gather where the top list is decided rather than across the whole
pool. ``trust_labels`` (on by default) ranks every queried member by its measured
signal and only the rest by prediction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.plugins.searchers.ledger import prefetch_new
from archgen.plugins.searchers.proposals import ProposalSource
from archgen.plugins.searchers.surrogate import default_surrogate
from archgen.registry import PluginChoice, Slot, load

if TYPE_CHECKING:
    from archgen.protocols import Oracle, Predictor, SearchSpace
    from archgen.runtime import Runtime


class GenerateSortOptions(BaseModel):
    """Options of the ``generate_sort`` searcher.

    Attributes:
        generator: The generator (``[generator]``-style choice), used untrained unless ``generator_run`` is given.
        generator_run: A trained run directory whose generator draws the pool.
        generator_seed: The run's checkpoint seed (default: trial ``k`` uses the run's ``k``-th, cycling).
        sampling: Sampling options passed to the generator's ``sample``.
        samples: Architectures drawn (Arch-VQ: 10,000).
        top: Size of the ranked list reported (Arch-VQ: 1,000).
        distinct: Rank each canonical architecture once (duplicate draws add nothing to a top list).
        predictor: The predictor plugin trained on the queried labels (default: the default
            surrogate, :mod:`archgen.plugins.searchers.surrogate`).
        labels: Queries spent on training labels (``None``: the budget less ``verify``).
        verify: Queries spent on the top of the ranking after training (``None``: the budget less ``labels``).
        rounds: The labels are spent in this many equal rounds: the first on random pool members,
            each later one on the best-predicted unlabelled members, the predictor refitted on
            every label so far (1 = all at random, the paper's protocol).
        trust_labels: Rank a queried member by its measured signal, not by the prediction (a
            measurement beats a guess of it; the predictor ranks only what was not queried).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    generator: Annotated[PluginChoice, Slot("generator")] = Field(default_factory=lambda: PluginChoice(name="uniform"))
    generator_run: RelativeToConfig | None = None
    generator_seed: int | None = Field(None, ge=0)
    sampling: dict[str, Any] = Field(default_factory=dict)
    samples: int = Field(10_000, ge=1, le=10_000_000)
    top: int = Field(1_000, ge=1, le=10_000_000)
    distinct: bool = True
    predictor: Annotated[PluginChoice, Slot("predictor")] = Field(default_factory=default_surrogate)
    labels: int | None = Field(None, ge=2)
    verify: int | None = Field(10, ge=0)
    rounds: int = Field(1, ge=1, le=1000)
    trust_labels: bool = True


def rank(space: SearchSpace, pool: Sequence[Architecture], predictor: Predictor, *, higher_is_better: bool = True) -> tuple[list[int], np.ndarray]:
    """The pool's indices from best to worst predicted, and the predictions.

    Ties keep the pool's order (a stable sort), so a ranking is reproducible.
    """
    predictions = np.asarray(predictor.predict(space, list(pool)), dtype=np.float64)
    order = np.argsort(-predictions if higher_is_better else predictions, kind="stable")
    return [int(i) for i in order], predictions


def top_statistics(values: Sequence[float]) -> dict[str, float]:
    """Table 5's figures of a ranked list's values: ``{"max", "mean", "min", "n"}`` (NaN entries dropped).

    Raises:
        ConfigError: If no value is finite.
    """
    finite = [float(v) for v in values if not math.isnan(float(v))]
    if not finite:
        raise ConfigError("top_statistics: no finite value among the ranked architectures")
    return {"max": max(finite), "mean": float(np.mean(finite)), "min": min(finite), "n": len(finite)}


class GenerateSort:
    """Generate a pool, label part of it within the budget, rank the rest with a predictor."""

    Options: ClassVar[type[BaseModel]] = GenerateSortOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {
        "samples": 200, "top": 20, "verify": 3,
        "predictor": {"name": "gin", "options": {"hidden_dims": [8], "embedding_dim": 8, "head_hidden": 8, "epochs": 5}},
    }

    def __init__(self, options: GenerateSortOptions | None = None):
        self.options = options if options is not None else GenerateSortOptions()

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Draws the pool, queries the labels, fits the predictor, ranks and queries the top.

        Args:
            space: The space.
            oracle: A :class:`archgen.oracle.BudgetedOracle` (its ``remaining`` fixes the split).
            seed: Seeds the draws, the label choice and the predictor.
            runtime: Device for the generator and the predictor.

        Returns:
            ``{"drawn", "invalid_draws", "pool", "labels", "verified", "proposer", "top": [...],
            "top_predicted": [...], "evaluated", "stopped"}``.

        Raises:
            ConfigError: If ``labels + verify`` exceeds the budget or fewer than 2 labels are possible.
        """
        o = self.options
        budget = int(oracle.remaining)
        labels = o.labels if o.labels is not None else budget - (o.verify or 0)
        verify = o.verify if o.verify is not None else budget - labels
        if labels < 2 or labels + verify > budget:
            raise ConfigError(
                f"searcher 'generate_sort': labels {labels} + verify {verify} must fit the budget {budget} with labels >= 2"
            )
        source = ProposalSource(o.generator, o.generator_run, o.generator_seed, o.sampling).open(space, seed=seed, runtime=runtime)
        drawn, invalid = source.draw(space, o.samples, seed=seed)
        pool = drawn
        if o.distinct:
            first: dict[Any, Architecture] = {}
            for arch in drawn:
                first.setdefault(space.canonical_key(arch), arch)
            pool = list(first.values())
        sign = 1.0 if oracle.higher_is_better else -1.0
        keys = [space.canonical_key(arch) for arch in pool]
        measured: dict[Any, float] = {}  # canonical key -> sign * signal
        unanswered: set[Any] = set()  # the oracle has no entry: neither a label nor a candidate again

        def query(index: int) -> bool:
            """Queries pool member ``index`` unless known; True when it gave a new label."""
            key = keys[index]
            if key in measured or key in unanswered:
                return False
            try:
                measured[key] = sign * oracle.query(pool[index])
            except InvalidArchitectureError:
                unanswered.add(key)  # no entry for it: not counted, not a label
                return False
            return True

        def fit() -> Any:
            labelled = [first_of_key[key] for key in measured]  # in query order
            if len(labelled) < 2:
                raise ConfigError(f"searcher 'generate_sort': only {len(labelled)} of the {len(pool)} generated architectures could be labelled")
            predictor = load("predictor", o.predictor.name, **o.predictor.options)
            predictor.fit(space, [pool[i] for i in labelled], np.array([measured[keys[i]] for i in labelled]), runtime=runtime, seed=seed)
            return predictor

        first_of_key: dict[Any, int] = {}
        for index, key in enumerate(keys):
            first_of_key.setdefault(key, index)
        quotas = [labels // o.rounds + (r < labels % o.rounds) for r in range(o.rounds)]
        picker = np.random.default_rng([seed, 2])
        candidates = [int(i) for i in picker.permutation(len(pool))]
        for round_index, quota in enumerate(quotas):
            if round_index > 0:
                candidates, _ = rank(space, pool, fit())
            spent = 0
            prefetch_new(oracle, [pool[i] for i in candidates], [keys[i] for i in candidates], _Known(measured, unanswered),
                         min(quota, oracle.remaining - verify))
            for index in candidates:
                if spent >= quota or oracle.remaining <= verify:
                    break
                spent += query(index)
        predictor = fit()
        label_count = len(measured)
        order, predictions = rank(space, pool, predictor)
        scores = predictions.copy()

        def trusted_order() -> list[int]:
            if not o.trust_labels:
                return order
            for index, key in enumerate(keys):
                if key in measured:
                    scores[index] = measured[key]
            return [int(i) for i in np.argsort(-scores, kind="stable")]

        order = trusted_order()
        verified = 0
        prefetch_new(oracle, [pool[i] for i in order], [keys[i] for i in order], _Known(measured, unanswered),
                     min(verify, oracle.remaining))
        for index in order:
            if verified >= verify or oracle.remaining <= 0:
                break
            before = oracle.num_queries
            query(index)
            verified += oracle.num_queries > before
        order = trusted_order()
        top = order[: o.top]
        return {
            "drawn": o.samples, "invalid_draws": invalid, "pool": len(pool), "labels": label_count, "verified": verified, "rounds": o.rounds,
            "proposer": source.described, "predictor": o.predictor.name,
            "top": [space.to_string(pool[i]) for i in top],
            "top_predicted": [round(sign * float(predictions[i]), 4) for i in top],
            "top_measured": [round(sign * measured[keys[i]], 4) if keys[i] in measured else None for i in top],
            "evaluated": oracle.num_queries, "stopped": "ranked",
        }


__all__ = ["GenerateSort", "GenerateSortOptions", "rank", "top_statistics"]


class _Known:
    """Keys already measured or refused: what :func:`prefetch_new` must not hand over again."""

    def __init__(self, measured: dict[Any, float], unanswered: set[Any]):
        self.measured, self.unanswered = measured, unanswered

    def __contains__(self, key: object) -> bool:
        return key in self.measured or key in self.unanswered
