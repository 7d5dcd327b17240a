"""The skeleton of a two-stage generator: an autoencoder of architectures, then a model of its codes.

Arch-VQ (a VQ-VAE and a prior) and PNAG (a multi-scale VAE and a next-scale transformer) train
and sample differently, but moving their models between devices, encoding architectures in
batches, decoding codes, measuring reconstruction, and writing and reading their two-module
checkpoints are one procedure. :class:`TwoStageGenerator` holds it once, so the two cannot drift
apart (a checkpoint fix made in one and not the other, say).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from torch import nn

from archgen.architecture import Architecture
from archgen.io.module_checkpoint import load_module, save_module
from archgen.protocols import SearchSpace
from archgen.runtime import Runtime

Generator = TypeVar("Generator", bound="TwoStageGenerator")


class TwoStageGenerator:
    """Shared methods of a generator made of an autoencoder and a model of its codes.

    A subclass sets :attr:`CHECKPOINT_FORMAT` and :attr:`MODULES`, keeps its pydantic options in
    ``options``, and implements :meth:`build`, which creates both modules (as the attributes
    :attr:`MODULES` names) and fills ``_space_signature``. The autoencoder (the first module) must
    offer ``encode(adjacency, ops) -> codes`` and ``decode_codes(codes) -> (adjacency, ops)`` on
    tensors.

    Attributes:
        CHECKPOINT_FORMAT: The ``format`` every checkpoint header names.
        MODULES: ``(autoencoder, code model)`` attribute names; each is also the stem of the
            module's checkpoint file (``<name>.pt``), so renaming one orphans saved checkpoints.
        device: Where both modules live.
    """

    CHECKPOINT_FORMAT: ClassVar[str]
    MODULES: ClassVar[tuple[str, str]]
    options: Any

    def __init__(self) -> None:
        self.device = torch.device("cpu")
        # What a checkpoint must have been made for: space name, vocabulary, sizes (load_module checks it).
        self._space_signature: dict[str, Any] = {}

    def build(self: Generator, space: SearchSpace, device: torch.device | str = "cpu") -> Generator:
        """Creates fresh models sized for ``space`` on ``device``."""
        raise NotImplementedError

    def _code_length(self, space: SearchSpace) -> int:
        """Codes per architecture: the width of :meth:`encode`'s result when there is nothing to encode."""
        raise NotImplementedError

    def _target_ops(self, ops: torch.Tensor) -> np.ndarray:
        """The op indices ``[B, N]`` a perfect reconstruction of one-hot ``ops`` ``[B, N, K]`` decodes to."""
        return ops.argmax(-1).numpy()

    def _extra_meta(self) -> dict[str, Any]:
        """Header fields beyond the format, signature and options that :meth:`save` writes."""
        return {}

    def _read_extra_meta(self, metas: dict[str, dict[str, Any]], directory: Path, space: SearchSpace) -> None:
        """Restores what :meth:`_extra_meta` wrote, from the header of every module's file (by name)."""

    def _modules(self) -> list[nn.Module]:
        self._require_built()
        return [getattr(self, name) for name in self.MODULES]

    def to(self: Generator, device: torch.device | str) -> Generator:
        """Moves both modules to ``device``."""
        self.device = torch.device(device)
        for module in self._modules():
            module.to(self.device)
        return self

    def _require_built(self) -> Any:
        """The autoencoder.

        Raises:
            RuntimeError: Before :meth:`build` or :meth:`load`.
        """
        autoencoder = getattr(self, self.MODULES[0])
        if autoencoder is None:
            raise RuntimeError(f"{type(self).__name__} is not built yet: call build(space) or load(...) first")
        return autoencoder

    # -- codes ----------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, space: SearchSpace, archs: Sequence[Architecture], batch_size: int = 4096) -> np.ndarray:
        """Code sequences of ``archs``, one row each, encoded ``batch_size`` at a time (eval mode)."""
        autoencoder = self._require_built().eval()
        out = []
        for start in range(0, len(archs), batch_size):
            adjacency, ops = space.to_tensors(archs[start : start + batch_size])
            out.append(autoencoder.encode(adjacency.to(self.device), ops.to(self.device)).cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, self._code_length(space)), dtype=np.int64)

    @torch.no_grad()
    def decode_codes(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Code sequences to (adjacency ``[B, N, N]`` uint8, op indices ``[B, N]``) arrays."""
        adjacency, ops = self._require_built().eval().decode_codes(torch.as_tensor(codes, device=self.device))
        return adjacency.cpu().numpy(), ops.cpu().numpy()

    def reconstruct(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """Encodes then decodes: ``(adjacency [B, N, N] uint8, op indices [B, N])``."""
        return self.decode_codes(self.encode(space, archs))

    def reconstruction_accuracy(self, space: SearchSpace, archs: Sequence[Architecture]) -> float:
        """Percentage of ``archs`` whose adjacency and ops both come back exactly (NaN for none)."""
        if not archs:
            return float("nan")
        adjacency, ops = self.reconstruct(space, archs)
        target_adjacency, target_ops = space.to_tensors(archs)
        same = (adjacency == target_adjacency.numpy().astype(np.uint8)).all((1, 2)) & (ops == self._target_ops(target_ops)).all(1)
        return 100.0 * float(same.mean())

    # -- checkpoints ----------------------------------------------------------------
    def save(self, directory: str | Path) -> list[Path]:
        """Writes one ``<name>.pt`` per module of :attr:`MODULES` into ``directory``, each atomically.

        Every file's header holds the format, the space signature, the options and
        :meth:`_extra_meta`.
        """
        modules = self._modules()
        meta = {"format": self.CHECKPOINT_FORMAT, **self._space_signature, "options": self.options.model_dump(mode="json")}
        meta.update(self._extra_meta())
        return [save_module(Path(directory) / f"{name}.pt", module, meta) for name, module in zip(self.MODULES, modules)]

    def load(self: Generator, directory: str | Path, space: SearchSpace, runtime: Runtime | None = None) -> Generator:
        """Restores a :meth:`save` d model for ``space`` onto ``runtime``'s device, in eval mode.

        Raises:
            CheckpointError: If a file is missing, corrupt, or was made for another space,
                vocabulary or model shape.
        """
        self.build(space, "cpu")
        directory = Path(directory)
        metas = {
            name: load_module(directory / f"{name}.pt", module, checkpoint_format=self.CHECKPOINT_FORMAT, signature=self._space_signature)
            for name, module in zip(self.MODULES, self._modules())
        }
        self._read_extra_meta(metas, directory, space)
        for module in self._modules():
            module.eval()
        return self.to((runtime or Runtime()).device)
