"""The ``arch_vq`` generator: VQ-VAE codes plus an autoregressive prior (arch-vq.md).

Composes three separately registered plugins -- an encoder
(``archgen.encoders``), a quantizer (``archgen.quantizers``) and a prior
(``archgen.priors``), each chosen by name in its options -- so later
generators can reuse them. Training runs in two stages as in the paper: the
VQ-VAE (Adam, lr 1e-4), then the prior on the code sequences of the
training split. An architecture is the sequence of its nodes' code indices.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.generation import NoSamplingOptions, SampleBatch, validate_sampling
from archgen.plugins.encoders.loading import load_encoder
from archgen.plugins.generators.arch_vq.vqvae import VQVAE
from archgen.protocols import EpochCallback, SearchSpace
from archgen.registry import PluginChoice, Slot, load, plugin_class
from archgen.runtime import Runtime
from archgen.training import EarlyStopping, ScheduleName, train_epochs
from archgen.two_stage import TwoStageGenerator

CHECKPOINT_FORMAT = "archgen.arch_vq/1"


class ArchVQOptions(BaseModel):
    """Options of the ``arch_vq`` generator (defaults: arch-vq.md section 4.3).

    Attributes:
        encoder: Encoder plugin and options (``input_dim``/``out_dim`` are filled in).
        quantizer: Quantizer plugin and options.
        prior: Prior plugin and options (``vocab_size``/``seq_len`` are filled in).
        vqvae_epochs: VQ-VAE training epochs (paper: 50 on NB101/201).
        vqvae_lr: Adam learning rate of the VQ-VAE (paper: 1e-4).
        vqvae_batch_size: Architectures per VQ-VAE step.
        prior_epochs: Prior training epochs (paper: 100).
        vqvae_schedule: Learning-rate schedule of the VQ-VAE (``"constant"``: the paper's;
            ``"cosine"``: linear warm-up then cosine decay, :mod:`archgen.training.schedule`).
        vqvae_warmup: Fraction of the VQ-VAE's steps spent warming up (``"cosine"``).
        early_stopping_patience: Stop VQ-VAE training when the held-out reconstruction has
            not improved for this many epochs (``None``: run every epoch; the
            paper early-stops on DARTS).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    encoder: Annotated[PluginChoice, Slot("encoder")] = Field(default_factory=lambda: PluginChoice(name="gin"))
    quantizer: Annotated[PluginChoice, Slot("quantizer")] = Field(default_factory=lambda: PluginChoice(name="ema"))
    prior: Annotated[PluginChoice, Slot("prior")] = Field(default_factory=lambda: PluginChoice(name="transformer"))
    vqvae_epochs: int = Field(50, ge=0, le=1_000_000)
    vqvae_lr: float = Field(1e-4, gt=0.0)
    vqvae_batch_size: int = Field(32, ge=1, le=10_000_000)
    prior_epochs: int = Field(100, ge=0, le=1_000_000)
    vqvae_schedule: ScheduleName = "constant"
    vqvae_warmup: float = Field(0.0, ge=0.0, lt=1.0)
    early_stopping_patience: int | None = Field(None, ge=1)


class ArchVQ(TwoStageGenerator):
    """Arch-VQ: discrete architecture codes with an autoregressive prior.

    A code sequence (:meth:`encode`) holds one code per node. Device moves, encoding, decoding,
    reconstruction and checkpoints are :class:`~archgen.two_stage.TwoStageGenerator`'s.

    Args:
        options: :class:`ArchVQOptions`.
    """

    Options: ClassVar[type[BaseModel]] = ArchVQOptions
    CHECKPOINT_FORMAT: ClassVar[str] = CHECKPOINT_FORMAT
    MODULES: ClassVar[tuple[str, str]] = ("vqvae", "prior")  # vqvae.pt and prior.pt
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {"vqvae_epochs": 3, "vqvae_lr": 3e-3, "prior_epochs": 6, "encoder": {"name": "gin", "options": {"hidden_dims": [16, 16]}}, "quantizer": {"name": "ema", "options": {"codebook_size": 16, "dim": 8}}, "prior": {"name": "transformer", "options": {"layers": 1, "heads": 2, "d_model": 16, "dropout": 0.0, "lr": 3e-3, "batch_size": 32}}}  # tiny: archgen.testing kits
    SamplingOptions: type[BaseModel]

    def __init__(self, options: ArchVQOptions | None = None):
        super().__init__()
        self.options = options or ArchVQOptions()
        # The sampling knobs are the chosen prior's (a transformer's temperature, an LLM's prompt...).
        self.SamplingOptions = getattr(plugin_class("prior", self.options.prior.name), "SamplingOptions", NoSamplingOptions)
        self.vqvae: VQVAE | None = None
        self.prior: Any = None

    # -- construction -------------------------------------------------------------
    def build(self, space: SearchSpace, device: torch.device | str = "cpu") -> ArchVQ:
        """Creates fresh models sized for ``space`` on ``device``."""
        o = self.options
        quantizer = load("quantizer", o.quantizer.name, **o.quantizer.options)
        encoder = load_encoder(o.encoder, space, quantizer.dim)
        self.vqvae = VQVAE(encoder, quantizer, len(space.op_vocabulary))
        self.prior = load(
            "prior", o.prior.name, **{**o.prior.options, "vocab_size": quantizer.codebook_size, "seq_len": space.max_nodes}
        )
        self._space_signature = {
            "space": space.name,
            "op_vocabulary": list(space.op_vocabulary),
            "max_nodes": space.max_nodes,
        }
        return self.to(device)

    def _code_length(self, space: SearchSpace) -> int:
        return int(space.max_nodes)  # one code per node

    # -- training -----------------------------------------------------------------
    def fit(
        self,
        space: SearchSpace,
        train: Sequence[Architecture],
        *,
        validation: Sequence[Architecture] = (),
        runtime: Runtime | None = None,
        seed: int = 0,
        callbacks: Sequence[EpochCallback] = (),
    ) -> dict[str, Any]:
        """Trains the VQ-VAE, then the prior on the training codes.

        Args:
            space: The search space.
            train: Training architectures.
            validation: Held-out architectures, for the per-epoch reconstruction
                figure and early stopping.
            runtime: Device, precision and rank (default: CPU, fp32, one process); under
                torchrun both stages train as DDP replicas on shards of each epoch.
            seed: Seeds initialisation and shuffling.
            callbacks: ``(stage, epoch, logs)`` callables run on rank 0 after every epoch
                (stage ``"vqvae"``, then ``"prior"``).

        Returns:
            Training statistics (final losses, seconds per epoch, codebook use).
        """
        runtime = runtime or Runtime()
        torch.manual_seed(seed)
        self.build(space, runtime.device)
        vqvae_stats = self._fit_vqvae(space, train, validation, seed, runtime, callbacks)
        codes = self.encode(space, train)
        started = time.perf_counter()
        prior_logs = self.prior.fit(
            torch.from_numpy(codes), epochs=self.options.prior_epochs, seed=seed, runtime=runtime, callbacks=callbacks
        )
        prior_seconds = time.perf_counter() - started
        used = np.unique(codes)
        return {
            **vqvae_stats,
            "prior_final_loss": prior_logs.get("loss"),
            "prior_seconds_per_epoch": prior_seconds / max(self.options.prior_epochs, 1),
            "codebook_used": int(len(used)),
            "codebook_size": int(self.vqvae.quantizer.codebook_size),
            "distinct_train_sequences": int(len(np.unique(codes, axis=0))),
        }

    def _fit_vqvae(
        self,
        space: SearchSpace,
        train: Sequence[Architecture],
        validation: Sequence[Architecture],
        seed: int,
        runtime: Runtime,
        callbacks: Sequence[EpochCallback],
    ) -> dict[str, Any]:
        vqvae, o = self._require_built(), self.options
        adjacency, ops = (t.to(self.device) for t in space.to_tensors(train))
        optimizer = torch.optim.Adam(vqvae.parameters(), lr=o.vqvae_lr)

        def step(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            out = model(*batch)
            figures = {"reconstruction_loss": out.reconstruction_loss, "commitment_loss": out.commitment_loss}
            return out.loss, {**figures, "perplexity": out.perplexity}

        def validate() -> dict[str, float]:
            return {"validation_reconstruction": self.reconstruction_accuracy(space, validation)}

        restarts_per_epoch: list[int] = []

        def count_restarts(stage: str, epoch: int, logs: dict[str, float]) -> None:
            # The quantizer keeps a running total; the codebook-health analysis plots it per epoch.
            total = int(getattr(vqvae.quantizer, "restarts", 0))
            restarts_per_epoch.append(total - sum(restarts_per_epoch))

        stopping = None
        if o.early_stopping_patience is not None and validation:
            stopping = EarlyStopping("validation_reconstruction", o.early_stopping_patience, mode="max")
        result = train_epochs(
            vqvae, optimizer, [adjacency, ops], step,
            stage="vqvae", epochs=o.vqvae_epochs, batch_size=o.vqvae_batch_size, seed=seed, runtime=runtime,
            callbacks=[*callbacks, count_restarts], validate=validate if validation else None, early_stopping=stopping,
            schedule=o.vqvae_schedule, warmup=o.vqvae_warmup,
        )
        return {
            "vqvae_epochs_run": result.epochs_run,
            "vqvae_seconds_per_epoch": result.seconds_per_epoch,
            "vqvae_final": result.logs,
            "dead_code_restarts": int(vqvae.quantizer.restarts) if hasattr(vqvae.quantizer, "restarts") else None,
            "dead_code_restarts_per_epoch": restarts_per_epoch if hasattr(vqvae.quantizer, "restarts") else None,
        }

    # -- inference ----------------------------------------------------------------
    def sample(self, space: SearchSpace, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Samples ``n`` code sequences from the prior and decodes the well-formed ones.

        Args:
            space: The space the model was trained on.
            n: Samples to draw.
            seed: Seed of the draws.
            **sampling: The prior's sampling options (:attr:`SamplingOptions`).

        Raises:
            ConfigError: For sampling options the prior does not accept.
        """
        self._require_built()
        knobs = validate_sampling(self.SamplingOptions, sampling).model_dump()
        codes, well_formed = self.prior.sample(n, seed=seed, **knobs)
        codes, well_formed = codes.numpy(), well_formed.numpy()
        adjacency = np.zeros((n, space.max_nodes, space.max_nodes), dtype=np.uint8)
        ops = np.zeros((n, space.max_nodes), dtype=np.int64)
        if well_formed.any():
            adjacency[well_formed], ops[well_formed] = self.decode_codes(codes[well_formed])
        tokens = [row.tolist() if ok else None for row, ok in zip(codes, well_formed)]
        return SampleBatch(adjacency, ops, well_formed, tokens, knobs, int(seed))
