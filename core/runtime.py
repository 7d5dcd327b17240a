"""Where and how a step computes: device, CPU threads, autocast precision, distributed rank.

One :class:`Runtime` is resolved per command from ``[run]`` (``device``, ``threads``,
``precision``) and the torchrun environment (``RANK``/``WORLD_SIZE``/``LOCAL_RANK``), and handed
to every plugin's ``fit``/``load``; plugins never read the environment themselves, so the same
code runs on a CPU, a GPU and under torchrun.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch

from archgen.device import auto_precision, resolve_device
from archgen.errors import ConfigError

Precision = Literal["fp32", "bf16", "fp16"]
PRECISION_DTYPES: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Runtime:
    """The resolved execution settings of one process.

    Attributes:
        device: Where tensors live.
        threads: torch intra-op threads in use (CPU work).
        precision: ``"fp32"`` (no autocast), ``"bf16"`` or ``"fp16"`` autocast.
        rank: This process's rank under torchrun (0 otherwise).
        world_size: Number of processes (1 when not distributed).
    """

    device: torch.device = torch.device("cpu")
    threads: int = 1
    precision: Precision = "fp32"
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and prints (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return PRECISION_DTYPES[self.precision]

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast to :attr:`precision` on :attr:`device` (a no-op at fp32)."""
        dtype = self.autocast_dtype
        if dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=dtype):
            yield

    @classmethod
    def resolve(cls, device: str = "auto", threads: int | str = "auto", precision: str = "fp32") -> Runtime:
        """Builds the runtime of this process and applies its thread setting to torch.

        Args:
            device: ``"auto" | "cpu" | "cuda" | "cuda:N"``; under torchrun, CUDA
                uses ``cuda:$LOCAL_RANK``.
            threads: torch intra-op threads, or ``"auto"`` (see :func:`default_threads`).
            precision: ``"fp32" | "bf16" | "fp16"``, or ``"auto"`` (bf16 where the device has
                native bf16, else fp32: :func:`archgen.device.auto_precision`).

        Raises:
            ConfigError: For an unknown device, precision or thread count.
        """
        if precision not in (*PRECISION_DTYPES, "auto"):
            raise ConfigError(f"unknown precision {precision!r}; expected one of {[*sorted(PRECISION_DTYPES), 'auto']}")
        rank, world_size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        resolved = resolve_device(device)
        if resolved.type == "cuda" and world_size > 1 and resolved.index is None:
            resolved = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if precision == "auto":
            precision = auto_precision(resolved)
        count = default_threads() if threads == "auto" else int(threads)
        if count < 1:
            raise ConfigError(f"threads must be >= 1 or 'auto', got {threads!r}")
        torch.set_num_threads(count)
        return cls(resolved, count, precision, rank, world_size)  # type: ignore[arg-type]


def default_threads() -> int:
    """The ``threads = "auto"`` policy: one torch thread.

    One intra-op thread avoids OpenMP spin-waiting against any other busy process on the same
    cores; ``benchmarks/threads.py`` times 1 thread, torch's default and all cores, idle and beside
    a busy process (figures: docs/results/performance.md).
    """
    return 1


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
