"""Former name of :mod:`archgen.pipeline.search_command`, kept so code written against it still imports.

New code imports :mod:`archgen.pipeline.search_command` (the command is
:func:`~archgen.pipeline.search_command.run_search`); ``search`` alone names the
searchers' protocol method (:meth:`archgen.protocols.Searcher.search`). The
published results it held now come from each space's ``published_results()``.
"""

from archgen.pipeline.search_command import (
    SEARCH_FORMAT,
    TRIAL_FORMAT,
    ConstrainedOracle,
    ConstrainedSpace,
    LabelledPool,
    best_after,
    experiment_name,
    labelled_pool,
    plot_anytime,
    pool_note,
    run_search,
    run_trial,
    search_markdown,
    search_table,
    signal_note,
    summarize,
    with_overrides,
)

#: The command under its former name.
search = run_search

__all__ = [
    "SEARCH_FORMAT",
    "TRIAL_FORMAT",
    "ConstrainedOracle",
    "ConstrainedSpace",
    "LabelledPool",
    "best_after",
    "experiment_name",
    "labelled_pool",
    "plot_anytime",
    "pool_note",
    "run_trial",
    "search",
    "search_markdown",
    "search_table",
    "signal_note",
    "summarize",
    "with_overrides",
]
