"""Oracles: a space's measured (or predicted) metric of an architecture, and a budget on asking.

An oracle satisfies :class:`archgen.protocols.Oracle`: it names its space,
metric, unit and direction, and ``query(arch)`` answers by the space's
``canonical_key``, so every form of one architecture gets the same value.
Accuracies are percentages everywhere (a space whose data holds fractions
declares ``scale=100`` for them).

* :class:`TableOracle` -- a column of a benchmark table; rows whose
  architectures share a canonical key are averaged.
* :class:`ComputedOracle` -- a function of the architecture (OFA's accuracy
  predictor, a latency lookup table), memoised by canonical key.
* :class:`BudgetedOracle` -- wraps either for a searcher: counts distinct
  architectures, refuses past the budget with
  :class:`archgen.errors.BudgetExhaustedError`, and records the trajectory.

A space offers its oracles as ``space.oracle(metric)`` and lists them with
``space.oracle_metrics()`` (see :class:`archgen.space_base.GraphSpaceBase`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from archgen.architecture import Architecture
from archgen.errors import BudgetExhaustedError, ConfigError, InvalidArchitectureError
from archgen.protocols import QueriesBatches

if TYPE_CHECKING:
    from archgen.benchmark import BenchmarkTable
    from archgen.protocols import Oracle, SearchSpace

#: Longest architecture string an error message quotes.
_QUOTE_CHARS = 80


@dataclass(frozen=True)
class MetricSpec:
    """How to read one metric: its unit, its direction and the factor to its unit.

    Attributes:
        unit: ``"%"`` for accuracies, else e.g. ``"ms"``, ``"mJ"``, ``"M"`` (millions).
        higher_is_better: Whether a searcher maximises it.
        scale: Multiplies the stored values (``100`` for accuracies stored as fractions).
    """

    unit: str
    higher_is_better: bool = True
    scale: float = 1.0


def describe(space: SearchSpace, arch: Architecture) -> str:
    """The architecture's native string (its ops when it has none), cut to a readable length."""
    try:
        text = repr(space.to_string(arch))
    except Exception:  # noqa: BLE001 - an invalid architecture may have no string form at all
        text = f"<{arch.space} graph, ops {list(arch.ops)}>"
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 3] + "..."


def _query_key(space: SearchSpace, metric: str, arch: Architecture) -> Hashable:
    """``space.canonical_key(arch)``, its error saying which query failed and for what."""
    try:
        return space.canonical_key(arch)
    except InvalidArchitectureError as error:
        raise InvalidArchitectureError(f"cannot query {metric!r} of {describe(space, arch)}: {error}") from None


class _KeyedOracle:
    """Shared part: identity by canonical key, with errors that name the architecture."""

    def __init__(self, space: SearchSpace, metric: str, spec: MetricSpec):
        self._space = space
        self.space: str = space.name
        self.metric = metric
        self.unit = spec.unit
        self.higher_is_better = spec.higher_is_better
        self._scale = spec.scale

    def __repr__(self) -> str:
        return f"{type(self).__name__}(space={self.space!r}, metric={self.metric!r}, unit={self.unit!r})"

    def _key(self, arch: Architecture) -> Hashable:
        return _query_key(self._space, self.metric, arch)


class TableOracle(_KeyedOracle):
    """One metric of a table, looked up by canonical key.

    Args:
        space: The space whose ``canonical_key`` identifies architectures.
        metric: The metric's name.
        spec: Unit, direction and scale (applied to ``values``).
        values: Canonical key -> value as stored (NaN entries are dropped).
        source: Where the values came from, for error messages.
    """

    def __init__(
        self,
        space: SearchSpace,
        metric: str,
        spec: MetricSpec,
        values: Mapping[Hashable, float],
        source: str = "",
    ):
        super().__init__(space, metric, spec)
        self._values = {key: float(value) * spec.scale for key, value in values.items() if not math.isnan(value)}
        self.source = source

    @classmethod
    def from_table(
        cls,
        space: SearchSpace,
        table: BenchmarkTable,
        metric: str,
        spec: MetricSpec,
        keys: Sequence[Hashable] | None = None,
    ) -> TableOracle:
        """The oracle of one column of ``table``.

        Rows that share a canonical key (isomorphic cells the benchmark trained
        separately) are averaged, ignoring NaN: the mean is the table's best
        estimate for the one network they all compute.

        Args:
            space: The space of the table.
            table: The benchmark table.
            metric: A column of ``table``.
            spec: Unit, direction and scale of the column.
            keys: The canonical key of each row; by default each row's key is
                parsed with ``space.from_string`` and keyed with ``canonical_key``.

        Returns:
            The oracle.

        Raises:
            DataFileError: If ``metric`` is not a column.
            InvalidArchitectureError: If a row key is not a member of ``space``.
        """
        column = table.column(metric)
        if keys is None:
            keys = [space.canonical_key(space.from_string(key)) for key in table.keys]
        sums: dict[Hashable, float] = {}
        counts: dict[Hashable, int] = {}
        for key, value in zip(keys, column.tolist()):
            if not math.isnan(value):
                sums[key] = sums.get(key, 0.0) + value
                counts[key] = counts.get(key, 0) + 1
        return cls(space, metric, spec, {key: sums[key] / counts[key] for key in sums}, table.source or table.space)

    def __len__(self) -> int:
        return len(self._values)

    def query(self, arch: Architecture) -> float:
        """The metric of ``arch``.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member or the table has no entry for it.
        """
        key = self._key(arch)
        try:
            return self._values[key]
        except KeyError:
            raise InvalidArchitectureError(
                f"no {self.metric!r} entry for {describe(self._space, arch)} in {self.source!r} "
                f"({len(self._values)} architectures have one)"
            ) from None


class ComputedOracle(_KeyedOracle):
    """A metric a function computes from a valid architecture, memoised by canonical key.

    Args:
        space: The space whose ``canonical_key`` identifies architectures.
        metric: The metric's name.
        spec: Unit, direction and scale (applied to what ``compute`` returns).
        compute: Architecture -> value; called once per canonical key, with the
            first architecture of that key that was queried.
    """

    def __init__(self, space: SearchSpace, metric: str, spec: MetricSpec, compute: Callable[[Architecture], float]):
        super().__init__(space, metric, spec)
        self._compute = compute
        self._memo: dict[Hashable, float] = {}

    def query(self, arch: Architecture) -> float:
        """The metric of ``arch``.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member of the space.
            DataFileError: If the data behind ``compute`` cannot serve it.
        """
        key = self._key(arch)
        if key not in self._memo:
            self._memo[key] = float(self._compute(arch)) * self._scale
        return self._memo[key]


@dataclass(frozen=True)
class Query:
    """One distinct architecture a :class:`BudgetedOracle` evaluated.

    Attributes:
        number: 1 for the first distinct architecture, 2 for the next...
        arch: Its native string.
        value: The metric's value.
        best: The best value of queries ``1..number`` (by ``higher_is_better``).
    """

    number: int
    arch: str
    value: float
    best: float


class BudgetedOracle:
    """An oracle that answers at most ``budget`` distinct architectures, and remembers them.

    Distinctness is by the space's canonical key: asking again for an
    architecture already evaluated (in any of its forms) returns the same
    value and costs nothing. A query that fails (an invalid architecture, one
    with no entry) is not counted.

    Args:
        oracle: The oracle to ask.
        space: The space the oracle belongs to (for canonical keys and strings).
        budget: How many distinct architectures may be evaluated.

    Raises:
        ConfigError: If ``budget`` is not a non-negative integer or ``oracle``
            belongs to another space.
    """

    def __init__(self, oracle: Oracle, space: SearchSpace, budget: int):
        try:
            budget = operator.index(budget)
        except TypeError:
            budget = -1
        if budget < 0:
            raise ConfigError(f"oracle budget must be a non-negative integer, got {budget!r}")
        if oracle.space != space.name:
            raise ConfigError(f"oracle of space {oracle.space!r} cannot serve space {space.name!r}")
        self.oracle = oracle
        self.budget = budget
        self.space: str = oracle.space
        self.metric = oracle.metric
        self.unit = oracle.unit
        self.higher_is_better = oracle.higher_is_better
        self._space = space
        self._seen: dict[Hashable, float] = {}
        self._trajectory: list[Query] = []

    def __repr__(self) -> str:
        return f"BudgetedOracle({self.oracle!r}, budget={self.budget}, used={self.num_queries})"

    @property
    def num_queries(self) -> int:
        """Distinct architectures evaluated so far."""
        return len(self._trajectory)

    @property
    def remaining(self) -> int:
        """Distinct architectures that may still be evaluated."""
        return self.budget - self.num_queries

    @property
    def trajectory(self) -> tuple[Query, ...]:
        """Every distinct query in order, with the best value so far."""
        return tuple(self._trajectory)

    def query(self, arch: Architecture) -> float:
        """The metric of ``arch``, charged to the budget unless its canonical key was asked before.

        Raises:
            BudgetExhaustedError: If ``arch`` is new and the budget is spent.
            InvalidArchitectureError: If ``arch`` is not a member or has no entry.
        """
        key = _query_key(self._space, self.metric, arch)
        if key in self._seen:
            return self._seen[key]
        if self.remaining <= 0:
            raise BudgetExhaustedError(
                f"oracle budget of {self.budget} distinct architectures for metric {self.metric!r} is spent; "
                f"{describe(self._space, arch)} was not evaluated"
            )
        value = float(self.oracle.query(arch))
        self._seen[key] = value
        best = value
        if self._trajectory:
            previous = self._trajectory[-1].best
            best = _better(previous, value, self.higher_is_better)
        self._trajectory.append(Query(self.num_queries + 1, self._space.to_string(arch), value, best))
        return value

    def prefetch(self, archs: Sequence[Architecture]) -> int:
        """Lets an oracle that answers batches (:class:`archgen.protocols.QueriesBatches`) compute ahead.

        A searcher about to query ``archs`` in order calls this first; the architectures its
        loop would then be charged for -- the new canonical keys among them, in order, up to the
        remaining budget -- are evaluated as one batch (a training oracle trains them in
        parallel). Nothing is charged and nothing is recorded: the searcher's own ``query``
        calls follow, answered from the oracle's memory, so the trajectory is exactly a serial
        run's. Invalid architectures are skipped, as ``query`` would refuse them.

        Args:
            archs: The architectures about to be queried, in query order.

        Returns:
            How many were handed to the oracle (0 for an oracle that answers one at a time).
        """
        if not isinstance(self.oracle, QueriesBatches):
            return 0
        ahead: dict[Hashable, Architecture] = {}
        for arch in archs:
            if len(ahead) >= self.remaining:
                break
            try:
                key = self._space.canonical_key(arch)
            except InvalidArchitectureError:
                continue
            if key not in self._seen and key not in ahead:
                ahead[key] = arch
        if ahead:
            self.oracle.query_many(list(ahead.values()))
        return len(ahead)

    def best(self) -> Query | None:
        """The best query so far (the earliest among equals), or ``None`` before the first."""
        if not self._trajectory:
            return None
        values = np.array([entry.value for entry in self._trajectory])
        index = int(np.argmax(values) if self.higher_is_better else np.argmin(values))
        return self._trajectory[index]


def prefetch(oracle: Oracle, archs: Sequence[Architecture]) -> int:
    """``oracle.prefetch(archs)`` where the oracle has it (a :class:`BudgetedOracle`), else nothing.

    Searchers call this before querying a batch they have already chosen, so a training oracle
    trains the batch in parallel while the searcher's loop stays the serial one.
    """
    method = getattr(oracle, "prefetch", None)
    return int(method(archs)) if callable(method) else 0


def _better(a: float, b: float, higher_is_better: bool) -> float:
    return max(a, b) if higher_is_better else min(a, b)


__all__ = ["BudgetedOracle", "ComputedOracle", "MetricSpec", "Query", "TableOracle", "describe", "prefetch"]
