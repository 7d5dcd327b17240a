"""The run directory ``runs/<name>/`` on disk: where each file lives, and its checked readers and writers.

Layout::

    .archgen-run           marker: this folder is an archgen run
    config.json            resolved configuration (plugins, options, seeds)
    split.npz              indices of the training / held-out split
    checkpoints/seed-<s>/  vqvae.pt, prior.pt, training.json
    samples.jsonl          one generated architecture a line (native string format)
    distinct.jsonl         n distinct valid architectures per seed (archgen generate --distinct)
    metrics.json           per-seed and aggregated figures
    report.md              the results tables
    sweep.json, sweep.png  temperature sweep (archgen sweep)
    analysis/              archgen analyze's figures

Every file is written atomically; how commands stage a whole run is
:mod:`archgen.pipeline.rundir`'s business, not this module's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import atomic_path, write_json
from archgen.errors import RunConfigError, RunDirectoryError, RunNotFoundError

#: The file that marks a folder as an archgen run; ``--overwrite`` replaces nothing without it.
MARKER = ".archgen-run"
#: The folder of the per-seed checkpoint folders.
CHECKPOINTS = "checkpoints"


class RunDirectory:
    """Paths and readers/writers of one run directory.

    Args:
        path: The run directory.
        shown: Where the run lives for the user (its final place while a command stages it).
    """

    def __init__(self, path: str | Path, shown: str | Path | None = None):
        self.path = Path(path)
        #: Where the run lives for the user (its final place while a command stages it).
        self.shown = Path(shown) if shown is not None else self.path

    def describe(self, file: str | Path) -> str:
        """``file`` as the user knows it: under the run's final place, quoted."""
        try:
            return repr(str(self.shown / Path(file).relative_to(self.path)))
        except ValueError:
            return repr(str(file))

    # -- paths ----------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.path / "config.json"

    @property
    def split_file(self) -> Path:
        return self.path / "split.npz"

    @property
    def samples_file(self) -> Path:
        return self.path / "samples.jsonl"

    @property
    def distinct_file(self) -> Path:
        return self.path / "distinct.jsonl"

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.json"

    @property
    def report_file(self) -> Path:
        return self.path / "report.md"

    def checkpoint_dir(self, seed: int) -> Path:
        """``checkpoints/seed-<seed>/``: one replicate's trained state (whether or not it exists)."""
        return self.path / CHECKPOINTS / f"seed-{seed}"

    # -- config and split ---------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        """The raw JSON of ``config.json`` (:func:`archgen.runs.run_config.read_run_config` checks its shape).

        Raises:
            RunNotFoundError: If the run or its config does not exist.
            RunConfigError: If the file is not JSON text.
        """
        if not self.config_file.is_file():
            raise RunNotFoundError(
                f"no run at {str(self.shown)!r} (missing config.json); create it with 'archgen train' or 'archgen run'"
            )
        try:
            return json.loads(self.config_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunConfigError(f"{self.describe(self.config_file)} is corrupt: {error}") from None

    def write_split(self, train: np.ndarray, heldout: np.ndarray) -> None:
        with atomic_path(self.split_file) as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, train=train, heldout=heldout)

    def read_split(self, total: int) -> tuple[np.ndarray, np.ndarray]:
        """The training and held-out indices, checked against the ``total`` architectures of the run.

        Raises:
            RunDirectoryError: If the file is missing, truncated or not a zip, lacks an
                array, or its indices are not integers, repeat, overlap, fall outside
                ``0..total-1`` or do not cover every architecture.
        """
        where = self.describe(self.split_file)
        try:
            with np.load(self.split_file, allow_pickle=False) as data:
                missing = [name for name in ("train", "heldout") if name not in data.files]
                if missing:
                    raise RunDirectoryError(f"{where} lacks the array {missing[0]!r}; re-create the run")
                train, heldout = data["train"], data["heldout"]
        except FileNotFoundError:
            raise RunDirectoryError(f"{where} not found; re-create the run with 'archgen train'") from None
        except RunDirectoryError:
            raise
        except Exception as error:  # noqa: BLE001 - zipfile/numpy raise many types for a damaged file
            raise RunDirectoryError(f"{where} is corrupt ({type(error).__name__}); re-create the run") from None
        for name, array in (("train", train), ("heldout", heldout)):
            if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
                raise RunDirectoryError(f"{where}: {name} must be a 1-D integer array, got {array.dtype} {array.shape}")
            if len(array) and (array.min() < 0 or array.max() >= total):
                raise RunDirectoryError(f"{where}: {name} index out of range 0..{total - 1}")
        both = np.concatenate([train, heldout]).astype(np.int64)
        if len(np.unique(both)) != len(both):
            raise RunDirectoryError(f"{where}: an index is repeated (within or across train/heldout)")
        if len(both) != total:
            raise RunDirectoryError(
                f"{where} covers {len(both)} architectures, but the space now yields {total}; re-create the run"
            )
        return train.astype(np.int64), heldout.astype(np.int64)

    def write_json(self, name: str, value: Any) -> Path:
        return write_json(self.path / name, value)

    def read_json(self, name: str, hint: str) -> Any:
        """A JSON file of the run.

        Args:
            name: Its path inside the run.
            hint: What to do when it is missing (ends the error message).

        Raises:
            RunDirectoryError: If it is missing or not JSON text.
        """
        path = self.path / name
        if not path.is_file():
            raise RunDirectoryError(f"{self.describe(path)} not found; {hint}")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunDirectoryError(f"{self.describe(path)} is corrupt: {error}") from None


def is_run(path: Path) -> bool:
    """Whether ``path`` is an archgen run: it holds the marker, or (runs made before the
    marker existed) a ``config.json`` with archgen's top-level sections."""
    if (path / MARKER).is_file():
        return True
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and {"run", "space", "seeds_trained"} <= set(config)
