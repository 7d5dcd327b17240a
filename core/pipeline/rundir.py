"""The run directory ``runs/<name>/`` and its files.

Layout::

    config.json            resolved configuration (plugins, options, seeds)
    split.npz              indices of the training / held-out split
    checkpoints/seed-<s>/  vqvae.pt, prior.pt, training.json
    samples.jsonl          one generated architecture a line (native string format)
    distinct.jsonl         n distinct valid architectures per seed (archgen generate --distinct)
    metrics.json           per-seed and aggregated figures
    report.md              the results tables
    sweep.json, sweep.png  temperature sweep (archgen sweep)

Every command builds its result in a hidden staging folder beside the run and
renames it into place only when complete (:class:`StagedRun`), so an
interrupted or failed command never changes an earlier result; every file is
also written atomically. docs/reliability.md states the guarantees.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import atomic_path, write_json
from archgen.errors import ConfigError, RunDirectoryError


class RunDirectory:
    """Paths and readers/writers of one run directory.

    Args:
        path: The run directory.
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
        return self.path / "checkpoints" / f"seed-{seed}"

    # -- config and split ---------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        """The resolved configuration written by ``archgen train``.

        Raises:
            RunDirectoryError: If the run or its config does not exist.
        """
        if not self.config_file.is_file():
            raise RunDirectoryError(
                f"no run at {str(self.shown)!r} (missing config.json); create it with 'archgen train' or 'archgen run'"
            )
        try:
            return json.loads(self.config_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunDirectoryError(f"{self.describe(self.config_file)} is corrupt: {error}") from None

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
        path = self.path / name
        if not path.is_file():
            raise RunDirectoryError(f"{self.describe(path)} not found; {hint}")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunDirectoryError(f"{self.describe(path)} is corrupt: {error}") from None


#: The file that marks a folder as an archgen run; ``--overwrite`` replaces nothing without it.
MARKER = ".archgen-run"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+=@-]{0,199}$")


def check_run_name(name: str) -> str:
    """Accepts a plain run name: a folder name under ``runs_dir``, never a path.

    Raises:
        ConfigError: For an empty name, a path (``/``, ``..``), a hidden name or odd characters.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        shown = name if len(str(name)) <= 80 else str(name)[:77] + "..."
        raise ConfigError(
            f"bad run name {shown!r}: a run name is a plain folder name of letters, digits and . _ + = @ - "
            "(not starting with a dot, no '/', at most 200 characters); use --run-dir for an explicit path"
        )
    return name


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(parent: Path) -> list[Path]:
    """Removes staging folders of dead processes; puts back a run a killed swap had set aside.

    Staging and set-aside folders are named ``.<name>.<pid>.*``; a folder whose
    process no longer exists is stale. A set-aside run (``.<name>.<pid>.old/run``)
    whose name is vacant is restored, never deleted.

    Returns:
        The folders removed or restored.
    """
    touched: list[Path] = []
    if not parent.is_dir():
        return touched
    for folder in parent.iterdir():
        match = re.fullmatch(r"\.(.+)\.(\d+)\.([^.]*\.)?(staging|old)", folder.name)
        if match is None or not folder.is_dir() or _alive(int(match.group(2))):
            continue
        name, kind = match.group(1), match.group(4)
        if kind == "old" and (folder / "run").is_dir() and not (parent / name).exists():
            (folder / "run").rename(parent / name)
        shutil.rmtree(folder, ignore_errors=True)
        touched.append(folder)
    return touched


class StagedRun:
    """Builds or updates a run in a staging folder and moves it into place on success.

    Every command works this way: ``train``/``run`` start from an empty folder,
    ``generate``/``evaluate``/``sweep`` from a copy of the existing run (hard
    links: every archgen write replaces a file, so the original is never
    modified). The run's name is locked for the command's whole duration, so a
    concurrent command on the same name fails at once instead of overwriting.
    A failure or a signal removes the staging folder and leaves the earlier run
    byte-identical; a SIGKILL leaves a staging folder that the next command
    sweeps (:func:`sweep_stale`).

    Args:
        path: The final run directory.
        overwrite: Replace an existing run (only once the new one is complete, and
            only if the folder is an archgen run).
        update: Start from the existing run at ``path`` (it must exist).

    Raises:
        RunDirectoryError: If ``path`` exists and neither ``overwrite`` nor ``update``
            is set, if ``overwrite`` would replace a folder that is not an archgen run,
            or if another process holds the run's lock.
    """

    def __init__(self, path: str | Path, overwrite: bool = False, update: bool = False):
        self.final = Path(path)
        self.overwrite, self.update = overwrite, update
        self.final.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(self.final.parent)
        self._lock = _lock(self.final)
        try:
            self._check_target()
            self.staging = Path(
                tempfile.mkdtemp(prefix=f".{self.final.name}.{os.getpid()}.", suffix=".staging", dir=self.final.parent)
            )
            os.chmod(self.staging, 0o777 & ~_umask())
            if update:
                link_tree(self.final, self.staging)
            (self.staging / MARKER).write_text(json.dumps({"format": "archgen.run/1"}) + "\n", encoding="utf-8")
        except BaseException:
            self._lock.close()
            raise

    def _check_target(self) -> None:
        exists = self.final.exists() or self.final.is_symlink()
        if self.update:
            if not exists or not is_run(self.final):
                raise RunDirectoryError(f"no run at {str(self.final)!r}; create it with 'archgen train' or 'archgen run'")
            return
        if exists and not self.overwrite:
            raise RunDirectoryError(
                f"run directory {str(self.final)!r} already exists; pick another --name or pass --overwrite"
            )
        if exists and (self.final.is_symlink() or not self.final.is_dir() or not is_run(self.final)):
            raise RunDirectoryError(
                f"{str(self.final)!r} is not an archgen run (no {MARKER} marker or run config.json); "
                "--overwrite replaces only archgen runs"
            )

    def __enter__(self) -> RunDirectory:
        return RunDirectory(self.staging)

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        try:
            if kind is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                return
            self._commit()
        finally:
            self._lock.close()

    def _commit(self) -> None:
        if self.final.exists():
            if not (self.overwrite or self.update):
                # Only reachable if something outside archgen created the folder meanwhile.
                kept = _vacant(self.final)
                self.staging.rename(kept)
                raise RunDirectoryError(
                    f"{str(self.final)!r} appeared while this run was built; kept it and saved this run as {str(kept)!r}"
                )
            # Swap in two renames so the old run disappears only after the new one is complete;
            # a SIGKILL between them leaves it in .<name>.<pid>.old/run, which sweep_stale restores.
            trash = self.final.parent / f".{self.final.name}.{os.getpid()}.old"
            trash.mkdir()
            self.final.rename(trash / "run")
            self.staging.rename(self.final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            self.staging.rename(self.final)


def _lock(final: Path) -> Any:
    """Holds an exclusive lock on ``.<name>.lock`` beside the run (released when the process dies)."""
    path = final.parent / f".{final.name}.lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the command's duration
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise RunDirectoryError(
            f"run {str(final)!r} is in use by {owner}; wait for it to finish or pick another --name"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle


def link_tree(source: Path, target: Path) -> None:
    """Mirrors ``source`` into ``target`` with hard links (copies where links are impossible)."""
    for folder, dirs, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in dirs:
            (target / relative / name).mkdir(exist_ok=True)
        for name in files:
            src, dst = Path(folder) / name, target / relative / name
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)


def _vacant(final: Path) -> Path:
    for k in range(2, 10_000):
        candidate = final.with_name(f"{final.name}-{k}")
        if not candidate.exists():
            return candidate
    raise RunDirectoryError(f"no free name beside {str(final)!r}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
