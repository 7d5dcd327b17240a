"""``check_searcher``: the Searcher contract against a budgeted oracle."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from pydantic import BaseModel

from archgen.architecture import Architecture
from archgen.errors import BudgetExhaustedError
from archgen.oracle import BudgetedOracle
from archgen.plugin_outputs import as_assertion, check_search_result
from archgen.protocols import Oracle, SearchSpace, Searcher, missing_members
from archgen.runtime import Runtime


class _Counting:
    """The oracle behind the budget: records what actually gets evaluated."""

    def __init__(self, oracle: Oracle):
        self.inner = oracle
        self.space, self.metric, self.unit = oracle.space, oracle.metric, oracle.unit
        self.higher_is_better = oracle.higher_is_better
        self.evaluated: list[Architecture] = []

    def query(self, arch: Architecture) -> float:
        self.evaluated.append(arch)
        return self.inner.query(arch)


class _Watched(BudgetedOracle):
    """What the searcher sees: the budgeted oracle, recording every query it is asked."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.asked: list[Architecture] = []

    def query(self, arch: Architecture) -> float:
        self.asked.append(arch)
        return super().query(arch)


def check_searcher(
    searcher_factory: Callable[[], Any],
    space: SearchSpace,
    oracle: Oracle,
    *,
    budget: int = 20,
    runtime: Runtime | None = None,
) -> list[Architecture]:
    """Asserts the Searcher contract on searchers made by ``searcher_factory``.

    The searcher gets ``oracle`` behind an :class:`archgen.oracle.BudgetedOracle`
    of ``budget`` distinct queries. Checked: the protocol's members and a
    pydantic ``Options`` model (``extra="forbid"``); ``search`` returns
    normally (a searcher stops at the budget; it does not let
    ``BudgetExhaustedError`` escape); it asks for at least one and at most
    ``budget`` distinct architectures (by the space's canonical key), every one
    of them valid; and two fresh searchers with the same seed query the same
    architectures in the same order; what ``search`` returns is JSON-ready once numpy values are
    converted (:func:`archgen.plugin_outputs.check_search_result`, as ``archgen search`` checks it
    before storing it in ``trial-<seed>.json``).

    Args:
        searcher_factory: Builds a fresh searcher, e.g.
            ``lambda: archgen.load("searcher", "mine", **MySearcher.TEST_OPTIONS)``.
        space: The space to search.
        oracle: Scores every valid architecture of ``space`` (a table or a formula).
        budget: Distinct queries allowed.
        runtime: Passed to ``search``.

    Returns:
        The architectures the first run asked for, in order.

    Raises:
        AssertionError: Naming the broken part of the contract.
    """
    searcher = searcher_factory()
    name = type(searcher).__name__
    missing = missing_members(searcher, Searcher)
    assert not missing, f"{name} lacks members of the Searcher protocol: {', '.join(missing)}"
    model = getattr(type(searcher), "Options", None)
    assert isinstance(model, type) and issubclass(model, BaseModel), f"{name}.Options must be a pydantic BaseModel class"
    assert model.model_config.get("extra") == "forbid", f"{name}.Options must set extra='forbid'"

    def run(instance: Any, seed: int) -> list[Architecture]:
        counting = _Counting(oracle)
        watched = _Watched(counting, space, budget)
        failure: Exception | None = None
        returned: Any = None
        try:
            returned = instance.search(space, watched, seed=seed, runtime=runtime)
        except Exception as error:  # noqa: BLE001 - reported below, after the queries that led to it
            failure = error
        for arch in watched.asked:
            reason = space.why_invalid(arch)
            assert reason is None, f"{name}.search() queried an invalid architecture ({reason}): {arch}"
        if isinstance(failure, BudgetExhaustedError):
            raise AssertionError(f"{name}.search() let BudgetExhaustedError escape ({failure}); stop at the budget or catch it")
        if failure is not None:
            raise AssertionError(f"{name}.search() raised {type(failure).__name__}: {failure}") from failure
        evaluated = {_canonical(space, a) for a in counting.evaluated}
        assert len(evaluated) <= budget, f"{name}.search() got {len(evaluated)} distinct evaluations past a budget of {budget}"
        assert watched.asked, f"{name}.search() never queried the oracle"
        with as_assertion():
            check_search_result(returned, plugin=f"{name}.search()")
        return list(watched.asked)

    first = run(searcher, 0)
    again = run(searcher_factory(), 0)
    assert [space.key(a) for a in first] == [space.key(a) for a in again], (
        f"{name}.search() is not deterministic by seed: two runs with seed 0 queried different architectures"
    )
    return first


def _canonical(space: SearchSpace, arch: Architecture) -> Hashable:
    return space.canonical_key(arch) if space.is_valid(arch) else ("invalid", space.key(arch))
