"""Staging a command's run: build it in a hidden folder beside the run, rename it into place on success.

Every command builds its result in a hidden staging folder beside the run and
renames it into place only when complete (:class:`StagedRun`), so an
interrupted or failed command never changes an earlier result; every file is
also written atomically. docs/reliability.md states the guarantees. The run
directory's files themselves are :mod:`archgen.runs.layout`'s.
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

from archgen.errors import RunDirectoryError
from archgen.plain_names import check_run_name
from archgen.runs.layout import MARKER, RunDirectory, is_run

# Re-exported: the CLI, search and existing callers import them from here.
__all__ = ["MARKER", "RunDirectory", "StagedRun", "check_run_name", "is_run", "link_tree", "sweep_stale"]


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
