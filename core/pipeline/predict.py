"""``archgen predict``: train a ``[predictor]`` on N labelled architectures, rank the others (Kendall τ, Spearman ρ).

The labelled pool is every architecture the space's oracle knows: the rows of the benchmark table
holding the metric when the space has one (every row, in table order), else the
``[data]`` architectures that the oracle answers for. Labels come from ``space.oracle(metric)``,
so isomorphic cells share one value (the mean of their rows). Each trial draws a random training
set of N architectures and ranks the rest -- the TNASP / PINAT protocol -- or the whole pool
(``test_on = "all"``: Arch-VQ's convention, and what PINAT's released code does). ``also_rank``
scores the same fits under further protocols, so TNASP's and PINAT's figures come from one run.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from archgen.architecture import Architecture
from archgen.atomic import write_text
from archgen.config import DataSection, PredictSection, RankProtocol, RegistryConfig
from archgen.errors import ConfigError, DataFileError, InvalidArchitectureError
from archgen.overrides import with_overrides
from archgen.pipeline import dataset as datasets
from archgen.pipeline.predict_figure import plot_predict  # noqa: F401 - also imported from here
from archgen.pipeline.predict_report import predict_legend, predict_markdown, predict_table  # noqa: F401 - also imported from here
from archgen.pipeline.report import mean_std
from archgen.pipeline.session import Session
from archgen.plugin_outputs import PluginRef, check_predictions, check_statistics
from archgen.progress import progress
from archgen.protocols import ListsLabelled, PublishesResults, TabulatesOracles
from archgen.published import PublishedResults
from archgen.registry import PluginChoice, load


def override_config(
    config: RegistryConfig,
    *,
    predictor: str | None = None,
    metric: str | None = None,
    train_sizes: str | None = None,
    trials: int | None = None,
    test_on: str | None = None,
    test_size: int | None = None,
) -> RegistryConfig:
    """The registry with ``archgen predict``'s flags applied (``None`` leaves a key as the file has it).

    ``archgen predict``'s spelling of :func:`archgen.overrides.with_overrides`, taking ``train_sizes``
    as the command line does (``"78,156,469"``). A ``predictor`` other than the registry's starts
    from its default options.

    Raises:
        ConfigError: For a malformed ``train_sizes`` list or a value ``[predict]`` refuses, naming the flag.
    """
    return with_overrides(
        config, plugins={"predictor": predictor},
        predict={"metric": metric, "train_sizes": parse_train_sizes(train_sizes), "trials": trials,
                 "test_on": test_on, "test_size": test_size},
    )


def parse_train_sizes(text: str | None) -> list[int] | None:
    """``--train-sizes 78,156,469`` as a list (``None`` stays ``None``: the registry's sizes).

    Raises:
        ConfigError: If a part is not an integer.
    """
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ConfigError(f"bad --train-sizes {text[:80]!r}; expected integers separated by commas, e.g. 78,156,469") from None


def labelled_pool(space: Any, metric: str, data: DataSection) -> tuple[list[Architecture], np.ndarray]:
    """Every architecture the oracle of ``metric`` answers for, with its label.

    Raises:
        ConfigError: If ``metric`` is not offered (listing the accepted ones) or fewer than 3 are labelled.
        DataFileError: If the space has no data configured.
    """
    oracle = space.oracle(metric)
    archs = _table_rows(space, metric)
    if archs is None:
        archs = datasets.collect(space, data)
    kept, labels = [], []
    for arch in progress(archs, desc=f"label {metric}", total=len(archs)):
        try:
            value = oracle.query(arch)
        except InvalidArchitectureError:
            continue  # no entry: not part of the labelled pool
        if math.isfinite(value):
            kept.append(arch)
            labels.append(value)
    if len(kept) < 3:
        raise ConfigError(f"metric {metric!r} of space {space.name!r} labels only {len(kept)} architecture(s); predict needs at least 3")
    return kept, np.asarray(labels, dtype=np.float64)


def _table_rows(space: Any, metric: str) -> list[Architecture] | None:
    """The architectures of the benchmark table holding ``metric``, or ``None`` without one.

    A space whose tables are keyed by something other than its strings (e.g. by hash) lists
    them through ``labelled_architectures()`` (:class:`archgen.protocols.ListsLabelled`), one per
    canonical key -- without it, the pool would be found by asking the oracle about every member
    of a space of hundreds of thousands.
    """
    if isinstance(space, ListsLabelled):
        unique: dict[Any, Architecture] = {}
        for arch in space.labelled_architectures():
            unique.setdefault(space.canonical_key(arch), arch)
        return list(unique.values())
    if not isinstance(space, TabulatesOracles):
        return None
    try:
        listed_tables = space.oracle_tables()
    except DataFileError:
        return None  # a computed oracle only (MBV3's accuracy predictor): the [data] architectures
    for table in listed_tables:
        if metric in table.metrics:
            column = table.column(metric)
            try:
                return [space.from_string(key) for key, value in zip(table.keys, column.tolist()) if not math.isnan(value)]
            except InvalidArchitectureError:
                return None  # row keys are not native strings (a space with its own row keys)
    return None


def rank_correlations(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Kendall τ-b and Spearman ρ of predictions against the truth.

    A constant prediction carries no ranking: its (undefined) correlations count as 0.
    """
    from scipy.stats import kendalltau, spearmanr

    predicted, truth = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    if np.ptp(predicted) == 0 or np.ptp(truth) == 0:
        return {"kendall_tau": 0.0, "spearman": 0.0}
    tau = kendalltau(predicted, truth)[0]
    rho = spearmanr(predicted, truth)[0]
    return {"kendall_tau": 0.0 if math.isnan(tau) else float(tau), "spearman": 0.0 if math.isnan(rho) else float(rho)}


def split_trial(pool_size: int, n: int, seed: int, test_on: str, test_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Training and test indices of one trial: N random architectures, and the rest (or all).

    ``test_size`` caps the test set at a random subset (same seed) of that size.
    """
    order = np.random.default_rng(seed).permutation(pool_size)
    train = order[:n]
    test = order if test_on == "all" else order[n:]
    if test_size is not None and test_size < len(test):
        test = test[:test_size]
    return np.sort(train), np.sort(test)


def check_settings(settings: PredictSection, pool_size: int) -> None:
    """Refuses training sizes the pool cannot supply.

    Raises:
        ConfigError: Naming the bad size and the pool's size.
    """
    too_big = [n for n in settings.train_sizes if n >= pool_size]
    if too_big:
        raise ConfigError(
            f"[predict] train_sizes {too_big} must be smaller than the {pool_size:,} labelled architectures "
            "(the rest are ranked)"
        )


def predict(session: Session) -> dict[str, Any]:
    """Runs every (N, trial) experiment of ``[predict]``; writes ``predict.json``, ``predict.md`` and ``predict.png``.

    Raises:
        ConfigError: For no ``[predictor]``, an unknown metric, or a training size the pool cannot supply.
        PluginOutputError: For fit statistics or predictions that break the Predictor contract.
    """
    config = session.run_config
    spec = config.predictor
    if spec is None:
        raise ConfigError("registry has no [predictor]; name one (e.g. [predictor] name = \"gin\"; see 'archgen plugins')")
    settings = config.predict
    space = session.space
    metric = settings.metric or next(iter(space.oracle_metrics()))
    test_metric = settings.test_metric or metric
    archs, labels = labelled_pool(space, metric, config.data)
    truth = _truth(space, test_metric, metric, archs, labels)
    others = [
        (protocol, _truth(space, protocol.test_metric or metric, metric, archs, labels, key=f"also_rank {protocol.name!r} test_metric"))
        for protocol in settings.also_rank
    ]
    check_settings(settings, len(archs))
    base_seed = config.run.seed
    published = space.published_results() if isinstance(space, PublishesResults) else PublishedResults()
    points = []
    for n in settings.train_sizes:
        trials = []
        for trial in progress(range(settings.trials), desc=f"predict N={n}", total=settings.trials):
            trials.append(_trial(session, spec, archs, labels, truth, others, n, base_seed + trial))
        points.append({
            "n": n,
            "kendall_tau": mean_std([t["kendall_tau"] for t in trials]),
            "spearman": mean_std([t["spearman"] for t in trials]),
            "fit_seconds": mean_std([t["fit_seconds"] for t in trials]),
            **({"also": {
                protocol.name: {figure: mean_std([t["also"][protocol.name][figure] for t in trials]) for figure in ("kendall_tau", "spearman")}
                for protocol, _ in others
            }} if others else {}),
            "reference": published.kendall_tau_at(n, metric),
            "trials": trials,
        })
    result = {
        "space": space.name,
        "predictor": spec.model_dump(mode="json"),
        "metric": metric,
        "test_metric": test_metric,
        "pool_size": len(archs),
        "test_on": settings.test_on,
        "also_rank": [protocol.model_dump(mode="json") for protocol in settings.also_rank],
        "trials": settings.trials,
        "points": points,
        "reference_note": published.rank_correlation_note if any(p["reference"] for p in points) else "",
    }
    session.run.write_json("predict.json", result)
    write_text(session.run.path / "predict.md", predict_markdown(result))
    plot_predict(result, session.run.path / "predict.png")
    session.summary = {"kendall_tau": {str(p["n"]): p["kendall_tau"]["mean"] for p in points}}
    return result


def _trial(
    session: Session, spec: PluginChoice, archs: list[Architecture], labels: np.ndarray, truth: np.ndarray,
    others: list[tuple[RankProtocol, np.ndarray]], n: int, seed: int,
) -> dict[str, Any]:
    """One (N, seed) experiment: fit on N, rank the test set, and score each ``also_rank`` protocol."""
    settings = session.run_config.predict
    space = session.space
    train, test = split_trial(len(archs), n, seed, settings.test_on, settings.test_size)
    predictor = load("predictor", spec.name, **spec.options)
    plugin = PluginRef("predictor", spec.name, predictor)
    started = time.perf_counter()
    stats = predictor.fit(space, [archs[i] for i in train], labels[train], runtime=session.runtime, seed=seed)
    fitted = time.perf_counter()
    stats = check_statistics(stats, plugin=plugin)
    predicted = check_predictions(predictor.predict(space, [archs[i] for i in test]), len(test), plugin=plugin)
    predicted_at = time.perf_counter()
    also = {}
    for protocol, protocol_truth in others:
        _, protocol_test = split_trial(len(archs), n, seed, protocol.test_on, settings.test_size)
        protocol_predicted = predicted if np.array_equal(protocol_test, test) else check_predictions(
            predictor.predict(space, [archs[i] for i in protocol_test]), len(protocol_test), plugin=plugin
        )
        also[protocol.name] = {"test_size": int(len(protocol_test)), **rank_correlations(protocol_predicted, protocol_truth[protocol_test])}
    return {
        "seed": seed,
        "test_size": int(len(test)),
        **rank_correlations(predicted, truth[test]),
        "fit_seconds": fitted - started,
        "predict_seconds": predicted_at - fitted,
        "fit": stats,
        **({"also": also} if others else {}),
    }


def _truth(space: Any, test_metric: str, metric: str, archs: list[Architecture], labels: np.ndarray, key: str = "test_metric") -> np.ndarray:
    """What the predictions are ranked against: the labels themselves, or ``test_metric``'s values of the pool."""
    if test_metric == metric:
        return labels
    oracle = space.oracle(test_metric)
    try:
        values = np.array([oracle.query(arch) for arch in archs], dtype=np.float64)
    except InvalidArchitectureError as error:
        raise ConfigError(f"[predict] {key} {test_metric!r} does not label every architecture of the pool: {error}") from None
    if not np.isfinite(values).all():
        raise ConfigError(f"[predict] {key} {test_metric!r} has no value for {int((~np.isfinite(values)).sum())} architecture(s) of the pool")
    return values
