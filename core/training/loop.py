"""The one epoch loop every first-party model trains with.

A plugin supplies the model, its optimizer, the training tensors and a *step* (one mini-batch to
a loss and the figures to log); :func:`train_epochs` does the rest the same way for every model:
a reproducible per-run shuffle, the distributed sampler and DDP wrapping under torchrun, autocast
from the :class:`~archgen.runtime.Runtime`, per-epoch averaging of the logged figures (over all
ranks), optional validation and early stopping, a progress bar, and ``(stage, epoch, logs)``
callbacks -- the last two on rank 0 only, so hooks and files see one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from archgen.progress import progress
from archgen.runtime import Runtime
from archgen.training.distributed import all_reduce_sum_, batch_count, batches, broadcast_buffers, wrap
from archgen.training.early_stopping import EarlyStopping
from archgen.training.schedule import ScheduleName, build_scheduler

#: ``step(model, batch) -> (loss, figures)``: ``model`` is the module to call (DDP-wrapped when
#: distributed, so gradients are synchronised), ``batch`` the training tensors indexed by one
#: mini-batch; ``loss`` is back-propagated and every figure (scalar tensors) averaged into the logs.
Step = Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, dict[str, torch.Tensor]]]

#: ``(stage, epoch, logs)``, called after every epoch (the same shape as ``archgen.protocols.EpochCallback``).
Callback = Callable[[str, int, dict[str, float]], None]


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_epochs` reports.

    Attributes:
        epochs_run: Epochs completed (fewer than asked when early stopping fired).
        logs: The last epoch's logs (training averages, then validation figures).
        seconds_per_epoch: Wall time per completed epoch (validation included).
        stopped_early: Whether early stopping ended training.
    """

    epochs_run: int
    logs: dict[str, float]
    seconds_per_epoch: float
    stopped_early: bool


def train_epochs(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Sequence[torch.Tensor],
    step: Step,
    *,
    stage: str,
    epochs: int,
    batch_size: int,
    seed: int,
    runtime: Runtime | None = None,
    callbacks: Sequence[Callback] = (),
    validate: Callable[[], dict[str, float]] | None = None,
    early_stopping: EarlyStopping | None = None,
    schedule: ScheduleName = "constant",
    warmup: float = 0.0,
) -> TrainResult:
    """Trains ``model`` for up to ``epochs`` passes over ``data``.

    Every epoch draws one permutation of the examples from a ``torch.Generator`` seeded with
    ``seed`` (the same on every rank, so a run is reproducible and the ranks' shards are
    disjoint), steps through this rank's mini-batches under ``runtime.autocast()``, then runs
    ``validate`` (fp32, eval mode, no grad) and early stopping. The model is left in eval mode.

    Args:
        model: The module whose parameters ``optimizer`` updates (never the DDP wrapper: this
            function wraps it when ``runtime.world_size > 1``).
        optimizer: Its optimizer.
        data: Tensors with one row per example (same length), already on ``runtime.device``.
        step: See :data:`Step`.
        stage: Name for the progress bar and the callbacks (``"vqvae"``, ``"prior"``...).
        epochs: Passes over the data.
        batch_size: Examples per step on each rank.
        seed: Seed of the shuffling.
        runtime: Device, precision, rank (default: one CPU process in fp32).
        callbacks: Called on rank 0 after every epoch with ``(stage, epoch, logs)``.
        validate: Returns figures merged into each epoch's logs (e.g. held-out accuracy);
            computed on every rank so all ranks take the same early-stopping decision.
        early_stopping: Stops when its monitored log entry stops improving.
        schedule: Learning-rate schedule, stepped once per optimizer step over all ``epochs``
            (:mod:`archgen.training.schedule`; ``"constant"`` leaves the optimizer's rate alone).
        warmup: Fraction of the steps spent warming up (``"cosine"``).

    Returns:
        A :class:`TrainResult`.

    Raises:
        ValueError: If ``data`` is empty or its tensors differ in length.
    """
    runtime = runtime or Runtime()
    n = _example_count(data)
    steps = epochs * batch_count(n, batch_size, runtime.world_size)
    updates = _Updates.prepare(model, optimizer, step, runtime, steps=steps, schedule=schedule, warmup=warmup)
    generator = torch.Generator().manual_seed(seed)
    epoch_range = range(1, epochs + 1)
    bar = progress(epoch_range, desc=stage, total=epochs) if runtime.is_main else None
    logs: dict[str, float] = {}
    epochs_run, stopped, started = 0, False, time.perf_counter()
    for epoch in bar if bar is not None else epoch_range:
        logs = updates.epoch(torch.randperm(n, generator=generator), data, batch_size)
        _validate_into(logs, model, validate)
        epochs_run = epoch
        _report(stage, epoch, logs, bar, runtime, callbacks)
        if early_stopping is not None and early_stopping.update(epoch, logs):
            stopped = True
            break
    if bar is not None:
        bar.close()
    model.eval()
    return TrainResult(epochs_run, logs, (time.perf_counter() - started) / max(epochs_run, 1), stopped)


def _example_count(data: Sequence[torch.Tensor]) -> int:
    """The examples in ``data``, refusing empty tensors or tensors of different lengths."""
    sizes = {len(tensor) for tensor in data}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"training tensors must be non-empty and of one length, got lengths {[len(t) for t in data]}")
    (n,) = sizes
    return n


@dataclass(frozen=True)
class _Updates:
    """How one run turns mini-batches into parameter updates: the step, loss scaling and LR schedule.

    Attributes:
        model: The module being trained (what buffers are broadcast from).
        wrapped: ``model`` as the step calls it (DDP-wrapped when distributed).
        optimizer: Its optimizer.
        step: See :data:`Step`.
        runtime: Device, precision, rank.
        scaler: fp16 loss scaling (disabled otherwise).
        scheduler: The per-step LR schedule, ``None`` for a constant rate.
    """

    model: nn.Module
    wrapped: nn.Module
    optimizer: torch.optim.Optimizer
    step: Step
    runtime: Runtime
    scaler: torch.amp.GradScaler
    scheduler: torch.optim.lr_scheduler.LRScheduler | None

    @classmethod
    def prepare(
        cls, model: nn.Module, optimizer: torch.optim.Optimizer, step: Step, runtime: Runtime, *, steps: int,
        schedule: ScheduleName, warmup: float,
    ) -> _Updates:
        """Wraps the model for the runtime and builds the scaler and the schedule over ``steps`` optimizer steps."""
        wrapped = wrap(model, runtime)
        # Loss scaling guards fp16 gradients against underflow; bf16 and fp32 need none.
        scaler = torch.amp.GradScaler(runtime.device.type, enabled=runtime.precision == "fp16")
        # A constant rate needs no scheduler (and fp16's skipped first steps would make one warn).
        scheduler = None if schedule == "constant" else build_scheduler(optimizer, max(steps, 1), schedule, warmup)
        return cls(model, wrapped, optimizer, step, runtime, scaler, scheduler)

    def epoch(self, order: torch.Tensor, data: Sequence[torch.Tensor], batch_size: int) -> dict[str, float]:
        """One pass over this rank's mini-batches of ``order``; the figures' per-step means over all ranks."""
        self.model.train()
        sums: dict[str, torch.Tensor] = {}
        steps = 0
        for indices in batches(order, batch_size, self.runtime.rank, self.runtime.world_size):
            indices = indices.to(self.runtime.device)
            with self.runtime.autocast():
                loss, figures = self.step(self.wrapped, tuple(tensor[indices] for tensor in data))
            self._update(loss)
            for key, value in figures.items():
                sums[key] = sums.get(key, 0.0) + value.detach().float()
            steps += 1
        logs = _epoch_means(sums, steps, self.runtime.device)
        # DDP leaves buffers per rank (broadcast_buffers=False); rank 0's BatchNorm statistics
        # become everyone's so evaluation, validation and checkpoints agree across ranks.
        broadcast_buffers(self.model)
        return logs

    def _update(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()


def _validate_into(logs: dict[str, float], model: nn.Module, validate: Callable[[], dict[str, float]] | None) -> None:
    """Adds ``validate()``'s figures to ``logs``, computed in eval mode without gradients."""
    if validate is not None:
        model.eval()
        with torch.no_grad():
            logs.update(validate())


def _report(
    stage: str, epoch: int, logs: dict[str, float], bar: Any, runtime: Runtime, callbacks: Sequence[Callback]
) -> None:
    """Shows the epoch's logs on the progress bar and hands them to the callbacks (rank 0 only)."""
    if bar is not None:
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()}, refresh=False)
    if runtime.is_main:
        for callback in callbacks:
            callback(stage, epoch, dict(logs))


def _epoch_means(sums: dict[str, torch.Tensor], steps: int, device: torch.device) -> dict[str, float]:
    """Per-step means of the logged figures over every rank's steps (one all-reduce)."""
    keys = sorted(sums)
    packed = torch.stack([*(sums[k] for k in keys), torch.tensor(float(steps), device=device)]) if keys else torch.tensor([float(steps)], device=device)
    all_reduce_sum_(packed)
    total_steps = max(float(packed[-1]), 1.0)
    return {key: float(packed[i]) / total_steps for i, key in enumerate(keys)}
