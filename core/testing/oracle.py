"""Property checks every oracle must pass, for plugin authors and archgen's own suite.

    from archgen.testing import check_oracle
    def test_my_oracle():
        space = MySpace(MyOptions(benchmark="..."))
        check_oracle(space.oracle(), space, archs_with_entries)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from archgen.architecture import Architecture
from archgen.errors import BudgetExhaustedError
from archgen.oracle import BudgetedOracle
from archgen.protocols import EquivalentForms, Oracle, SearchSpace, missing_members


def check_oracle(oracle: Oracle, space: SearchSpace, archs: Sequence[Architecture], *, seed: int = 0) -> None:
    """Asserts the :class:`archgen.protocols.Oracle` contract on ``archs``.

    Checks: the protocol's members are present and typed; the oracle belongs
    to ``space``; a unit is declared; ``query`` is deterministic and finite;
    percent metrics lie in [0, 100]; every form the space's
    ``equivalent_forms`` deems the same gets the same value; and a
    :class:`archgen.oracle.BudgetedOracle` over it charges distinct canonical
    keys only, refuses past its budget and records a monotone best-so-far.

    Args:
        oracle: The oracle under test.
        space: Its space.
        archs: At least two valid architectures the oracle has entries for.
        seed: Seed of the equivalent-form draws.

    Raises:
        AssertionError: Naming the first property that fails.
    """
    missing = missing_members(oracle, Oracle)
    assert not missing, f"oracle {oracle!r} lacks protocol members {missing}"
    assert oracle.space == space.name, f"oracle says space {oracle.space!r}, tested with {space.name!r}"
    assert isinstance(oracle.metric, str) and oracle.metric, "oracle.metric must be a non-empty str"
    assert isinstance(oracle.unit, str) and oracle.unit, f"metric {oracle.metric!r} declares no unit"
    assert isinstance(oracle.higher_is_better, bool), "oracle.higher_is_better must be a bool"
    assert len(archs) >= 2, "check_oracle needs at least two architectures with entries"

    values = []
    for arch in archs:
        value = oracle.query(arch)
        assert isinstance(value, float) and math.isfinite(value), f"query gave {value!r} for {arch}"
        assert oracle.query(arch) == value, f"query is not deterministic for {space.to_string(arch)!r}"
        if oracle.unit == "%":
            assert 0.0 <= value <= 100.0, f"{oracle.metric!r} is in % but gave {value} (a fraction is 0..1, not %)"
        values.append(value)

    if isinstance(space, EquivalentForms):
        rng = random.Random(seed)
        for arch, value in zip(archs, values):
            for form in space.equivalent_forms(arch, rng):
                assert oracle.query(form) == value, (
                    f"{space.to_string(form)!r} is equivalent to {space.to_string(arch)!r} "
                    f"but the oracle gives {oracle.query(form)} vs {value}"
                )

    _check_budget(oracle, space, archs, values)


def _check_budget(oracle: Oracle, space: SearchSpace, archs: Sequence[Architecture], values: list[float]) -> None:
    distinct: dict[object, tuple[Architecture, float]] = {}
    for arch, value in zip(archs, values):
        distinct.setdefault(space.canonical_key(arch), (arch, value))
    firsts = list(distinct.values())
    assert len(firsts) >= 2, "check_oracle needs two architectures with different canonical keys"
    budget = len(firsts) - 1
    budgeted = BudgetedOracle(oracle, space, budget)
    assert (budgeted.space, budgeted.metric, budgeted.unit) == (oracle.space, oracle.metric, oracle.unit)
    for number, (arch, value) in enumerate(firsts[:budget], start=1):
        assert budgeted.query(arch) == value, "BudgetedOracle changed the value"
        assert budgeted.query(arch) == value and budgeted.num_queries == number, "a repeat query was charged"
    assert budgeted.remaining == 0
    last_arch = firsts[budget][0]
    try:
        budgeted.query(last_arch)
    except BudgetExhaustedError as error:
        assert oracle.metric in str(error) and str(budget) in str(error), f"refusal names neither: {error}"
    else:
        raise AssertionError(f"BudgetedOracle answered query {budget + 1} past its budget of {budget}")
    assert budgeted.num_queries == budget, "a refused query was counted"
    trajectory = budgeted.trajectory
    assert [entry.number for entry in trajectory] == list(range(1, budget + 1))
    assert [entry.value for entry in trajectory] == [value for _, value in firsts[:budget]]
    assert [entry.arch for entry in trajectory] == [space.to_string(arch) for arch, _ in firsts[:budget]]
    pick = max if oracle.higher_is_better else min
    for k, entry in enumerate(trajectory):
        assert entry.best == pick(e.value for e in trajectory[: k + 1]), "best-so-far is wrong"
    best = budgeted.best()
    assert best is not None and best.value == trajectory[-1].best
