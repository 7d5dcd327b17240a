"""The official NAS-Bench-201 / NATS-Bench topology files, read without their API.

Three layouts hold the same per-architecture records:

* ``NAS-Bench-201-v1_0-e61699.pth`` / ``NAS-Bench-201-v1_1-096897.pth``: one
  ``torch.save``d dict ``{'meta_archs': [arch_str, ...], 'arch2infos': {index:
  {'less': ArchResults-state, 'full': ArchResults-state}}, 'evaluated_indexes':
  [...], ...}`` ('less' = the 12-epoch schedule, 'full' = 200 epochs).
  Source: D-X-Y/NAS-Bench-201 ``nas_201_api/api_201.py`` (``NASBench201API.__init__``).
* ``NATS-tss-v1_0-3ffb9.pickle.pbz2``: a bz2-compressed pickle of the same
  dict, except that ``arch2infos[index]`` is keyed by the schedule (``'12'``,
  ``'200'``). Source: D-X-Y/NATS-Bench ``nats_bench/api_topology.py``
  (``NATStopology.__init__``) and ``nats_bench/api_utils.py`` (``pickle_load``).
* ``NATS-tss-v1_0-3ffb9-simple/`` (or ``-full/``), the "fast mode" folder:
  ``meta.pickle.pbz2`` holds ``{'meta_archs': [...]}`` and each
  ``{index:06d}.pickle.pbz2`` (or ``{index}.pickle.pbz2``) one
  ``{schedule: ArchResults-state}``. Source: ``nats_bench/api_utils.py``
  (``NASBenchMetaAPI.reload``).

An ArchResults state is ``{'arch_index', 'arch_str', 'all_results': {(dataset,
seed): ResultsCount-state}, 'dataset_seed': {dataset: [seed, ...]},
'clear_net_done'}``; a ResultsCount state holds ``'epochs'``, ``'flop'``,
``'params'``, ``'latency'`` (a list of seconds) and ``'eval_acc1es'`` keyed
``'<eval set>@<epoch>'`` (source: ``api_utils.py``, ``ArchResults.state_dict``
and ``ResultsCount.__init__``).

The figures extracted are those of the official ``get_more_info(index,
dataset, hp=..., is_random=False)``: the final epoch (``epochs - 1``) of each
trial, averaged with ``np.mean`` over the dataset's seeds (``ArchResults.get_metrics``),
and FLOPs/params/latency averaged the same way (``ArchResults.get_compute_costs``).

These files are user-supplied pickles, so nothing here runs arbitrary code:
they are read with :func:`archgen.io.load_torch` (``weights_only=True``) and
:func:`archgen.io.load_pickle`, which resolves only plain containers and number
types (trained weights, which the ``-full`` folder carries, are dropped unread).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archgen.errors import DataFileError
from archgen.io import load_pickle, load_torch
from archgen.progress import progress

#: (dataset tag, split or cost, epochs or ``None`` for costs), e.g. ``("cifar10", "test", 200)``.
MetricKey = tuple[str, str, "int | None"]

#: archgen's tag for each official dataset name (lower case, no capitals to remember).
DATASET_TAGS: Mapping[str, str] = {
    "cifar10-valid": "cifar10-valid",
    "cifar10": "cifar10",
    "cifar100": "cifar100",
    "ImageNet16-120": "imagenet16-120",
}

#: The evaluation set behind each (dataset, split), as ``get_more_info`` reads it:
#: cifar10-valid is trained on train and validated on x-valid (its test is ori-test);
#: cifar10 is trained on train+valid and only has ori-test; cifar100 and
#: ImageNet16-120 split their test set into x-valid and x-test.
#: Source: D-X-Y/NAS-Bench-201 nas_201_api/api_201.py, NASBench201API.get_more_info.
EVAL_SETS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "cifar10-valid": (("valid", "x-valid"), ("test", "ori-test")),
    "cifar10": (("test", "ori-test"),),
    "cifar100": (("valid", "x-valid"), ("test", "x-test")),
    "ImageNet16-120": (("valid", "x-valid"), ("test", "x-test")),
}

_NATS_EXTENSION = "pickle.pbz2"
_ARCH_FILE = re.compile(r"^(\d+)\.pickle\.pbz2$")


@dataclass(frozen=True)
class OfficialRecords:
    """What one official file says, before archgen names the metrics.

    Attributes:
        arch_strs: ``meta_archs``: the official string of every index, in index order.
        metrics: One array of ``len(arch_strs)`` per metric (NaN where not evaluated).
    """

    arch_strs: tuple[str, ...]
    metrics: dict[MetricKey, np.ndarray]


# -- ArchResults -> metrics -----------------------------------------------------------------------


def summarize_arch_results(state: Mapping[str, Any]) -> dict[MetricKey, float]:
    """Final-epoch, mean-over-seeds figures of one ArchResults state dict.

    Args:
        state: ``ArchResults.state_dict()`` of one architecture under one schedule.

    Returns:
        ``(tag, split, epochs) -> accuracy`` for every evaluation set present in
        every trial, and ``(tag, 'flops'|'params'|'latency', None) -> mean``.
        Datasets other than the four of NAS-Bench-201 are ignored.

    Raises:
        KeyError, TypeError, ValueError: If the state lacks a field or has the wrong shape
            (the callers name the file and index).
    """
    figures: dict[MetricKey, float] = {}
    all_results = state["all_results"]
    for dataset, seeds in state["dataset_seed"].items():
        if dataset not in DATASET_TAGS or not seeds:
            continue
        tag = DATASET_TAGS[dataset]
        trials = [all_results[(dataset, seed)] for seed in seeds]
        epochs = int(trials[0]["epochs"])
        for split, eval_set in EVAL_SETS[dataset]:
            # Each trial's own last epoch, as ResultsCount.get_eval(name, iepoch=None) reads it.
            values = [trial["eval_acc1es"].get(f"{eval_set}@{int(trial['epochs']) - 1}") for trial in trials]
            if all(value is not None for value in values):
                figures[(tag, split, epochs)] = float(np.mean(values))
        figures[(tag, "flops", None)] = float(np.mean([trial["flop"] for trial in trials]))
        figures[(tag, "params", None)] = float(np.mean([trial["params"] for trial in trials]))
        # ResultsCount.get_latency: mean of the list, -1 when absent; get_compute_costs keeps the positive ones.
        latencies = [sum(trial["latency"]) / len(trial["latency"]) for trial in trials if trial.get("latency")]
        latencies = [latency for latency in latencies if latency > 0]
        if latencies:
            figures[(tag, "latency", None)] = float(np.mean(latencies))
    return figures


def _merge_schedules(schedules: Mapping[Any, Mapping[str, Any]]) -> dict[MetricKey, float]:
    """One architecture's figures over all its schedules; costs from the longest schedule."""
    merged: dict[MetricKey, float] = {}
    summaries = [summarize_arch_results(state) for state in schedules.values()]
    summaries.sort(key=lambda figures: -max((key[2] or 0 for key in figures), default=0))
    for figures in summaries:
        for key, value in figures.items():
            merged.setdefault(key, value)
    return merged


def _tabulate(
    path: Path,
    arch_strs: Iterable[Any],
    infos: Iterable[tuple[int, Callable[[], Mapping[Any, Mapping[str, Any]]]]],
    total: int | None = None,
) -> OfficialRecords:
    """Builds the metric arrays from ``(index, schedules-getter)`` pairs."""
    names = tuple(arch_strs)
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise DataFileError(f"{path}: meta_archs[{position}] is {type(name).__name__}, expected an arch string")
    metrics: dict[MetricKey, np.ndarray] = {}
    for key, get_schedules in progress(infos, desc=f"reading {path.name}", total=total):
        try:
            index = operator.index(key)  # numpy integers too
        except TypeError:
            index = -1
        if not 0 <= index < len(names):
            raise DataFileError(f"{path}: arch2infos has index {key!r} outside meta_archs (0..{len(names) - 1})")
        try:
            schedules = get_schedules()
            if not isinstance(schedules, Mapping):
                raise TypeError(f"expected a dict of schedules, got {type(schedules).__name__}")
            figures = _merge_schedules(schedules)
        except DataFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as error:
            raise DataFileError(
                f"{path}: record of arch {index} is not an ArchResults state "
                f"({type(error).__name__}: {error})"
            ) from None
        for key, value in figures.items():
            if key not in metrics:
                metrics[key] = np.full(len(names), np.nan)
            metrics[key][index] = value
    return OfficialRecords(names, metrics)


def _tabulate_dict(path: Path, data: Mapping[str, Any]) -> OfficialRecords:
    """Tabulates a whole benchmark dict (``meta_archs`` + ``arch2infos``)."""
    infos = data["arch2infos"]
    pairs = ((index, lambda schedules=schedules: schedules) for index, schedules in infos.items())
    return _tabulate(path, data["meta_archs"], pairs, len(infos))


def _require_benchmark_dict(path: Path, data: Any, what: str) -> None:
    if not isinstance(data, Mapping):
        raise DataFileError(f"{path}: {what} holds a {type(data).__name__}, not the benchmark dict")
    missing = [key for key in ("meta_archs", "arch2infos") if key not in data]
    if missing:
        raise DataFileError(f"{path}: {what} lacks {missing}; found keys {sorted(map(str, data))[:8]}")
    if not isinstance(data["arch2infos"], Mapping):
        raise DataFileError(f"{path}: 'arch2infos' is a {type(data['arch2infos']).__name__}, expected a dict")


# -- the three layouts ----------------------------------------------------------------------------


def read_nb201_pth(path: Path) -> OfficialRecords:
    """Reads ``NAS-Bench-201-v1_*.pth``.

    Raises:
        DataFileError: If torch cannot read it or it is not the benchmark dict.
    """
    data = load_torch(path)
    _require_benchmark_dict(path, data, "the NAS-Bench-201 .pth")
    return _tabulate_dict(path, data)


def read_nats_pickle(path: Path) -> OfficialRecords:
    """Reads the single-file NATS-Bench topology benchmark (``NATS-tss-v1_0-3ffb9.pickle.pbz2``).

    Raises:
        DataFileError: If it is corrupt, names a non-container global, or is a
            per-architecture file of the fast-mode folder.
    """
    data = load_pickle(path, compression="bz2")
    if isinstance(data, Mapping) and "meta_archs" in data and "arch2infos" not in data:
        raise DataFileError(f"{path}: this is the meta file of a NATS fast-mode folder; pass the folder {path.parent}")
    if isinstance(data, Mapping) and "arch2infos" not in data and any(
        isinstance(value, Mapping) and "all_results" in value for value in data.values()
    ):
        raise DataFileError(
            f"{path}: this is one architecture of a NATS fast-mode folder; pass the folder {path.parent}"
        )
    _require_benchmark_dict(path, data, "the NATS pickle")
    return _tabulate_dict(path, data)


def read_plain_pickle(path: Path) -> OfficialRecords:
    """Reads the benchmark dict (either layout) pickled without torch or bz2.

    Raises:
        DataFileError: If it is corrupt, names a non-container global, or is not the benchmark dict.
    """
    data = load_pickle(path)
    _require_benchmark_dict(path, data, "the pickle")
    return _tabulate_dict(path, data)


def is_nats_directory(path: Path) -> bool:
    """Whether ``path`` is a NATS fast-mode folder (it has ``meta.pickle.pbz2``)."""
    return path.is_dir() and (path / f"meta.{_NATS_EXTENSION}").is_file()


def nats_directory_files(path: Path) -> dict[int, Path]:
    """The per-architecture files of a fast-mode folder, by index."""
    files: dict[int, Path] = {}
    for entry in path.iterdir():
        match = _ARCH_FILE.match(entry.name)
        if match:
            files[int(match.group(1))] = entry
    return files


def read_nats_directory(path: Path) -> OfficialRecords:
    """Reads a NATS-Bench topology fast-mode folder (``NATS-tss-v1_0-3ffb9-simple/``).

    Architectures without a file are left NaN (they were not evaluated).

    Raises:
        DataFileError: If the meta file or any per-architecture file is corrupt.
    """
    meta = load_pickle(path / f"meta.{_NATS_EXTENSION}", compression="bz2")
    if not isinstance(meta, Mapping) or "meta_archs" not in meta:
        raise DataFileError(f"{path / f'meta.{_NATS_EXTENSION}'}: lacks 'meta_archs'")
    files = nats_directory_files(path)
    return _tabulate(
        path,
        meta["meta_archs"],
        ((index, lambda f=files[index]: load_pickle(f, compression="bz2")) for index in sorted(files)),
        len(files),
    )
