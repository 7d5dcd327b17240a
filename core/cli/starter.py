"""``archgen init``: an editable copy of the registry and the example configs archgen ships.

The files land as they lie in a checkout -- ``FOLDER/registry.toml`` and ``FOLDER/examples/...`` --
so every relative path in them keeps its meaning: runs go to ``FOLDER/runs``, and third-party data
is looked up in ``$ARCHGEN_SHARED_DATA``, else in ``FOLDER/../shared/data``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from archgen.atomic import write_bytes
from archgen.config import DEFAULT_REGISTRY, packaged_file
from archgen.errors import ConfigError

#: The packaged folder of example configs, copied with its sub-folders.
EXAMPLES = "examples"


def starter_files() -> list[PurePosixPath]:
    """The packaged files ``archgen init`` writes, relative to the folder it writes them in."""
    found = []
    pending = [PurePosixPath(EXAMPLES)]
    while pending:
        folder = pending.pop()
        for entry in packaged_file(*folder.parts).iterdir():
            if entry.is_dir():
                pending.append(folder / entry.name)
            elif entry.name.endswith(".toml"):
                found.append(folder / entry.name)
    return [PurePosixPath(DEFAULT_REGISTRY), *sorted(found)]


def write_starter_files(folder: Path, *, force: bool = False) -> list[Path]:
    """Writes the registry and the example configs into ``folder`` (created if need be).

    Args:
        folder: Where ``registry.toml`` and ``examples/`` go.
        force: Replace files of the same names; other files in ``folder`` are never touched.

    Returns:
        The paths written, ``registry.toml`` first.

    Raises:
        ConfigError: If ``folder`` is a file, or (without ``force``) one of the files exists;
            nothing is written then.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{str(folder)!r} is a file, not a folder")
    relative = starter_files()
    existing = [folder.joinpath(*path.parts) for path in relative if folder.joinpath(*path.parts).exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more of the {len(relative)} files it writes)" if len(existing) > 1 else ""
        raise ConfigError(f"{str(existing[0])!r} already exists{more}; pass --force to replace them")
    written = []
    for path in relative:
        target = folder.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_bytes(target, packaged_file(*path.parts).read_bytes()))
    return written
