"""Resolving ``device = "auto" | "cpu" | "cuda"`` to a torch device, and what that device computes fast."""

from __future__ import annotations

import platform
from functools import cache
from pathlib import Path

import torch

from archgen.errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """Maps a configured device name to a ``torch.device``.

    Args:
        name: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises:
        ConfigError: For an unknown name, or ``cuda`` on a machine without it.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} requested but CUDA is not available; use 'auto' or 'cpu'")
        return torch.device(name)
    raise ConfigError(f"unknown device {name!r}; expected one of {list(DEVICE_CHOICES)}")


@cache
def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (else ``platform.processor()``, else ``"unknown"``).

    Every published timing names it: the same run differs 2.6x between two 2-core CPUs.
    """
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bf16 arithmetic (AVX512-BF16 or AMX-BF16), read from ``/proc/cpuinfo``.

    Without it oneDNN emulates bf16 and autocast is slower than fp32, so ``precision = "auto"``
    only picks bf16 on a CPU that says it has it (False where ``/proc/cpuinfo`` is absent).
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def auto_precision(device: torch.device) -> str:
    """The ``precision = "auto"`` policy: bf16 autocast where the device computes bf16 natively, else fp32.

    CUDA: compute capability 8.0 or newer (Ampere on). CPU: :func:`cpu_has_native_bf16`.
    ``benchmarks/training.py`` times bf16 against fp32 (figures: docs/results/performance.md); the
    EMA codebook and every evaluation stay fp32.
    """
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"
