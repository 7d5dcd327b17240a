"""The per-user cache folder archgen keeps derived files in (enumerations, converted tables)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str, override: str | os.PathLike[str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/archgen/<parts...>``, else ``~/.cache/archgen/<parts...>``.

    The folder is not created: writers create it (atomically, through
    :mod:`archgen.atomic`) only when they have something to keep.

    Args:
        *parts: Sub-folders below the archgen cache folder (e.g. ``"<space>-benchmark"``).
        override: A folder the user configured instead (a space's ``cache_dir``
            option); returned as given, ``parts`` not appended.

    Returns:
        The folder.
    """
    if override is not None:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "archgen", *parts)
