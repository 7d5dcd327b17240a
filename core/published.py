"""Results a paper reports for a space, which archgen prints beside its own.

A space owns these figures (they are facts about its benchmark, not about
archgen) and hands them over through the optional member
``published_results()`` (:class:`archgen.protocols.PublishesResults`);
``archgen search`` and ``archgen predict`` print the ones that match what they
measured. Core names no space: a space without the member has no published
anchors (an empty :class:`PublishedResults`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PublishedSearchResult:
    """One search method's published figure: what it found, after how many queries.

    Attributes:
        report: The space's metric the figure is of (e.g. a test accuracy); it is
            printed with an ``archgen search`` whose reported metric is this one.
        method: The method's name as the source gives it.
        value: The figure, in the metric's unit.
        queries: Distinct architectures queried to reach it; ``None`` for the
            space's optimum (printed at every checkpoint).
    """

    report: str
    method: str
    value: float
    queries: int | None = None


@dataclass(frozen=True)
class PublishedRankCorrelation:
    """One predictor's published Kendall τ after training on ``train_size`` labelled architectures.

    Attributes:
        metric_prefix: Printed with an ``archgen predict`` whose labelling metric's name
            starts with this (the source's labels and those of that family agree).
        train_size: Labelled architectures the predictor was trained on (N).
        method: The predictor's name as the source gives it.
        kendall_tau: The published τ.
    """

    metric_prefix: str
    train_size: int
    method: str
    kendall_tau: float


@dataclass(frozen=True)
class PublishedResults:
    """Every published figure a space offers, with how the rank correlations were measured.

    Attributes:
        search: Search results, any order (printed in this order).
        rank_correlations: Predictor τ at training sizes.
        rank_correlation_note: How the τ were measured, printed beside them.
    """

    search: tuple[PublishedSearchResult, ...] = ()
    rank_correlations: tuple[PublishedRankCorrelation, ...] = ()
    rank_correlation_note: str = ""

    def search_anchors(self, report: str) -> list[dict[str, Any]]:
        """The search results of metric ``report``, JSON-ready (``method``, ``queries``, ``value``)."""
        return [
            {"method": item.method, "queries": item.queries, "value": item.value}
            for item in self.search
            if item.report == report
        ]

    def kendall_tau_at(self, train_size: int, metric: str) -> dict[str, float]:
        """``{method: τ}`` published for ``train_size`` labelled architectures of ``metric``."""
        return {
            item.method: item.kendall_tau
            for item in self.rank_correlations
            if item.train_size == train_size and metric.startswith(item.metric_prefix)
        }
