"""``[search] constraint``: a space and an oracle limited to architectures within a bound on one metric."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from archgen.architecture import Architecture
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.pipeline.search_command.space_view import SpaceView


class ConstrainedSpace(SpaceView):
    """A space seen through a limit on one metric: what it samples and mutates respects the limit.

    OFA's evolutionary search redraws samples and mutations until the latency
    predictor accepts them (``EvolutionFinder.random_sample`` / ``mutate_sample``);
    this does the same for any searcher, and ``why_invalid`` refuses what breaks
    the limit. Lookups of the limited metric are free (a table, not an evaluation).
    Everything else is the wrapped space's, its optional capabilities included
    (``mutate`` only where the space mutates).

    Args:
        space: The space.
        oracle: The limited metric's oracle (e.g. a latency).
        limit: The largest value allowed (inclusive).
    """

    #: Draws tried per requested architecture before giving up on a limit nothing meets.
    MAX_TRIES = 1000

    def __init__(self, space: Any, oracle: Any, limit: float):
        super().__init__(space)
        self.limit_oracle, self.limit = oracle, float(limit)

    def excess(self, arch: Architecture) -> str | None:
        """Why ``arch`` breaks the limit, or ``None``."""
        value = self.limit_oracle.query(arch)
        if value > self.limit:
            return f"{self.limit_oracle.metric} {value:.2f} {self.limit_oracle.unit} exceeds the limit {self.limit:g}"
        return None

    def why_invalid(self, arch: Architecture) -> str | None:
        """The wrapped space's reason, else the limit's."""
        return self.inner.why_invalid(arch) or self.excess(arch)

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` architectures of the space's sampler that meet the limit, reproducibly for ``seed``.

        Raises:
            ConfigError: If ``MAX_TRIES`` draws per architecture found none within the limit.
        """
        kept: list[Architecture] = []
        seeds = np.random.default_rng(seed)
        drawn = 0
        while len(kept) < n:
            batch = self.inner.sample(max(n, 16), seed=int(seeds.integers(2**63)))
            drawn += len(batch)
            kept.extend(arch for arch in batch if self.excess(arch) is None)
            if drawn >= self.MAX_TRIES * n and len(kept) < n:
                raise ConfigError(
                    f"[search] constraint: only {len(kept)} of {drawn} sampled architectures have "
                    f"{self.limit_oracle.metric} <= {self.limit:g}; raise the limit"
                )
        return kept[:n]

    def mutate_within(self, arch: Architecture, rng: random.Random) -> Architecture:
        """The space's mutation, redrawn until the child meets the limit.

        Raises:
            ConfigError: If ``MAX_TRIES`` mutations all broke the limit.
        """
        for _ in range(self.MAX_TRIES):
            child = self.inner.mutate(arch, rng)
            if self.excess(child) is None:
                return child
        raise ConfigError(
            f"[search] constraint: no mutation of an architecture met {self.limit_oracle.metric} <= {self.limit:g}"
        )


class ConstrainedOracle:
    """An oracle that refuses architectures outside a :class:`ConstrainedSpace`'s limit (never charged).

    Args:
        oracle: The oracle to limit.
        space: The constrained space whose limit applies.
    """

    def __init__(self, oracle: Any, space: ConstrainedSpace):
        self.inner, self.constrained = oracle, space
        self.space, self.metric, self.unit = oracle.space, oracle.metric, oracle.unit
        self.higher_is_better = oracle.higher_is_better

    def query(self, arch: Architecture) -> float:
        """The wrapped oracle's value of ``arch``.

        Raises:
            InvalidArchitectureError: If ``arch`` breaks the limit (or the wrapped oracle refuses it).
        """
        reason = self.constrained.excess(arch)
        if reason is not None:
            raise InvalidArchitectureError(f"not within the search constraint: {reason}")
        return self.inner.query(arch)
