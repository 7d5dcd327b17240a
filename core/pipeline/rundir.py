"""The run directory ``runs/<name>/`` and its files.

Layout::

    config.json            resolved configuration (plugins, options, seeds)
    split.npz              indices of the training / held-out split
    checkpoints/seed-<s>/  vqvae.pt, prior.pt, training.json
    samples.jsonl          one generated architecture a line (native string format)
    metrics.json           per-seed and aggregated figures
    report.md              the results tables
    sweep.json, sweep.png  temperature sweep (archgen sweep)

A new run is built in a hidden staging folder beside its final place and
renamed into place only when complete, so an interrupted or failed run never
replaces an earlier result; every file is also written atomically.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import atomic_path, write_json
from archgen.errors import RunDirectoryError


class RunDirectory:
    """Paths and readers/writers of one run directory.

    Args:
        path: The run directory.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

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
    def metrics_file(self) -> Path:
        return self.path / "metrics.json"

    @property
    def report_file(self) -> Path:
        return self.path / "report.md"

    def checkpoint_dir(self, seed: int) -> Path:
        return self.path / "checkpoints" / f"seed-{seed}"

    # -- config and split ---------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        """The resolved configuration written by ``archgen train``.

        Raises:
            RunDirectoryError: If the run or its config does not exist.
        """
        if not self.config_file.is_file():
            raise RunDirectoryError(
                f"no run at {str(self.path)!r} (missing config.json); create it with 'archgen train' or 'archgen run'"
            )
        try:
            return json.loads(self.config_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise RunDirectoryError(f"{str(self.config_file)!r} is corrupt: {error}") from None

    def write_split(self, train: np.ndarray, heldout: np.ndarray) -> None:
        with atomic_path(self.split_file) as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, train=train, heldout=heldout)

    def read_split(self) -> tuple[np.ndarray, np.ndarray]:
        try:
            with np.load(self.split_file) as data:
                return data["train"], data["heldout"]
        except (OSError, KeyError, ValueError) as error:
            raise RunDirectoryError(f"{str(self.split_file)!r} is missing or corrupt ({type(error).__name__})") from None

    def write_json(self, name: str, value: Any) -> Path:
        return write_json(self.path / name, value)

    def read_json(self, name: str, hint: str) -> Any:
        path = self.path / name
        if not path.is_file():
            raise RunDirectoryError(f"{str(path)!r} not found; {hint}")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise RunDirectoryError(f"{str(path)!r} is corrupt: {error}") from None


class StagedRun:
    """Builds a run in a staging folder and moves it into place on success.

    Args:
        path: The final run directory.
        overwrite: Replace an existing run (only once the new one is complete).

    Raises:
        RunDirectoryError: If ``path`` exists and ``overwrite`` is False.
    """

    def __init__(self, path: str | Path, overwrite: bool = False):
        self.final = Path(path)
        if self.final.exists() and not overwrite:
            raise RunDirectoryError(
                f"run directory {str(self.final)!r} already exists; pick another --name or pass --overwrite"
            )
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".staging", dir=self.final.parent))

    def __enter__(self) -> RunDirectory:
        return RunDirectory(self.staging)

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        if self.final.exists():
            # Swap in two renames so the old run disappears only after the new one is complete.
            trash = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".old", dir=self.final.parent))
            self.final.rename(trash / "run")
            self.staging.rename(self.final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            self.staging.rename(self.final)
