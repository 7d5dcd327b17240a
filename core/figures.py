"""Writing matplotlib figures: headless, and atomically, like every other run file.

Every command that draws (sweep, predict, search, the analyses) runs where there may be no
display, and a reader of a run folder must never find half a PNG. matplotlib is imported only
when a figure is drawn, so commands that draw nothing never pay for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from archgen.atomic import atomic_path


def headless_pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend, which needs no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Lays ``figure`` out tightly, writes it to ``path`` as a PNG atomically, and closes it.

    Args:
        figure: A ``matplotlib.figure.Figure`` from :func:`headless_pyplot`.
        path: The ``.png`` file; its folder is created if missing.

    Returns:
        ``path``.
    """
    plt = headless_pyplot()
    try:
        figure.tight_layout()
        with atomic_path(path) as temporary:
            # The temporary name does not end in .png, so the format is named.
            figure.savefig(temporary, format="png")
    finally:
        plt.close(figure)  # pyplot keeps every open figure alive until it is closed
    return Path(path)
