"""``random``: uniform random search, the baseline every NAS paper reports.

Architectures are drawn with the space's own sampler (``space.sample``) and
queried until the budget is spent. Repeats of an architecture already
evaluated cost nothing (the :class:`archgen.oracle.BudgetedOracle` answers them
from memory), so the search keeps drawing until ``budget`` distinct
architectures are evaluated -- sampling without replacement in effect, as
NAS-Bench-201's and NAS-Bench-101's random-search baselines count queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.errors import InvalidArchitectureError
from archgen.oracle import prefetch

if TYPE_CHECKING:
    from archgen.protocols import Oracle, SearchSpace
    from archgen.runtime import Runtime


class RandomSearchOptions(BaseModel):
    """Options of the ``random`` searcher.

    Attributes:
        batch: Architectures drawn per ``space.sample`` call.
        patience: Consecutive draws that bring no new evaluation before the search
            stops early (a space smaller than the budget, or an oracle that answers
            only a few architectures, such as NB101's 500 labelled cells).
    """

    model_config = ConfigDict(extra="forbid")
    batch: int = Field(256, ge=1, le=1_000_000)
    patience: int = Field(100_000, ge=1)


class RandomSearch:
    """Queries uniformly drawn architectures until the budget is spent."""

    Options: ClassVar[type[BaseModel]] = RandomSearchOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {"batch": 16}

    def __init__(self, options: RandomSearchOptions | None = None):
        self.options = options if options is not None else RandomSearchOptions()

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Draws and queries until ``oracle.remaining == 0`` or ``patience`` draws in a row bring nothing new.

        Args:
            space: The space to search.
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            seed: Seeds the draws (``numpy.random.default_rng``).
            runtime: Unused (random search needs no device).

        Returns:
            ``{"draws": ..., "evaluated": ..., "stopped": "budget" | "patience"}``.
        """
        seeds = np.random.default_rng(seed)
        draws = stale = 0
        while oracle.remaining > 0:
            batch = space.sample(self.options.batch, seed=int(seeds.integers(2**63)))
            prefetch(oracle, batch)  # a training oracle trains the ones about to be queried at once
            for arch in batch:
                if oracle.remaining <= 0:
                    break
                draws += 1
                before = oracle.num_queries
                try:
                    oracle.query(arch)
                except InvalidArchitectureError:
                    pass  # no entry in the oracle's table: not counted, draw another
                stale = 0 if oracle.num_queries > before else stale + 1
                if stale >= self.options.patience:
                    return {"draws": draws, "evaluated": oracle.num_queries, "stopped": "patience"}
        return {"draws": draws, "evaluated": oracle.num_queries, "stopped": "budget"}
