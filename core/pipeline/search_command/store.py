"""An experiment's files in the run: each commit staged on its own, and the trials already there."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archgen.errors import RunDirectoryError
from archgen.pipeline.rundir import RunDirectory, StagedRun
from archgen.pipeline.search_command.trial import TRIAL_FORMAT


@contextlib.contextmanager
def staged_commit(run_dir: Path, resolved: dict[str, Any]) -> Iterator[RunDirectory]:
    """A staged update of the run, or a new run holding the resolved configuration.

    A search commits each trial on its own, so a killed search keeps the trials
    that finished and leaves the run otherwise as it was.

    Args:
        run_dir: The run's final place.
        resolved: The configuration a new run is created with (``config.json``).
    """
    exists = run_dir.exists()
    with StagedRun(run_dir, update=exists) as run:
        if not exists:
            run.write_json("config.json", resolved)
        yield run


def finished_trials(folder: Path, settings: dict[str, Any], label: str) -> dict[int, dict[str, Any]]:
    """Trials already committed for ``settings``, by seed; an unreadable trial is left out (run again).

    Args:
        folder: The searcher's folder of the experiment.
        settings: The settings the trials must have been run with (``settings.json``).
        label: The searcher's folder name, for messages.

    Raises:
        RunDirectoryError: If the folder holds trials made with other settings, or its
            ``settings.json`` is unreadable.
    """
    settings_file = folder / "settings.json"
    if not settings_file.is_file():
        return {}
    try:
        earlier = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunDirectoryError(f"{settings_file} is unreadable ({error}); pass --overwrite to redo searcher {label!r}") from None
    wanted = json.loads(json.dumps(settings))  # as it reads back from the file
    if earlier != wanted:
        changed = sorted(k for k in set(earlier) | set(wanted) if earlier.get(k) != wanted.get(k))
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
