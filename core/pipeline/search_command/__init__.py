"""``archgen search``: a searcher's best-found architecture against the number of oracle queries.

A search runs ``[search] trials`` independent trials (seeds ``[run] seed + k``)
of the ``[searcher]`` against a :class:`archgen.oracle.BudgetedOracle` of the
*signal* metric (what the searcher sees, e.g. a 200-epoch validation accuracy)
and records, after every distinct query, the *reported* metric (e.g. the test
accuracy) of the architecture with the best signal so far -- the protocol of
NAS-Bench-101/201 searches ("select by validation, report test").

Results live in the run directory::

    runs/<name>/search/<experiment>/<searcher>/settings.json
    runs/<name>/search/<experiment>/<searcher>/trial-<seed>.json
    runs/<name>/search/<experiment>/search.json, search.md, search.png

where ``<experiment>`` names the signal, the reported metric, any constraint
and a labelled pool (``--labelled``: ``[search] pool = "labelled"`` searches
only the architectures the oracle tables label, :class:`LabelledPool`), so
searchers run on the same experiment share one table and one anytime curve.
Each trial is committed to the run on its own (a staged update,
:class:`archgen.pipeline.rundir.StagedRun`): a killed search keeps every trial
that finished, the earlier run stays byte-identical otherwise, and a re-run
skips the finished trials.

One module per job: :mod:`.command` (the command), :mod:`.plan` (checking
``[search]`` against the space), :mod:`.space_view`, :mod:`.constraint` and
:mod:`.pool` (what the searcher is handed), :mod:`.trial` (one trial),
:mod:`.store` (the run's files), :mod:`.naming`, :mod:`.summary` and
:mod:`.tables` (``search.json``, the tables and the figure). A space's
published results come from the space (:mod:`archgen.published`).
"""

from archgen.pipeline.search_command.command import run_search, with_overrides
from archgen.pipeline.search_command.constraint import ConstrainedOracle, ConstrainedSpace
from archgen.pipeline.search_command.naming import experiment_name, pool_note, signal_note
from archgen.pipeline.search_command.plan import SearchPlan, plan_search
from archgen.pipeline.search_command.pool import LabelledPool, labelled_pool
from archgen.pipeline.search_command.space_view import SpaceView
from archgen.pipeline.search_command.summary import SEARCH_FORMAT, best_after, summarize
from archgen.pipeline.search_command.tables import plot_anytime, search_markdown, search_table
from archgen.pipeline.search_command.trial import TRIAL_FORMAT, run_trial

__all__ = [
    "SEARCH_FORMAT",
    "TRIAL_FORMAT",
    "ConstrainedOracle",
    "ConstrainedSpace",
    "LabelledPool",
    "SearchPlan",
    "SpaceView",
    "best_after",
    "experiment_name",
    "labelled_pool",
    "plan_search",
    "plot_anytime",
    "pool_note",
    "run_search",
    "run_trial",
    "search_markdown",
    "search_table",
    "signal_note",
    "summarize",
    "with_overrides",
]
