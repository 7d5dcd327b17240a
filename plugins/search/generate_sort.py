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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.plugins.search.proposals import ProposalSource
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
        predictor: The predictor plugin trained on the queried labels.
        labels: Queries spent on training labels (``None``: the budget less ``verify``).
        verify: Queries spent on the top of the ranking after training (``None``: the budget less ``labels``).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    generator: Annotated[PluginChoice, Slot("generator")] = Field(default_factory=lambda: PluginChoice(name="uniform"))
    generator_run: str | None = None
    generator_seed: int | None = Field(None, ge=0)
    sampling: dict[str, Any] = Field(default_factory=dict)
    samples: int = Field(10_000, ge=1, le=10_000_000)
    top: int = Field(1_000, ge=1, le=10_000_000)
    distinct: bool = True
    predictor: Annotated[PluginChoice, Slot("predictor")] = Field(default_factory=lambda: PluginChoice(name="gin"))
    labels: int | None = Field(None, ge=2)
    verify: int | None = Field(10, ge=0)


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
        picker = np.random.default_rng([seed, 2])
        labelled: list[Architecture] = []
        targets: list[float] = []
        keys: set[Any] = set()
        for index in picker.permutation(len(pool)):
            if len(labelled) >= labels or oracle.remaining <= verify:
                break
            key = space.canonical_key(pool[int(index)])
            if key in keys:
                continue  # a repeated draw (distinct = False) is one label, not two
            keys.add(key)
            try:
                targets.append(sign * oracle.query(pool[int(index)]))
            except InvalidArchitectureError:
                continue  # no entry for it: not counted, not a label
            labelled.append(pool[int(index)])
        if len(labelled) < 2:
            raise ConfigError(f"searcher 'generate_sort': only {len(labelled)} of the {len(pool)} generated architectures could be labelled")
        predictor = load("predictor", o.predictor.name, **o.predictor.options)
        predictor.fit(space, labelled, np.array(targets), runtime=runtime, seed=seed)
        order, predictions = rank(space, pool, predictor)
        verified = 0
        for index in order:
            if verified >= verify or oracle.remaining <= 0:
                break
            before = oracle.num_queries
            try:
                oracle.query(pool[index])
            except InvalidArchitectureError:
                continue
            verified += oracle.num_queries > before
        top = order[: o.top]
        return {
            "drawn": o.samples, "invalid_draws": invalid, "pool": len(pool), "labels": len(labelled), "verified": verified,
            "proposer": source.described, "predictor": o.predictor.name,
            "top": [space.to_string(pool[i]) for i in top],
            "top_predicted": [round(sign * float(predictions[i]), 4) for i in top],
            "evaluated": oracle.num_queries, "stopped": "ranked",
        }


__all__ = ["GenerateSort", "GenerateSortOptions", "rank", "top_statistics"]
