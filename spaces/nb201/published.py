"""Published NAS-Bench-201 results that ``archgen search`` and ``archgen predict`` print beside their own.

Search: arch-llm.md Table 4 -- mean over 10 trials of the test accuracy of the
architecture with the best validation accuracy, after the given number of
queries (rows marked * there are taken from AG-Net); "optimum" is the best cell
of the table.

Predictors: Kendall τ on CIFAR-10 after training on N cells and testing on the
rest -- PINAT (AAAI 2023, Table 1 of github.com/ShunLu91/PINAT) and TNASP
(NeurIPS 2021, as PINAT quotes it).
"""

from __future__ import annotations

from archgen.published import PublishedRankCorrelation, PublishedResults, PublishedSearchResult

#: report metric -> (method, queries, test accuracy %) of arch-llm.md Table 4.
_SEARCH: dict[str, tuple[tuple[str, int | None, float], ...]] = {
    "cifar10/test@200": (
        ("optimum", None, 94.37), ("random search", 192, 93.89), ("BANANAS", 192, 94.30),
        ("arch2vec + BO", 100, 94.18), ("AG-Net", 400, 94.37), ("Arch-LLM", 400, 94.08),
    ),
    "cifar100/test@200": (
        ("optimum", None, 73.51), ("random search", 192, 72.07), ("BANANAS", 192, 73.50),
        ("arch2vec + BO", 100, 73.37), ("AG-Net", 400, 73.51), ("Arch-LLM", 400, 72.96),
    ),
    "imagenet16-120/test@200": (
        ("optimum", None, 47.31), ("random search", 192, 45.98), ("BANANAS", 192, 46.51),
        ("arch2vec + BO", 100, 46.27), ("AG-Net", 400, 46.42), ("Arch-LLM", 400, 45.48),
    ),
}

#: N -> {predictor: Kendall τ} of PINAT's Table 1.
_KENDALL_TAU: dict[int, dict[str, float]] = {
    78: {"PINAT": 0.549, "TNASP": 0.539},
    156: {"PINAT": 0.631},
    469: {"PINAT": 0.706},
    781: {"PINAT": 0.761},
    1563: {"PINAT": 0.784},
}

#: How the τ were measured, printed with them.
_KENDALL_TAU_NOTE = (
    "PINAT's released code (nasbench/train_nasbench.py) trains on the 200-epoch cifar10-valid validation "
    "accuracy and computes τ against the CIFAR-10 test accuracy (train+valid training) over all 15,625 cells, "
    "the training cells included"
)

PUBLISHED_RESULTS = PublishedResults(
    search=tuple(
        PublishedSearchResult(report=report, method=method, value=value, queries=queries)
        for report, rows in _SEARCH.items()
        for method, queries, value in rows
    ),
    # Measured with CIFAR-10 labels; printed for any metric named cifar10* (which, as before, includes cifar100*).
    rank_correlations=tuple(
        PublishedRankCorrelation(metric_prefix="cifar10", train_size=n, method=method, kendall_tau=tau)
        for n, taus in _KENDALL_TAU.items()
        for method, tau in taus.items()
    ),
    rank_correlation_note=_KENDALL_TAU_NOTE,
)
