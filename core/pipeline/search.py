"""``archgen search``: a searcher's best-found architecture against the number of oracle queries.

A search runs ``[search] trials`` independent trials (seeds ``[run] seed + k``)
of the ``[searcher]`` against a :class:`archgen.oracle.BudgetedOracle` of the
*signal* metric (what the searcher sees, e.g. NB201's 200-epoch cifar10-valid
validation accuracy) and records, after every distinct query, the *reported*
metric (e.g. the test accuracy) of the architecture with the best signal so
far -- the protocol of NAS-Bench-101/201 searches ("select by validation,
report test").

Results live in the run directory::

    runs/<name>/search/<experiment>/<searcher>/settings.json
    runs/<name>/search/<experiment>/<searcher>/trial-<seed>.json
    runs/<name>/search/<experiment>/search.json, search.md, search.png

where ``<experiment>`` names the signal, the reported metric, any
constraint and a labelled pool (``--labelled``: ``[search] pool = "labelled"``
searches only the architectures the oracle tables label, :class:`LabelledPool`),
so searchers run on the same experiment share one table and one anytime
curve. Each trial is committed to the run on its own (a staged update,
:class:`archgen.pipeline.rundir.StagedRun`): a killed search keeps every trial
that finished, the earlier run stays byte-identical otherwise, and a re-run
skips the finished trials.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgen.architecture import Architecture
from archgen.atomic import atomic_path
from archgen.config import RegistryConfig
from archgen.errors import ArchgenError, BudgetExhaustedError, ConfigError, InvalidArchitectureError, RunDirectoryError
from archgen.hooks import hook_manager
from archgen.oracle import BudgetedOracle
from archgen.pipeline.report import markdown_table, mean_std, text_table
from archgen.pipeline.rundir import RunDirectory, StagedRun
from archgen.pipeline.session import read_run_config, resolve_config
from archgen.registry import load
from archgen.runtime import Runtime

TRIAL_FORMAT = "archgen.search-trial/1"
SEARCH_FORMAT = "archgen.search/1"

#: Published NB201 results beside which the table is printed: (method, queries, value).
#: arch-llm.md Table 4 (mean over 10 trials, test accuracy of the architecture with the
#: best validation accuracy; rows marked * there are taken from AG-Net).
PUBLISHED: dict[tuple[str, str], list[tuple[str, int | None, float]]] = {
    ("nb201", "cifar10/test@200"): [
        ("optimum", None, 94.37), ("random search", 192, 93.89), ("BANANAS", 192, 94.30),
        ("arch2vec + BO", 100, 94.18), ("AG-Net", 400, 94.37), ("Arch-LLM", 400, 94.08),
    ],
    ("nb201", "cifar100/test@200"): [
        ("optimum", None, 73.51), ("random search", 192, 72.07), ("BANANAS", 192, 73.50),
        ("arch2vec + BO", 100, 73.37), ("AG-Net", 400, 73.51), ("Arch-LLM", 400, 72.96),
    ],
    ("nb201", "imagenet16-120/test@200"): [
        ("optimum", None, 47.31), ("random search", 192, 45.98), ("BANANAS", 192, 46.51),
        ("arch2vec + BO", 100, 46.27), ("AG-Net", 400, 46.42), ("Arch-LLM", 400, 45.48),
    ],
}


# -- the constraint ---------------------------------------------------------------------------------------


class ConstrainedSpace:
    """A space seen through a limit on one metric: what it samples and mutates respects the limit.

    OFA's evolutionary search redraws samples and mutations until the latency
    predictor accepts them (``EvolutionFinder.random_sample`` / ``mutate_sample``);
    this does the same for any searcher, and ``why_invalid`` refuses what breaks
    the limit. Lookups of the limited metric are free (a table, not an evaluation).
    Everything else is the wrapped space's.

    Args:
        space: The space.
        oracle: The limited metric's oracle (e.g. ``note10/latency``).
        limit: The largest value allowed (inclusive).
    """

    #: Draws tried per requested architecture before giving up on a limit nothing meets.
    MAX_TRIES = 1000

    def __init__(self, space: Any, oracle: Any, limit: float):
        self._space, self._oracle, self.limit = space, oracle, float(limit)
        if getattr(space, "mutate", None) is not None:
            self.mutate = self._mutate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._space, name)

    def excess(self, arch: Architecture) -> str | None:
        """Why ``arch`` breaks the limit, or ``None``."""
        value = self._oracle.query(arch)
        if value > self.limit:
            return f"{self._oracle.metric} {value:.2f} {self._oracle.unit} exceeds the limit {self.limit:g}"
        return None

    def why_invalid(self, arch: Architecture) -> str | None:
        return self._space.why_invalid(arch) or self.excess(arch)

    def is_valid(self, arch: Architecture) -> bool:
        return self.why_invalid(arch) is None

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` architectures of the space's sampler that meet the limit, reproducibly for ``seed``.

        Raises:
            ConfigError: If ``MAX_TRIES`` draws per architecture found none within the limit.
        """
        kept: list[Architecture] = []
        seeds = np.random.default_rng(seed)
        drawn = 0
        while len(kept) < n:
            batch = self._space.sample(max(n, 16), seed=int(seeds.integers(2**63)))
            drawn += len(batch)
            kept.extend(arch for arch in batch if self.excess(arch) is None)
            if drawn >= self.MAX_TRIES * n and len(kept) < n:
                raise ConfigError(
                    f"[search] constraint: only {len(kept)} of {drawn} sampled architectures have "
                    f"{self._oracle.metric} <= {self.limit:g}; raise the limit"
                )
        return kept[:n]

    def _mutate(self, arch: Architecture, rng: Any) -> Architecture:
        for _ in range(self.MAX_TRIES):
            child = self._space.mutate(arch, rng)
            if self.excess(child) is None:
                return child
        raise ConfigError(f"[search] constraint: no mutation of an architecture met {self._oracle.metric} <= {self.limit:g}")


class ConstrainedOracle:
    """An oracle that refuses architectures outside a :class:`ConstrainedSpace`'s limit (never charged)."""

    def __init__(self, oracle: Any, space: ConstrainedSpace):
        self._oracle, self._space = oracle, space
        self.space, self.metric, self.unit = oracle.space, oracle.metric, oracle.unit
        self.higher_is_better = oracle.higher_is_better

    def query(self, arch: Architecture) -> float:
        reason = self._space.excess(arch)
        if reason is not None:
            raise InvalidArchitectureError(f"not within the search constraint: {reason}")
        return self._oracle.query(arch)


# -- the labelled pool ------------------------------------------------------------------------------------


class LabelledPool:
    """A space restricted to the architectures its oracle tables label (``[search] pool = "labelled"``).

    NB101 here has 292 labelled cells among 423,624, AutoFormer 200 subnets
    among 10^9: the space's own sampler would draw hundreds of unlabelled
    architectures per labelled one, and its mutation would almost never land
    on a labelled neighbour. In the pool

    * ``sample`` draws members uniformly (with replacement);
    * ``mutate`` applies the space's own mutation once and keeps the child if it
      is a member other than the parent; otherwise (every AutoFormer mutation,
      44 % of NB101's in ``benchmarks/search_pools.py``) it *projects* the child onto the pool: a member at the smallest Hamming distance from the
      child's padded tensor form (``to_arrays``; NB101 cells pruned first), the
      parent excluded, ties drawn at random. :meth:`stats` counts how often;
    * ``why_invalid`` refuses non-members.

    Searching the pool is not searching the space: results say so.

    Args:
        space: The space.
        members: The labelled architectures (one per canonical key).
    """

    def __init__(self, space: Any, members: Sequence[Architecture]):
        self._space = space
        self.members = list(members)
        if not self.members:
            raise ConfigError(f"[search] pool = \"labelled\": space {space.name!r} has no labelled architecture")
        self._index = {space.canonical_key(arch): i for i, arch in enumerate(self.members)}
        self._features = self._featurize(self.members)
        self.mutations = self.projections = 0
        if getattr(space, "mutate", None) is not None:
            self.mutate = self._mutate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._space, name)

    def __len__(self) -> int:
        return len(self.members)

    def size(self) -> int:
        """The number of labelled architectures."""
        return len(self.members)

    def enumerate(self) -> Any:
        """Every member once."""
        return iter(self.members)

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` members drawn uniformly with replacement (``default_rng(seed)``)."""
        picks = np.random.default_rng(seed).integers(0, len(self.members), size=n)
        return [self.members[int(i)] for i in picks]

    def why_invalid(self, arch: Architecture) -> str | None:
        reason = self._space.why_invalid(arch)
        if reason is None and self._space.canonical_key(arch) not in self._index:
            reason = f"not one of the {len(self.members)} labelled architectures of the search pool"
        return reason

    def is_valid(self, arch: Architecture) -> bool:
        return self.why_invalid(arch) is None

    def stats(self) -> dict[str, int]:
        """Mutations asked for so far, and how many were projected onto the pool."""
        return {"pool_size": len(self.members), "mutations": self.mutations, "projected": self.projections}

    def reset_stats(self) -> None:
        self.mutations = self.projections = 0

    def nearest(self, arch: Architecture, rng: Any, exclude: Any = None) -> Architecture:
        """A member nearest to ``arch`` (Hamming distance of the padded form), ties drawn with ``rng``."""
        distance = (self._features != self._featurize([arch])).sum(axis=1)
        if exclude is not None and exclude in self._index:
            distance[self._index[exclude]] = np.iinfo(distance.dtype).max
        ties = np.flatnonzero(distance == distance.min())
        return self.members[int(ties[rng.randrange(len(ties))])]

    def _featurize(self, archs: Sequence[Architecture]) -> np.ndarray:
        prune = getattr(self._space, "prune", None)
        if prune is not None:
            archs = [prune(arch) for arch in archs]
        adjacency, ops = self._space.to_arrays(archs)
        return np.concatenate([adjacency.reshape(len(archs), -1).astype(np.int64), ops], axis=1)

    def _mutate(self, arch: Architecture, rng: Any) -> Architecture:
        self.mutations += 1
        parent = self._space.canonical_key(arch)
        child = self._space.mutate(arch, rng)
        key = self._space.canonical_key(child)
        if key in self._index and key != parent:
            return child
        self.projections += 1
        return self.nearest(child, rng, exclude=parent)


def labelled_pool(space: Any, oracles: Sequence[Any]) -> LabelledPool:
    """The pool of architectures every one of ``oracles`` answers.

    Candidates are the space's ``labelled_architectures()`` when it has one
    (NB101, whose tables are keyed by hash), else the rows of its oracle tables
    parsed with ``from_string``; a computed oracle (FLOPs, latency) answers any
    member, so it only filters by a constraint's limit.

    Raises:
        ConfigError: If the space has no table of labelled architectures.
    """
    listed = getattr(space, "labelled_architectures", None)
    try:
        if listed is not None:
            candidates = list(listed())
        else:
            candidates = [space.from_string(key) for table in space.oracle_tables() for key in table.keys]
    except (AttributeError, ArchgenError) as error:
        raise ConfigError(
            f"[search] pool = \"labelled\": space {space.name!r} has no table of labelled architectures ({error}); "
            "use pool = \"space\""
        ) from None
    members: dict[Any, Architecture] = {}
    for arch in candidates:
        key = space.canonical_key(arch)
        if key in members:
            continue
        try:
            for oracle in oracles:
                oracle.query(arch)
        except InvalidArchitectureError:
            continue
        members[key] = arch
    return LabelledPool(space, list(members.values()))


# -- settings ---------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@.+=-]+", "_", text).strip("_")


def experiment_name(signal: str, report: str, constraint: dict[str, Any] | None, pool: str = "space") -> str:
    """The folder of one experiment: ``<signal>--<report>[--<metric>-le-<max>][--labelled]``."""
    name = f"{_slug(signal)}--{_slug(report)}"
    if constraint:
        name += f"--{_slug(constraint['metric'])}-le-{constraint['max']:g}"
    if pool != "space":
        name += f"--{pool}"
    return name


def pool_note(space: str, size: int, signal: str, constraint: dict[str, Any] | None = None) -> str:
    """What a labelled pool is, for the output: never to be read as the full space."""
    within = f" within {constraint['metric']} <= {constraint['max']:g}" if constraint else ""
    return (f"pool: only the {size:,} architectures with a {signal!r} entry in the table{within} "
            f"(pool = \"labelled\"), NOT the full {space} space")


def _epochs(metric: str) -> str | None:
    match = re.search(r"@(\d+)", metric)
    return match.group(1) if match else None


def signal_note(signal: str, report: str, explicit: bool) -> str:
    """One line saying how the signal relates to the reported metric."""
    if not explicit or signal == report:
        return f"signal = the reported metric {report!r} itself (searching on the figure that is reported)"
    note = f"signal {signal!r}, reported {report!r} of the architecture with the best signal"
    if _epochs(signal) and _epochs(report) and _epochs(signal) != _epochs(report):
        note += f" (the signal is a {_epochs(signal)}-epoch figure: no {_epochs(report)}-epoch one is available here)"
    return note


# -- one trial --------------------------------------------------------------------------------------------


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
) -> dict[str, Any]:
    """Runs one trial and returns its JSON-ready record.

    Args:
        searcher: A loaded searcher.
        space: The space it searches (possibly a :class:`ConstrainedSpace`).
        signal_oracle: What the searcher sees (budgeted here).
        report_oracle: Looked up for the architecture with the best signal after each query.
        budget: Distinct queries allowed.
        seed: The trial's seed.
        runtime: Passed to the searcher.
        name: The searcher's name, for messages.

    Raises:
        BudgetExhaustedError: If the searcher asked past its budget (one line naming it).
    """
    budgeted = BudgetedOracle(signal_oracle, space, budget)
    reset_pool = getattr(space, "reset_stats", None)
    if reset_pool is not None:
        reset_pool()
    started = time.perf_counter()
    try:
        stats = searcher.search(space, budgeted, seed=seed, runtime=runtime)
    except BudgetExhaustedError as error:
        raise BudgetExhaustedError(f"searcher {name!r} asked past its budget (trial seed {seed}): {error}") from None
    seconds = time.perf_counter() - started
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
    best = queries[best_index] if queries else None
    pool = getattr(space, "stats", None)
    return {
        **({"pool": pool()} if pool is not None else {}),
        "format": TRIAL_FORMAT,
        "seed": seed,
        "budget": budget,
        "evaluated": budgeted.num_queries,
        "seconds": round(seconds, 3),
        "searcher_stats": _json_ready(stats),
        "best": None if best is None else {"query": best_index + 1, "arch": best["arch"], "signal": best["signal"],
                                           "report": best["report_of_best"]},
        "queries": queries,
    }


def _json_ready(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=True)
        return value
    except (TypeError, ValueError):
        return repr(value)


# -- the command --------------------------------------------------------------------------------------------


def with_overrides(config: RegistryConfig, *, searcher: str | None = None, **search: Any) -> RegistryConfig:
    """The registry with the command line's ``--searcher`` and ``[search]`` values applied.

    A ``--searcher`` other than the registry's ``[searcher]`` runs with its default options.

    Raises:
        ConfigError: For a bad value (a budget of 0 or less, an empty checkpoint list...), naming the flag.
    """
    import pydantic

    from archgen.config import SearchSection
    from archgen.registry import PluginChoice, describe_validation_error

    update: dict[str, Any] = {}
    if searcher is not None:
        keep = config.searcher is not None and config.searcher.name == searcher
        update["searcher"] = PluginChoice(name=searcher, options=config.searcher.options if keep else {})
    given = {key: value for key, value in search.items() if value is not None}
    if given:
        try:
            update["search"] = SearchSection.model_validate({**config.search.model_dump(), **given})
        except pydantic.ValidationError as error:
            flags = ", ".join(f"--{key.replace('_', '-')}" for key in given)
            raise ConfigError(f"{flags}: {describe_validation_error(error, model=SearchSection)}") from None
    return config.model_copy(update=update)



def search(
    config: RegistryConfig,
    *,
    run_dir: Path,
    label: str | None = None,
    overwrite: bool = False,
    device: str | None = None,
    extra_hooks: Sequence[object] = (),
    after_trial: Callable[[int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Runs the ``[searcher]`` for every pending trial and writes the experiment's summary.

    Everything is validated before the first trial: the searcher and its
    options, the metrics (unknown ones are refused with the accepted list), the
    budget and the checkpoints.

    Args:
        config: The registry (``[space]``, ``[searcher]``, ``[search]``, ``[run]``).
        run_dir: The run to add the search to (created with the registry's
            configuration when absent).
        label: The searcher's folder name (default: its plugin name).
        overwrite: Discard this searcher's earlier trials of the same experiment.
        device: Overrides ``[run] device``.
        extra_hooks: Hook plugins besides the installed ones (tests).
        after_trial: Called as ``(seed, record)`` once each trial is committed (tests, progress).

    Returns:
        The experiment's summary (``search.json``).

    Raises:
        ConfigError: For a missing ``[searcher]``, an unknown metric, bad checkpoints or constraint.
        BudgetExhaustedError: If the searcher asks past its budget.
        RunDirectoryError: If the run belongs to another space, or this searcher's earlier
            trials used other settings (pass ``overwrite``).
    """
    resolved = resolve_config(config, 1, device)
    if resolved.get("searcher") is None:
        raise ConfigError("registry has no [searcher]; name one (e.g. [searcher] name = \"evolution\"; see 'archgen plugins')")
    settings_in = resolved["search"]
    name = resolved["searcher"]["name"]
    label = label or name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+=@-]{0,99}", label):
        raise ConfigError(f"search label {label!r} must be a plain name (letters, digits, '_.+=@-')")
    run_dir = Path(run_dir)
    if run_dir.exists():
        saved = read_run_config(RunDirectory(run_dir))
        if saved["space"]["name"] != resolved["space"]["name"]:
            raise RunDirectoryError(
                f"run {str(run_dir)!r} is of space {saved['space']['name']!r}, the registry names "
                f"{resolved['space']['name']!r}; pick another --name"
            )
    runtime = Runtime.resolve(device or resolved["run"]["device"], resolved["run"]["threads"], resolved["run"]["precision"])
    space = load("space", resolved["space"]["name"], **resolved["space"]["options"])
    metrics = space.oracle_metrics() if hasattr(space, "oracle_metrics") else {}
    report = settings_in["report"] or next(iter(metrics), None)
    if report is None:
        raise ConfigError(f"space {space.name!r} offers no oracle metric to search")
    signal = settings_in["signal"] or report
    for key, metric in (("signal", signal), ("report", report)):
        if metric not in metrics:
            raise ConfigError(f"[search] {key}: unknown metric {metric!r} for space {space.name!r}; accepted: {sorted(metrics)}")
    budget = settings_in["budget"]
    checkpoints = sorted({c for c in settings_in["checkpoints"] if c <= budget}) or [budget]
    report_oracle, signal_oracle = space.oracle(report), space.oracle(signal)
    search_space: Any = space
    constraint = settings_in.get("constraint")
    if constraint and constraint["metric"] not in metrics:
        raise ConfigError(
            f"[search] constraint: unknown metric {constraint['metric']!r} for space {space.name!r}; "
            f"accepted: {sorted(metrics)}"
        )
    pool, pool_size = settings_in.get("pool", "space"), 0
    if pool == "labelled":
        # Members are what the signal and the reported oracles answer, within the constraint.
        answered = [signal_oracle, report_oracle]
        if constraint:
            limit = ConstrainedSpace(space, space.oracle(constraint["metric"]), constraint["max"])
            answered.append(ConstrainedOracle(signal_oracle, limit))
        search_space = labelled_pool(space, answered)
        pool_size = len(search_space)
        if budget > pool_size:
            raise ConfigError(
                f"[search] budget {budget} exceeds the labelled pool of {pool_size} architectures; "
                f"lower it to at most {pool_size}"
            )
    if constraint:
        search_space = ConstrainedSpace(search_space, space.oracle(constraint["metric"]), constraint["max"])
        signal_oracle = ConstrainedOracle(signal_oracle, search_space)
    load("searcher", name, **resolved["searcher"]["options"])  # refuse a broken plugin before any trial

    experiment = experiment_name(signal, report, constraint, pool)
    folder = Path("search") / experiment / label
    settings = {
        "searcher": resolved["searcher"],
        "space": resolved["space"],
        "signal": signal,
        "report": report,
        "signal_is_report": signal == report,
        "budget": budget,
        "constraint": constraint,
    }
    if pool != "space":  # absent for the whole space, so earlier runs' settings still match
        settings["pool"] = {"kind": pool, "size": pool_size}
    seeds = [resolved["run"]["seed"] + k for k in range(settings_in["trials"])]
    hooks = hook_manager(tuple(extra_hooks)).hook
    hooks.archgen_run_start(command="search", config=resolved, run_dir=str(run_dir))

    done = {} if overwrite else _finished_trials(run_dir / folder, settings, label)
    first_commit = True
    for seed in seeds:
        if seed in done:
            continue
        searcher = load("searcher", name, **resolved["searcher"]["options"])
        record = run_trial(searcher, search_space, signal_oracle, report_oracle, budget=budget, seed=seed,
                           runtime=runtime, name=name)
        with _staged(run_dir, resolved) as run:
            target = run.path / folder
            if overwrite and first_commit and target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True, exist_ok=True)
            run.write_json(str(folder / "settings.json"), settings)
            run.write_json(str(folder / f"trial-{seed}.json"), record)
        first_commit = False
        done[seed] = record
        if after_trial is not None:
            after_trial(seed, record)

    with _staged(run_dir, resolved) as run:
        summary = summarize(run.path / "search" / experiment, checkpoints=checkpoints, space=space.name,
                            note=signal_note(signal, report, settings_in["signal"] is not None)
                            + (f"; {pool_note(space.name, pool_size, signal, constraint)}" if pool != "space" else ""))
        base = Path("search") / experiment
        run.write_json(str(base / "search.json"), summary)
        with atomic_path(run.path / base / "search.md") as temporary:
            temporary.write_text(search_markdown(summary), encoding="utf-8")
        plot_anytime(summary, run.path / base / "search.png")
    hooks.archgen_run_end(command="search", run_dir=str(run_dir), summary={"experiment": experiment,
                                                                         "searchers": list(summary["searchers"])})
    return summary


def _staged(run_dir: Path, resolved: dict[str, Any]) -> Any:
    """A staged update of the run, or a new run holding the registry's configuration."""
    exists = run_dir.exists()
    staged = StagedRun(run_dir, update=exists)

    class _Writer:
        def __enter__(self) -> RunDirectory:
            run = staged.__enter__()
            if not exists:
                run.write_json("config.json", resolved)
            return run

        def __exit__(self, *exc: Any) -> None:
            staged.__exit__(*exc)

    return _Writer()


def _finished_trials(folder: Path, settings: dict[str, Any], label: str) -> dict[int, dict[str, Any]]:
    """Trials already committed for ``settings``; refuses a folder made with other settings."""
    settings_file = folder / "settings.json"
    if not settings_file.is_file():
        return {}
    try:
        earlier = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunDirectoryError(f"{settings_file} is unreadable ({error}); pass --overwrite to redo searcher {label!r}") from None
    if earlier != json.loads(json.dumps(settings)):
        changed = sorted(k for k in set(earlier) | set(settings) if earlier.get(k) != json.loads(json.dumps(settings)).get(k))
        raise RunDirectoryError(
            f"{folder} holds trials of searcher {label!r} with other settings ({', '.join(changed)} differ); "
            "pass --overwrite to replace them or --label to keep both"
        )
    done = {}
    for path in folder.glob("trial-*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable trial is simply run again
        if isinstance(record, dict) and record.get("format") == TRIAL_FORMAT and isinstance(record.get("seed"), int):
            done[record["seed"]] = record
    return done


# -- summary, table, figure ------------------------------------------------------------------------------


def best_after(record: dict[str, Any], queries: int) -> float:
    """The reported figure of the best-signal architecture among the first ``queries`` (NaN before any)."""
    rows = record["queries"]
    if not rows:
        return math.nan
    return float(rows[min(queries, len(rows)) - 1]["report_of_best"])


def summarize(experiment: Path, *, checkpoints: Sequence[int], space: str, note: str) -> dict[str, Any]:
    """Mean ± std over trials of every searcher folder of an experiment, at each checkpoint and query."""
    searchers: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for folder in sorted(p for p in experiment.iterdir() if p.is_dir()):
        trials = []
        for path in sorted(folder.glob("trial-*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("format") == TRIAL_FORMAT:
                trials.append(record)
        if not trials or not (folder / "settings.json").is_file():
            continue
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
        horizon = max(len(t["queries"]) for t in trials)
        curve = np.array([[best_after(t, q) for q in range(1, horizon + 1)] for t in trials], dtype=float)
        searchers[folder.name] = {
            "searcher": settings["searcher"],
            "budget": settings["budget"],
            "trials": len(trials),
            "seeds": [t["seed"] for t in trials],
            "evaluated": mean_std([t["evaluated"] for t in trials]),
            "at": {str(c): mean_std([best_after(t, c) for t in trials]) for c in checkpoints},
            "final_best": [t["best"] for t in trials],
            "curve_mean": np.nanmean(curve, axis=0).round(4).tolist(),
            "curve_std": np.nanstd(curve, axis=0).round(4).tolist(),
        }
    return {
        "format": SEARCH_FORMAT,
        "space": space,
        "signal": settings.get("signal"),
        "report": settings.get("report"),
        "constraint": settings.get("constraint"),
        "note": note,
        "checkpoints": list(checkpoints),
        "searchers": searchers,
        "published": [
            {"method": method, "queries": queries, "value": value}
            for method, queries, value in PUBLISHED.get((space, settings.get("report") or ""), [])
        ],
    }


def _table(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    checkpoints = summary["checkpoints"]
    header = ["searcher", "trials", *(f"@{c}" for c in checkpoints)]
    rows = []
    for label, entry in summary["searchers"].items():
        cells = []
        for c in checkpoints:
            stat = entry["at"][str(c)]
            cells.append("" if stat is None or math.isnan(stat["mean"]) else f"{stat['mean']:.2f} ± {stat['std']:.2f}")
        rows.append([label, str(entry["trials"]), *cells])
    for item in summary["published"]:
        cells = [f"{item['value']:.2f}" if item["queries"] is None or item["queries"] == c else "" for c in checkpoints]
        if item["queries"] is not None and item["queries"] not in checkpoints:
            cells.append(f"{item['value']:.2f} @{item['queries']}")
        rows.append([f"{item['method']} (published)", "", *cells[: len(checkpoints)]] + cells[len(checkpoints):])
    width = max(len(r) for r in rows) if rows else len(header)
    header += ["published elsewhere"] * (width - len(header))
    rows = [r + [""] * (width - len(r)) for r in rows]
    return header, rows


def search_table(summary: dict[str, Any]) -> str:
    """The terminal table: mean ± std of the reported figure at each checkpoint, then the published anchors."""
    header, rows = _table(summary)
    return f"{summary['space']}: {summary['note']}\n" + text_table(header, rows)


def search_markdown(summary: dict[str, Any]) -> str:
    """``search.md``: the same table in Markdown."""
    header, rows = _table(summary)
    title = f"# Search: {summary['space']}, reported {summary['report']}\n\n{summary['note']}.\n"
    if summary.get("constraint"):
        title += f"\nConstraint: {summary['constraint']['metric']} <= {summary['constraint']['max']:g}.\n"
    return title + "\nMean ± std over trials of the reported figure of the best-signal architecture after N distinct queries.\n\n" + markdown_table(header, rows) + "\n"


def plot_anytime(summary: dict[str, Any], path: Path) -> Path:
    """The anytime curve: one line per searcher (mean over trials), a ± std band, published anchors as marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=120)
    for label, entry in summary["searchers"].items():
        mean, std = np.array(entry["curve_mean"], dtype=float), np.array(entry["curve_std"], dtype=float)
        x = np.arange(1, len(mean) + 1)
        axis.plot(x, mean, label=f"{label} ({entry['trials']} trials)")
        axis.fill_between(x, mean - std, mean + std, alpha=0.2)
    for item in summary["published"]:
        if item["queries"] is None:
            axis.axhline(item["value"], color="gray", lw=0.8, ls=":", label=f"{item['method']} {item['value']:.2f}")
        else:
            axis.plot([item["queries"]], [item["value"]], "x", ms=6, label=f"{item['method']} (published)")
    axis.set_xlabel("distinct oracle queries")
    axis.set_ylabel(str(summary["report"]))
    axis.set_title(f"{summary['space']}: best-signal architecture's {summary['report']}", fontsize=9)
    finite = [v for e in summary["searchers"].values() for v in e["curve_mean"] if v == v]
    if finite:
        low = np.percentile(finite, 5)
        top = max([*finite, *(i["value"] for i in summary["published"])])
        axis.set_ylim(low - 0.5, top + 0.3)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return path


__all__ = [
    "PUBLISHED",
    "ConstrainedOracle",
    "ConstrainedSpace",
    "LabelledPool",
    "experiment_name",
    "labelled_pool",
    "pool_note",
    "run_trial",
    "search",
    "search_markdown",
    "search_table",
    "summarize",
]
