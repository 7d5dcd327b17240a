"""One search trial: a searcher against a budgeted signal oracle, and the record of what it found."""

from __future__ import annotations

import math
import time
from typing import Any

from archgen.errors import BudgetExhaustedError, InvalidArchitectureError
from archgen.oracle import BudgetedOracle
from archgen.pipeline.search_command.pool import LabelledPool
from archgen.plugin_outputs import PluginRef, check_search_result
from archgen.runtime import Runtime

TRIAL_FORMAT = "archgen.search-trial/1"


def run_trial(
    searcher: Any,
    space: Any,
    signal_oracle: Any,
    report_oracle: Any,
    *,
    budget: int,
    seed: int,
    runtime: Runtime | None = None,
    name: str = "searcher",
    pool: LabelledPool | None = None,
) -> dict[str, Any]:
    """Runs one trial and returns its JSON-ready record.

    Args:
        searcher: A loaded searcher.
        space: The space it searches (possibly a constrained view or a labelled pool).
        signal_oracle: What the searcher sees (budgeted here).
        report_oracle: Looked up for the architecture with the best signal after each query.
        budget: Distinct queries allowed.
        seed: The trial's seed.
        runtime: Passed to the searcher.
        name: The searcher's name, for messages.
        pool: The labelled pool under ``space``'s constraint, if any (by default
            ``space`` itself when it is a pool): its mutation counts go in the record.

    Returns:
        The trial's record (``trial-<seed>.json``): the best-signal architecture's
        reported figure after every distinct query.

    Raises:
        BudgetExhaustedError: If the searcher asked past its budget (one line naming it).
        PluginOutputError: If what ``search()`` returned is not JSON-ready once numpy values are
            converted (nothing of the trial is written).
    """
    if pool is None and isinstance(space, LabelledPool):
        pool = space
    budgeted = BudgetedOracle(signal_oracle, space, budget)
    if pool is not None:
        pool.reset_stats()
    started = time.perf_counter()
    try:
        returned = searcher.search(space, budgeted, seed=seed, runtime=runtime)
    except BudgetExhaustedError as error:
        raise BudgetExhaustedError(f"searcher {name!r} asked past its budget (trial seed {seed}): {error}") from None
    seconds = time.perf_counter() - started
    stats = check_search_result(returned, plugin=PluginRef("searcher", name, searcher))
    queries, best_index = _anytime_queries(budgeted, space, report_oracle)
    best = queries[best_index] if queries else None
    return {
        **({"pool": pool.stats()} if pool is not None else {}),
        "format": TRIAL_FORMAT,
        "seed": seed,
        "budget": budget,
        "evaluated": budgeted.num_queries,
        "seconds": round(seconds, 3),
        "searcher_stats": stats,
        "best": None if best is None else {"query": best_index + 1, "arch": best["arch"], "signal": best["signal"],
                                           "report": best["report_of_best"]},
        "queries": queries,
    }


def _anytime_queries(budgeted: BudgetedOracle, space: Any, report_oracle: Any) -> tuple[list[dict[str, Any]], int]:
    """Each query with the reported figure of the best-signal architecture so far, and the best's index."""
    sign = 1.0 if budgeted.higher_is_better else -1.0
    best_index, best_report, queries = -1, math.nan, []
    for index, query in enumerate(budgeted.trajectory):
        if best_index < 0 or sign * query.value > sign * budgeted.trajectory[best_index].value:
            best_index = index
            try:
                best_report = float(report_oracle.query(space.from_string(query.arch)))
            except InvalidArchitectureError:
                best_report = math.nan  # the reported table has no entry for it
        queries.append({"arch": query.arch, "signal": query.value, "best": best_index + 1, "report_of_best": best_report})
    return queries, best_index
