"""Learning-rate schedules of the shared loop: the papers' constant rate, or warm-up then cosine decay.

A constant rate at the paper's batch (Arch-VQ: Adam 1e-4 at 32) needs ~50 epochs; a larger batch
with a proportionally larger peak rate takes fewer, larger steps, and the warm-up keeps the first of
those steps from blowing up Adam's fresh moment estimates (Goyal et al. 2017, "Accurate, Large
Minibatch SGD"); the cosine tail then anneals to a small rate so the last epochs refine instead of
oscillate (Loshchilov & Hutter 2017, SGDR). Measurements: ``docs/results/performance.md``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

#: ``"constant"``: the optimizer's rate throughout (the papers' setting). ``"cosine"``: linear
#: warm-up from ~0 to the rate over ``warmup`` of the steps, then cosine decay to 0 at the last step.
ScheduleName = Literal["constant", "cosine"]
SCHEDULES: tuple[str, ...] = ("constant", "cosine")


def lr_factor(step: int, total_steps: int, schedule: ScheduleName, warmup: float) -> float:
    """The multiplier of the base learning rate before optimizer step ``step`` (0-based).

    Args:
        step: Steps already taken.
        total_steps: Steps the schedule spans (every planned epoch, early stopping or not).
        schedule: See :data:`ScheduleName`.
        warmup: Fraction of ``total_steps`` spent warming up (``"cosine"`` only).

    Raises:
        ValueError: For an unknown schedule or a warm-up fraction outside [0, 1).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; expected one of {list(SCHEDULES)}")
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"warm-up fraction must be in [0, 1), got {warmup}")
    if schedule == "constant":
        return 1.0
    warmup_steps = int(warmup * total_steps)
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def build_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, schedule: ScheduleName, warmup: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step scheduler applying :func:`lr_factor` to every parameter group's rate."""
    lr_factor(0, total_steps, schedule, warmup)  # validates before any step is taken
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total_steps, schedule, warmup))
