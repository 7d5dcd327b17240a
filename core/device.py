"""Resolving ``device = "auto" | "cpu" | "cuda"`` to a torch device."""

from __future__ import annotations

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
