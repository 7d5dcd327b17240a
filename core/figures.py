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


def legend_outside(axis: Any, **kwargs: Any) -> Any:
    """The axis's legend to the right of its data area, so that no entry hides a curve.

    Args:
        axis: A matplotlib ``Axes`` with labelled artists.
        **kwargs: Passed to ``axis.legend`` (e.g. ``fontsize``, ``title``).

    Returns:
        The ``Legend``; :func:`save_figure`'s tight layout shrinks the axes to make room for it.
    """
    return axis.legend(**{"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0, "fontsize": 7, **kwargs})


def clipped_band(axis: Any, x: Any, low: Any, high: Any, limits: tuple[float, float], **kwargs: Any) -> Any:
    """``fill_between`` with both edges clipped to ``limits``, the y-limits the axis will show.

    A ± std band around a mean near a bound (accuracy near its maximum, a rate near 0) would
    otherwise run off the plot, which reads as a spread the data cannot have.

    Returns:
        The ``PolyCollection`` of the band.
    """
    import numpy as np

    lower, upper = limits
    return axis.fill_between(x, np.clip(np.asarray(low, dtype=float), lower, upper),
                             np.clip(np.asarray(high, dtype=float), lower, upper), **kwargs)
