"""Early stopping: stop once a monitored figure has not improved for ``patience`` epochs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal


@dataclass
class EarlyStopping:
    """Tracks one entry of the epoch logs.

    An epoch improves when its value is strictly better than the best so far; after
    ``patience`` epochs in a row without improvement, :meth:`update` says stop. A NaN never
    improves.

    Attributes:
        monitor: The logs key to watch (e.g. ``"validation_reconstruction"``).
        patience: Epochs without improvement tolerated (>= 1).
        mode: ``"min"`` (lower is better) or ``"max"``.
        best: The best value seen.
        best_epoch: The epoch that reached it (0 before any).
        stale: Epochs since the last improvement.
    """

    monitor: str
    patience: int
    mode: Literal["min", "max"] = "min"
    best: float = field(init=False)
    best_epoch: int = field(init=False, default=0)
    stale: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.patience < 1:
            raise ValueError(f"patience must be >= 1, got {self.patience}")
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")
        self.best = math.inf if self.mode == "min" else -math.inf

    def update(self, epoch: int, logs: dict[str, float]) -> bool:
        """Records ``epoch``'s logs; returns whether training should stop now.

        Raises:
            KeyError: If the logs lack :attr:`monitor` (a misnamed monitor must not silently
                disable stopping).
        """
        if self.monitor not in logs:
            raise KeyError(f"early stopping monitors {self.monitor!r}, but the epoch logs hold {sorted(logs)}")
        value = logs[self.monitor]
        better = value < self.best if self.mode == "min" else value > self.best
        if better:
            self.best, self.best_epoch, self.stale = value, epoch, 0
        else:
            self.stale += 1
        return self.stale >= self.patience
