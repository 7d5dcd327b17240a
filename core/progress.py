"""Progress bars for long steps (tqdm), quiet when asked or under pytest."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T] | None = None, *, desc: str, total: int | None = None, **kwargs: Any) -> Any:
    """A tqdm bar on stderr; disabled when ``ARCHGEN_PROGRESS=0``.

    Args:
        iterable: What to iterate (or ``None`` for a manually updated bar).
        desc: The step's name, shown left of the bar.
        total: Length when ``iterable`` has none.
        **kwargs: Passed to tqdm.
    """
    disable = os.environ.get("ARCHGEN_PROGRESS", "1") == "0"
    return tqdm(iterable, desc=desc, total=total, disable=disable, dynamic_ncols=True, leave=False, **kwargs)
