"""``lstm``: arch-vq.md §5.2's downstream predictor -- a one-layer LSTM regressor (hidden 64) over a node sequence.

The paper compares representations by feeding each, as a sequence in node order, to the same small
LSTM and reading the prediction off its last real step. ``input`` picks the sequence:

* ``"codes"`` (the paper's Arch-VQ input): each node's discrete code from a trained Arch-VQ run
  (``run_dir``), replaced by that code's codebook vector (the quantizer's ``lookup``);
* ``"embeddings"`` (the arch2vec-style input): each node's *continuous* embedding from the same
  kind of run -- the quantizer's per-node mean when it has one (a Gaussian "quantizer", the
  arch2vec VAE), otherwise the encoder's pre-quantisation output ``z_e``;
* ``"ops"``: each node's one-hot op plus its adjacency row, needing no trained run (the fallback
  the test kits use; not a representation from the paper).

The paper's "hidden size 64 and 4 heads" names heads an LSTM does not have; we read it as one
LSTM layer of width 64. Padding nodes (all-zero op rows) come after the real ones in every archgen
space, so the LSTM's state at the last real node never saw padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
from pydantic import BaseModel, Field
from torch import nn

import archgen
from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.errors import ConfigError
from archgen.protocols import CodeModel, SearchSpace
from archgen.plugins.predictors.regression import NeuralRegressor, RegressorOptions, mlp_head

#: Inputs read from a trained run directory.
RUN_INPUTS = ("codes", "embeddings")


class LSTMOptions(RegressorOptions):
    """Options of the ``lstm`` predictor (training options: :class:`RegressorOptions`).

    Attributes:
        input: ``"codes"``, ``"embeddings"`` (both need ``run_dir``) or ``"ops"`` (see the module doc).
        run_dir: A trained run directory (``archgen train``) of the same space, for the run inputs.
        run_seed: Which of the run's seeds (``checkpoints/seed-<s>``) to read.
        hidden: LSTM width (paper: 64).
        layers: LSTM layers (paper: 1).
    """

    input: Literal["codes", "embeddings", "ops"] = "codes"
    run_dir: RelativeToConfig | None = None
    run_seed: int = Field(0, ge=0)
    hidden: int = Field(64, ge=1, le=4096)
    layers: int = Field(1, ge=1, le=16)


class _LSTMRegressor(nn.Module):
    def __init__(self, in_dim: int, hidden: int, layers: int):
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, batch_first=True)
        self.head = mlp_head(hidden, hidden)

    def forward(self, sequence: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(sequence)
        last = states[torch.arange(len(lengths), device=states.device), lengths - 1]
        return self.head(last).squeeze(-1)


def load_run_generator(run_dir: str | Path, seed: int, space: SearchSpace) -> Any:
    """The trained generator of ``run_dir``'s seed ``seed``, on the CPU.

    Raises:
        RunDirectoryError: If the run or its configuration is missing or corrupt.
        ConfigError: If the run is of another space or has no such seed.
        CheckpointError: If the checkpoint is missing, corrupt or of another model shape.
    """
    try:
        run = archgen.open_run(run_dir, space)
    except ConfigError as error:  # a run of another space
        raise ConfigError(f"lstm run_dir: {error}") from None
    if seed not in run.trained_seeds:
        raise ConfigError(f"lstm run_seed {seed} is not a trained seed of {str(run_dir)!r}; choose one of {run.trained_seeds}")
    return run.load_generator(seed)


class LSTMPredictor(NeuralRegressor):
    """A node sequence (codes, continuous embeddings or ops) + one-layer LSTM + MLP head."""

    Options: ClassVar[type[BaseModel]] = LSTMOptions
    # The kits have no trained run: the "ops" input exercises the same LSTM and training.
    TEST_OPTIONS: ClassVar[dict] = {"input": "ops", "hidden": 8, "epochs": 3, "batch_size": 64}

    def __init__(self, options: LSTMOptions | None = None):
        super().__init__(options or LSTMOptions())
        self._generator: Any = None

    def _run_generator(self, space: SearchSpace) -> Any:
        o = self.options
        if o.run_dir is None:
            raise ConfigError(
                f"lstm input {o.input!r} needs run_dir = a trained Arch-VQ run directory of space {space.name!r} "
                "(or input = \"ops\", which needs none)"
            )
        if self._generator is None:
            generator = load_run_generator(o.run_dir, o.run_seed, space)
            if o.input == "codes" and not isinstance(generator, CodeModel):
                raise ConfigError(f"lstm input 'codes' needs a code-based generator; the run {o.run_dir!r} has {type(generator).__name__}")
            if getattr(generator, "vqvae", None) is None:
                raise ConfigError(f"lstm input {o.input!r} needs an encoder/quantizer run (arch_vq); the run {o.run_dir!r} has {type(generator).__name__}")
            self._generator = generator
        return self._generator

    @torch.no_grad()
    def sequences(self, space: SearchSpace, archs: Sequence[Architecture]) -> torch.Tensor:
        """``[B, N, F]`` per-node input vectors of ``archs`` for the configured ``input``."""
        archs = list(archs)
        adjacency, ops = space.to_tensors(archs)
        adjacency, ops = adjacency.float(), ops.float()
        if self.options.input == "ops":
            return torch.cat([ops, adjacency], -1)
        generator = self._run_generator(space)
        vqvae = generator.vqvae
        if self.options.input == "codes":
            codes = torch.as_tensor(generator.encode(space, archs), dtype=torch.long)
            return vqvae.quantizer.lookup(codes.to(generator.device)).float().cpu()
        z_e = vqvae.encoder(adjacency.to(generator.device), ops.to(generator.device))
        mean = getattr(vqvae.quantizer, "mean", None)
        return (mean(z_e) if callable(mean) else z_e).float().cpu()

    def featurize(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[torch.Tensor, ...]:
        _, ops = space.to_tensors(list(archs))
        lengths = (ops.sum(-1) > 0).sum(-1).clamp(min=1)
        return self.sequences(space, archs), lengths

    def build_model(self, space: SearchSpace) -> nn.Module:
        o = self.options
        if o.input == "ops":
            width = len(space.op_vocabulary) + space.max_nodes
        else:
            probe = self.sequences(space, space.sample(1, seed=0))
            width = probe.shape[-1]
        return _LSTMRegressor(width, o.hidden, o.layers)
