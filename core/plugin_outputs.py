"""Trust at the plugin boundary: every plugin output is checked where it enters archgen.

A plugin is code archgen did not write. What it returns -- a generator's :class:`SampleBatch`, a
predictor's predictions, a searcher's result, any statistics dict -- is checked here before it is
stored or scored, so a broken plugin ends in one line naming it, its distribution and the rule it
broke (:class:`archgen.errors.PluginOutputError`) rather than in a silently wrong figure or a
traceback deep in archgen. The contract kits (:mod:`archgen.testing`) call the same functions
and turn the error into an ``AssertionError``: one implementation of each rule.

The checks are vectorised: checking a batch costs a small fraction of drawing it
(``benchmarks/plugin_output_checks.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import BaseModel

from archgen.errors import PluginOutputError
from archgen.generation import SampleBatch, TensorForm
from archgen.registry import installed, resolve, split_name

#: How deep a statistics value may nest (deeper is a self-reference, not statistics).
MAX_DEPTH = 64

_JSON_TYPES = "numbers, strings, booleans, None, lists and dicts with str keys"


@dataclass(frozen=True)
class PluginRef:
    """Names a plugin in messages: slot, entry-point name and the distribution that provides it.

    The distribution is looked up only when a message is made (an error), never on the happy path.

    Attributes:
        slot: ``"generator"``, ``"predictor"``, ``"searcher"``...
        name: The entry-point name as the user chose it (possibly qualified, ``dist:name``).
        instance: The loaded plugin, which tells apart two distributions offering one name.
    """

    slot: str
    name: str
    instance: Any = None

    def __str__(self) -> str:
        return f"{self.slot} {self.name!r} ({self.distribution()})"

    def distribution(self) -> str:
        """``"<dist> <version>"`` of the distribution that provides the entry point (or says it is unknown)."""
        try:
            info = resolve(self.slot, self.name)
            return f"{info.distribution} {info.version}"
        except Exception:  # noqa: BLE001 - a message is being made; never replace the error it reports
            pass
        # Not resolvable by name alone (e.g. declared twice): the loaded class says which entry point it is.
        try:
            every = list(installed(self.slot))
        except Exception:  # noqa: BLE001 - as above
            every = []
        found = [i for i in every if i.name == split_name(self.name)[1]]
        if self.instance is not None:
            # A plugin handed over as an object (a run's generator inside a searcher) is found by its class.
            target = f"{type(self.instance).__module__}:{type(self.instance).__qualname__}"
            found = [i for i in found or every if i.target == target] or found
        return ", ".join(sorted({f"{i.distribution} {i.version}" for i in found})) or "distribution unknown"


def handed_over(slot: str, instance: Any) -> PluginRef:
    """The reference of a plugin that reached core code as an object, not by name (named by its class).

    Args:
        slot: The plugin's slot.
        instance: The plugin object; its entry point (and so its distribution) is found by its class.
    """
    return PluginRef(slot, type(instance).__name__, instance)


@contextlib.contextmanager
def as_assertion() -> Iterator[None]:
    """Turns a :class:`PluginOutputError` into an ``AssertionError`` with the same text.

    The contract kits (:mod:`archgen.testing`) fail with ``AssertionError``; wrapped in this, they
    run the very checks the pipeline runs.
    """
    try:
        yield
    except PluginOutputError as error:
        raise AssertionError(str(error)) from None


class _Broken(Exception):
    """One rule broken (internal: the public functions raise :class:`PluginOutputError`)."""


def _type_name(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


# -- generators ------------------------------------------------------------------------------------
def check_sample_batch(
    batch: Any, space: TensorForm, *, n: int, seed: int, plugin: PluginRef | str,
    sampling_model: type[BaseModel] | None = None,
) -> SampleBatch:
    """Checks what ``generator.sample(space, n, seed=seed)`` returned.

    Rules: a :class:`SampleBatch`; ``well_formed`` a bool array of ``n`` rows; ``adjacency``
    ``[n, N, N]`` integers (or bool) holding only 0 and 1, strictly upper triangular; ``op_indices``
    ``[n, N]`` integers in ``-1..K-1`` (``K`` ops in the vocabulary; ``-1`` marks padding); a row that
    is not well formed carries no graph (no edge, every op 0 or -1: ``samples.jsonl`` stores no graph
    for it, so anything there would be dropped silently); the seed recorded is the seed asked; the
    tokens and sampling options are JSON-ready, the latter valid for ``sampling_model``.

    Args:
        batch: The returned value.
        space: The space sampled (its ``max_nodes`` and ``op_vocabulary``).
        n: Samples asked for.
        seed: Seed asked for.
        plugin: Who returned it (a :class:`PluginRef`, or the kits' description of the call).
        sampling_model: The generator's ``SamplingOptions`` (``None``: not checked).

    Returns:
        ``batch``, its seed a Python ``int``.

    Raises:
        PluginOutputError: Naming the plugin and the first rule broken.
    """
    try:
        if not isinstance(batch, SampleBatch):
            raise _Broken(f"sample() returned {_type_name(batch)}, not an archgen.generation.SampleBatch")
        _check_rows(batch, n)
        m, k = int(space.max_nodes), len(space.op_vocabulary)
        _check_adjacency(batch.adjacency, n, m)
        _check_ops(batch.op_indices, batch.well_formed, n, m, k)
        _check_not_well_formed(batch)
        _check_recorded(batch, seed, sampling_model)
    except _Broken as broken:
        raise PluginOutputError(plugin, "SampleBatch", str(broken)) from None
    return batch if type(batch.seed) is int else replace(batch, seed=int(batch.seed))


def _check_rows(batch: SampleBatch, n: int) -> None:
    mask = batch.well_formed
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim != 1:
        shown = f"{mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise _Broken(f"well_formed must be a bool array of shape ({n},), got {shown}")
    if len(mask) != n:
        raise _Broken(f"it holds {len(mask)} samples, {n} were asked for")


def _first(rows: np.ndarray) -> int:
    return int(np.flatnonzero(rows)[0])


def _check_adjacency(adjacency: Any, n: int, m: int) -> None:
    if not isinstance(adjacency, np.ndarray):
        raise _Broken(f"adjacency is {_type_name(adjacency)}, not a numpy array")
    if adjacency.shape != (n, m, m):
        raise _Broken(f"adjacency shape {adjacency.shape}, expected {(n, m, m)} ([n, N, N], N = the space's max_nodes)")
    if not (adjacency.dtype == np.bool_ or np.issubdtype(adjacency.dtype, np.integer)):
        raise _Broken(f"adjacency dtype {adjacency.dtype}, expected integers (0/1) or bool")
    flat = adjacency.reshape(n, m * m)
    if adjacency.dtype != np.bool_:
        # One pass: an unsigned view turns negative values into large ones, so "> 1" finds both.
        bad = flat.view(f"u{flat.dtype.itemsize}") > 1
        if bad.any():
            row = _first(bad.any(1))
            value = flat[row][bad[row]][0]
            raise _Broken(f"adjacency[{row}] holds {value} (adjacency must be 0/1)")
    diagonal, below = _diagonal_and_below(m)
    for part, where in ((diagonal, "on"), (below, "below")):
        edges = flat[:, part].any(1)
        if edges.any():
            raise _Broken(f"adjacency[{_first(edges)}] has an edge {where} the diagonal (adjacency must be strict upper triangular)")


def _diagonal_and_below(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of an ``m x m`` matrix's diagonal and of its entries below it."""
    rows, cols = np.indices((m, m)).reshape(2, -1)
    return np.flatnonzero(rows == cols), np.flatnonzero(rows > cols)


def _check_ops(ops: Any, well_formed: np.ndarray, n: int, m: int, k: int) -> None:
    if not isinstance(ops, np.ndarray):
        raise _Broken(f"op_indices is {_type_name(ops)}, not a numpy array")
    if ops.shape != (n, m):
        raise _Broken(f"op_indices shape {ops.shape}, expected {(n, m)} ([n, N], N = the space's max_nodes)")
    if not np.issubdtype(ops.dtype, np.integer):
        raise _Broken(f"op_indices dtype {ops.dtype}, expected integers")
    bad = ((ops < -1) | (ops >= k)) & well_formed[:, None]
    if bad.any():
        row = _first(bad.any(1))
        raise _Broken(
            f"op index out of range -1..{k - 1} in op_indices[{row}]: {ops[row][bad[row]][0]} "
            f"(the space has {k} ops; -1 marks padding)"
        )


def _check_not_well_formed(batch: SampleBatch) -> None:
    rows = ~batch.well_formed
    if not rows.any():
        return
    edges = batch.adjacency.reshape(len(rows), -1).any(1) & rows
    if edges.any():
        row = _first(edges)
        raise _Broken(
            f"adjacency[{row}] has edges but well_formed[{row}] is False (a sample that is not well formed "
            "carries no graph: samples.jsonl stores none for it)"
        )
    ops = ((batch.op_indices != 0) & (batch.op_indices != -1)).any(1) & rows
    if ops.any():
        row = _first(ops)
        raise _Broken(
            f"op_indices[{row}] holds ops but well_formed[{row}] is False (a sample that is not well formed "
            "carries no graph: its ops must be 0 or -1)"
        )


_SCALARS = frozenset({int, float, str, bool, type(None)})


def _plainly_json(tokens: list[Any] | None) -> bool:
    """Whether ``tokens`` is None or a list of scalars or flat lists of scalars (the usual shapes), by type alone.

    A fast path only: ``json.dumps`` of 10,000 code lists costs a few per cent of drawing them;
    collecting their types with C-level ``map`` costs a third of that. Anything else (nested,
    numpy values, objects) goes to ``json.dumps``, which decides.
    """
    if tokens is None:
        return True
    outer = set(map(type, tokens))
    if outer <= _SCALARS:
        return True
    if outer <= {list, type(None)}:
        return set(map(type, itertools.chain.from_iterable(filter(None, tokens)))) <= _SCALARS
    return False


def _check_recorded(batch: SampleBatch, seed: int, sampling_model: type[BaseModel] | None) -> None:
    recorded = batch.seed
    if isinstance(recorded, bool) or not isinstance(recorded, (int, np.integer)):
        raise _Broken(f"the recorded seed is {_type_name(recorded)} ({recorded!r}), not an int")
    if int(recorded) != seed:
        raise _Broken(f"it records seed {int(recorded)}, seed {seed} was asked for")
    if batch.tokens is not None and not isinstance(batch.tokens, list):
        raise _Broken(f"tokens is {_type_name(batch.tokens)}, expected a list (one entry per sample) or None")
    if not _plainly_json(batch.tokens):
        try:
            json.dumps(batch.tokens)
        except (TypeError, ValueError) as error:
            raise _Broken(f"the tokens are not JSON-ready ({error}); use {_JSON_TYPES}") from None
    if not isinstance(batch.sampling, dict):
        raise _Broken(f"the recorded sampling options are {_type_name(batch.sampling)}, expected a dict")
    try:
        json.dumps(batch.sampling)
        if sampling_model is not None:
            sampling_model.model_validate(batch.sampling)
    except Exception as error:  # noqa: BLE001 - any failure here is the finding
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _Broken(
            f"the recorded sampling options {batch.sampling!r} must be JSON-ready and valid SamplingOptions ({first_line})"
        ) from None


# -- predictors ------------------------------------------------------------------------------------
def check_predictions(predictions: Any, count: int, *, plugin: PluginRef | str) -> np.ndarray:
    """Checks what ``predictor.predict(space, archs)`` returned for ``count`` architectures.

    Rules: an array (numpy, or a tensor, which is moved to the CPU) of shape ``[count]``, of
    floats, every one finite.

    Returns:
        The predictions as a float64 numpy array.

    Raises:
        PluginOutputError: Naming the plugin and the first rule broken.
    """
    try:
        if hasattr(predictions, "detach"):
            predictions = predictions.detach().cpu().numpy()
        if not isinstance(predictions, np.ndarray):
            raise _Broken(f"predict() returned {_type_name(predictions)}, expected a numpy array of shape ({count},)")
        if predictions.shape != (count,):
            raise _Broken(f"predictions shape {predictions.shape}, expected ({count},) (one per architecture)")
        if not np.issubdtype(predictions.dtype, np.floating):
            raise _Broken(f"predictions dtype {predictions.dtype}, expected floats")
        finite = np.isfinite(predictions)
        if not finite.all():
            row = _first(~finite)
            raise _Broken(
                f"prediction[{row}] is {predictions[row]} ({int((~finite).sum())} non-finite values; predictions must be finite)"
            )
    except _Broken as broken:
        raise PluginOutputError(plugin, "Predictor", str(broken)) from None
    return predictions.astype(np.float64, copy=False)


# -- statistics and search results -----------------------------------------------------------------
def check_statistics(stats: Any, *, plugin: PluginRef | str, what: str = "fit() statistics") -> dict[str, Any]:
    """Checks a statistics dict a plugin returned (``fit`` of a generator or predictor).

    Rules: a dict with str keys whose values are JSON-ready (numbers, strings, booleans, None,
    lists and dicts with str keys, however nested); numpy scalars count as the Python numbers
    they hold. An array is not a statistic (``.tolist()`` it if it is one).

    Args:
        stats: The returned value.
        plugin: Who returned it.
        what: What it is, for the message.

    Returns:
        A JSON-ready copy, numpy scalars converted.

    Raises:
        PluginOutputError: Naming the plugin, the key and why it is not JSON-serialisable.
    """
    try:
        if not isinstance(stats, dict):
            raise _Broken(f"{what} are {_type_name(stats)}, expected a dict with str keys")
        return _json_ready(stats, "statistics", arrays=False, depth=0)
    except _Broken as broken:
        raise PluginOutputError(plugin, "statistics", f"{what}: {broken}") from None


def check_search_result(result: Any, *, plugin: PluginRef | str) -> Any:
    """Checks what ``searcher.search(...)`` returned (stored in ``trial-<seed>.json`` as its statistics).

    Rules: JSON-ready once numpy scalars and arrays are converted to Python numbers and lists
    (``None`` and a dict of statistics are the usual answers); anything else is refused rather
    than stored as its ``repr``.

    Returns:
        The JSON-ready value.

    Raises:
        PluginOutputError: Naming the plugin, where in the value, and what it is.
    """
    try:
        return _json_ready(result, "search()", arrays=True, depth=0)
    except _Broken as broken:
        raise PluginOutputError(plugin, "Searcher", f"the value search() returned is not JSON-ready: {broken}") from None


def _json_ready(value: Any, path: str, *, arrays: bool, depth: int) -> Any:
    """``value`` with numpy scalars (and, with ``arrays``, arrays) converted; :class:`_Broken` otherwise."""
    if depth > MAX_DEPTH:
        raise _Broken(f"{path} nests deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (str, bool)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, np.ndarray) and arrays:
        return _json_ready(value.tolist(), path, arrays=arrays, depth=depth + 1)
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, f"{path}[{i}]", arrays=arrays, depth=depth + 1) for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad = next((key for key in value if not isinstance(key, str)), None)
        if bad is not None:
            raise _Broken(f"{path} has the key {bad!r} ({type(bad).__name__}); JSON keys are str")
        return {str(k): _json_ready(v, f"{path}[{k!r}]", arrays=arrays, depth=depth + 1) for k, v in value.items()}
    kind = "a numpy array" if isinstance(value, np.ndarray) else f"a {type(value).__name__} object"
    raise _Broken(f"{path} is {kind}, not JSON-serialisable (use {_JSON_TYPES})")
