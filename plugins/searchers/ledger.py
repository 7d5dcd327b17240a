"""The queries of one model-guided search: each architecture (by canonical key) asked of the oracle once."""

from __future__ import annotations

from collections.abc import Container, Hashable, Sequence
from typing import TYPE_CHECKING, Any

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.oracle import prefetch

if TYPE_CHECKING:
    from archgen.protocols import Oracle, SearchSpace


class QueryLedger:
    """Asks the oracle for new architectures only, and keeps every answer as a training label.

    Labels are sign-adjusted so that larger is always better (``-value`` for a lower-is-better
    metric), which is what the searchers' predictors fit.

    Args:
        space: The space (its ``canonical_key`` decides what "new" means).
        oracle: The budgeted oracle.

    Attributes:
        seen: ``canonical key -> (architecture, signed label)``; an architecture the oracle refused
            as invalid is kept with a NaN label, so it is never asked again and never fitted.
    """

    def __init__(self, space: SearchSpace, oracle: Oracle):
        self.space, self.oracle = space, oracle
        self.sign = 1.0 if oracle.higher_is_better else -1.0
        self.seen: dict[Any, tuple[Architecture, float]] = {}

    def ask(self, arch: Architecture) -> bool:
        """Queries ``arch`` unless it (or an isomorph) was asked before or the budget is spent; True if it was queried."""
        key = self.space.canonical_key(arch)
        if key in self.seen or self.oracle.remaining <= 0:
            return False
        try:
            value = self.oracle.query(arch)
        except InvalidArchitectureError:
            self.seen[key] = (arch, float("nan"))
            return False
        self.seen[key] = (arch, self.sign * value)
        return True

    def prefetch(self, archs: Sequence[Architecture], limit: int) -> None:
        """Hands the oracle the first ``limit`` new architectures of ``archs`` (what :meth:`ask` is about to query)."""
        prefetch_new(self.oracle, archs, [self.space.canonical_key(arch) for arch in archs], self.seen, limit)

    def labelled(self) -> list[tuple[Architecture, float]]:
        """Every queried architecture with its signed label (refused ones left out)."""
        return [(arch, y) for arch, y in self.seen.values() if y == y]


def prefetch_new(oracle: Oracle, archs: Sequence[Architecture], keys: Sequence[Hashable], known: Container[Hashable],
                 limit: int) -> int:
    """Prefetches the first ``limit`` architectures whose keys are neither ``known`` nor repeated.

    A searcher that queries a ranked list until ``limit`` new answers calls this first, so a
    training oracle trains those networks as one parallel batch (:func:`archgen.oracle.prefetch`).

    Returns:
        How many were handed over.
    """
    chosen: dict[Hashable, Architecture] = {}
    for arch, key in zip(archs, keys):
        if len(chosen) >= limit:
            break
        if key not in known and key not in chosen:
            chosen[key] = arch
    return prefetch(oracle, list(chosen.values())) if chosen else 0
