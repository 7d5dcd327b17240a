"""Where third-party data (benchmark tables, checkpoints) lives on this machine.

archgen ships no data: ``../shared/data/<folder>/`` (each folder with a PROVENANCE.md) or the
folder ``$ARCHGEN_SHARED_DATA`` names holds it. Tests, the timing scripts in ``benchmarks/`` and
users' own scripts all look it up here, so there is one rule for where it is.
"""

from __future__ import annotations

import os
from pathlib import Path


def shared_data_path(*parts: str) -> Path | None:
    """Where third-party benchmark data lives, or ``None`` when it is absent.

    Looks in ``$ARCHGEN_SHARED_DATA`` first, then in ``../shared/data`` beside
    the current working directory (the layout of an archgen checkout).

    Args:
        *parts: Path components below the data folder.
    """
    roots = [os.environ.get("ARCHGEN_SHARED_DATA"), str(Path.cwd().parent / "shared" / "data")]
    for root in roots:
        if root and (Path(root).joinpath(*parts)).exists():
            return Path(root).joinpath(*parts)
    return None
