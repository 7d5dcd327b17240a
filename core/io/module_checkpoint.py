"""Torch module checkpoints: a state dict with a metadata header, written atomically, read defensively.

Every model plugin stores its modules the same way -- ``{"meta": {...}, "state": state_dict}``,
loaded with ``weights_only=True`` -- and refuses a file that is missing, not a torch file, of
another format, made for another space (the ``signature`` fields) or of another model shape, each
with a one-line :class:`archgen.errors.CheckpointError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from archgen.atomic import atomic_path
from archgen.errors import CheckpointError


def save_module(path: str | Path, module: nn.Module, meta: Mapping[str, Any]) -> Path:
    """Writes ``module``'s state (on the CPU) and ``meta`` to ``path``, atomically.

    Args:
        path: The ``.pt`` file.
        module: The module to save.
        meta: JSON-ready metadata: at least ``format`` and the signature fields :func:`load_module` checks.
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        torch.save({"meta": dict(meta), "state": {k: v.cpu() for k, v in module.state_dict().items()}}, temporary)
    return path


def load_module(path: str | Path, module: nn.Module, *, checkpoint_format: str, signature: Mapping[str, Any]) -> dict[str, Any]:
    """Loads ``path`` into ``module`` after checking its header; returns the header.

    Args:
        path: The ``.pt`` file :func:`save_module` wrote.
        module: A module of the configured shape.
        checkpoint_format: The ``format`` the header must name.
        signature: Header fields that must equal these values (space, vocabulary, sizes...).

    Raises:
        CheckpointError: If the file is missing, corrupt, of another format or signature, or does
            not fit ``module``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} not found (train first: archgen train)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means a bad file
        raise CheckpointError(f"checkpoint {str(path)!r} is corrupt or not a torch file ({type(error).__name__})") from None
    meta = payload.get("meta", {}) if isinstance(payload, dict) else {}
    if meta.get("format") != checkpoint_format:
        raise CheckpointError(f"checkpoint {str(path)!r} is not an {checkpoint_format} checkpoint")
    for field, expected in signature.items():
        if meta.get(field) != expected:
            raise CheckpointError(f"checkpoint {str(path)!r} was made for {field}={meta.get(field)!r}, not {expected!r}")
    try:
        module.load_state_dict(payload["state"])
    except (RuntimeError, KeyError) as error:
        first = str(error).strip().splitlines()[0][:160]
        raise CheckpointError(f"checkpoint {str(path)!r} does not fit the configured model: {first}") from None
    return meta


__all__ = ["load_module", "save_module"]
