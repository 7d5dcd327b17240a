"""What one ``archgen search`` experiment is: metrics, budget, checkpoints, and the space the searcher sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archgen.config import SearchConstraint, SearchSection
from archgen.errors import ConfigError
from archgen.pipeline.search_command.constraint import ConstrainedOracle, ConstrainedSpace
from archgen.pipeline.search_command.naming import experiment_name, pool_note, signal_note
from archgen.pipeline.search_command.pool import LabelledPool, labelled_pool
from archgen.protocols import OffersOracles, PublishesResults
from archgen.published import PublishedResults
from archgen.registry import PluginChoice, load
from archgen.runtime import Runtime


@dataclass
class SearchPlan:
    """One experiment, checked: every searcher run on it shares its table and anytime curve.

    Attributes:
        space: The loaded space.
        section: The ``[search]`` section it was planned from.
        signal: The metric the searcher sees.
        report: The metric reported of the best-signal architecture.
        checkpoints: Query counts the table reports (within the budget).
        searched: What the searcher is handed: the space, its labelled pool, or either under the constraint.
        signal_oracle: The signal's oracle (refusing what breaks the constraint).
        report_oracle: The reported metric's oracle.
        pool: The labelled pool, if ``[search] pool = "labelled"``.
        source: Where the oracles come from: the space, or the ``[search] oracle`` plugin bound to it.
    """

    space: Any
    section: SearchSection
    signal: str
    report: str
    checkpoints: list[int]
    searched: Any
    signal_oracle: Any
    report_oracle: Any
    pool: LabelledPool | None = None
    source: Any = None

    def close(self) -> None:
        """Releases what an ``[search] oracle`` plugin holds (a Ray it started)."""
        if callable(getattr(self.source, "close", None)):
            self.source.close()

    @property
    def budget(self) -> int:
        return self.section.budget

    @property
    def constraint(self) -> SearchConstraint | None:
        return self.section.constraint

    @property
    def experiment(self) -> str:
        """The experiment's folder name."""
        return experiment_name(self.signal, self.report, self.constraint, self.section.pool)

    def settings(self, searcher: PluginChoice, space: PluginChoice) -> dict[str, Any]:
        """``settings.json``: what a searcher's trials must share to be resumed or tabled together."""
        settings = {
            "searcher": searcher.model_dump(mode="json"),
            "space": space.model_dump(mode="json"),
            "signal": self.signal,
            "report": self.report,
            "signal_is_report": self.signal == self.report,
            "budget": self.budget,
            "constraint": None if self.constraint is None else self.constraint.model_dump(mode="json"),
        }
        if self.section.oracle is not None:  # absent for the space's own tables, likewise
            settings["oracle"] = self.section.oracle.model_dump(mode="json")
        if self.pool is not None:  # absent for the whole space, so earlier runs' settings still match
            settings["pool"] = {"kind": self.section.pool, "size": len(self.pool)}
        return settings

    def note(self) -> str:
        """The line above the table: how the signal relates to the report, and what the pool is."""
        note = signal_note(self.signal, self.report, self.section.signal is not None)
        if self.pool is not None:
            note += f"; {pool_note(self.space.name, len(self.pool), self.signal, self.constraint)}"
        return note

    def published(self) -> list[dict[str, Any]]:
        """The space's published search results of the reported metric."""
        published = self.space.published_results() if isinstance(self.space, PublishesResults) else PublishedResults()
        return published.search_anchors(self.report)


def plan_search(space: Any, section: SearchSection, runtime: Runtime | None = None) -> SearchPlan:
    """Checks ``[search]`` against the space and builds what the searcher sees.

    Args:
        space: The loaded space.
        section: ``[search]``.
        runtime: Where an ``[search] oracle`` plugin computes (a training oracle's ``device = "auto"``).

    Raises:
        ConfigError: For an unknown signal, report or constraint metric (listing the accepted
            ones), a space without oracles, or a budget past the labelled pool.
    """
    source = _oracle_source(space, section, runtime)
    metrics = source.oracle_metrics() if isinstance(source, OffersOracles) else {}
    report = section.report or next(iter(metrics), None)
    if report is None:
        raise ConfigError(f"space {space.name!r} offers no oracle metric to search")
    signal = section.signal or getattr(source, "default_signal", None) or report
    for key, metric in (("signal", signal), ("report", report)):
        if metric not in metrics:
            raise ConfigError(f"[search] {key}: unknown metric {metric!r} for space {space.name!r}; accepted: {sorted(metrics)}")
    checkpoints = sorted({c for c in section.checkpoints if c <= section.budget}) or [section.budget]
    constraint = section.constraint
    if constraint and constraint.metric not in metrics:
        raise ConfigError(
            f"[search] constraint: unknown metric {constraint.metric!r} for space {space.name!r}; "
            f"accepted: {sorted(metrics)}"
        )
    if section.pool == "labelled" and section.oracle is not None:
        raise ConfigError(f"[search] pool = 'labelled' draws from the architectures a table answers; "
                          f"oracle {section.oracle.name!r} answers any, so use pool = 'space'")
    # Checked first: building an oracle plugin's oracles may start workers (a Ray), which plan.close() releases.
    report_oracle, signal_oracle = source.oracle(report), source.oracle(signal)
    plan = SearchPlan(space, section, signal, report, checkpoints, space, signal_oracle, report_oracle, source=source)
    if section.pool == "labelled":
        plan.pool = plan.searched = _pool(plan)
    if constraint:
        plan.searched = ConstrainedSpace(plan.searched, source.oracle(constraint.metric), constraint.max)
        plan.signal_oracle = ConstrainedOracle(signal_oracle, plan.searched)
    return plan


class _PluginOracles:
    """An ``archgen.oracles`` plugin seen as the space's own oracles (``oracle_metrics`` / ``oracle``)."""

    def __init__(self, plugin: Any, space: Any, runtime: Runtime | None):
        self.plugin, self.space, self.runtime = plugin, space, runtime
        self.default_signal = getattr(plugin, "DEFAULT_SIGNAL", None)

    def oracle_metrics(self) -> dict[str, str]:
        return dict(self.plugin.oracle_metrics(self.space))

    def oracle(self, metric: str) -> Any:
        return self.plugin.oracle(self.space, metric, self.runtime)

    def close(self) -> None:
        if callable(getattr(self.plugin, "close", None)):
            self.plugin.close()


def _oracle_source(space: Any, section: SearchSection, runtime: Runtime | None) -> Any:
    """The space itself, or the ``[search] oracle`` plugin bound to it."""
    if section.oracle is None:
        return space
    return _PluginOracles(load("oracle", section.oracle.name, **section.oracle.options), space, runtime)


def _pool(plan: SearchPlan) -> LabelledPool:
    """The labelled pool: what the signal and the reported oracles answer, within the constraint."""
    space, constraint = plan.space, plan.constraint
    answered = [plan.signal_oracle, plan.report_oracle]
    if constraint:
        limit = ConstrainedSpace(space, space.oracle(constraint.metric), constraint.max)
        answered.append(ConstrainedOracle(plan.signal_oracle, limit))
    pool = labelled_pool(space, answered)
    if plan.budget > len(pool):
        raise ConfigError(
            f"[search] budget {plan.budget} exceeds the labelled pool of {len(pool)} architectures; "
            f"lower it to at most {len(pool)}"
        )
    return pool
