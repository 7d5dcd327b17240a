"""Decoder-only transformer prior over code sequences (arch-vq.md section 3.3).

Each architecture's code sequence ``s`` becomes ``<SOS> s <EOS>``; the model
learns next-token prediction (AdamW, 3e-4 in the paper) and samples from
``<SOS>`` with a temperature and optional top-k / top-p filtering. Sampling is
batched, uses a key/value cache so each step costs one token per sequence,
and never raises on a malformed draw: a sequence that ends early, runs long
or holds a special token among its codes is reported as not well formed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from archgen.generation import TokenSamplingOptions, validate_sampling
from archgen.nn import KVCache, TransformerBlock, filter_logits, init_weights, nucleus, sample_tokens
from archgen.runtime import Runtime
from archgen.training import Callback, EarlyStopping, ScheduleName, train_epochs


_CPU_FUSED_ADAMW = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)


class TransformerPriorOptions(BaseModel):
    """Options of the ``transformer`` prior.

    Attributes:
        vocab_size: Number of codes K (set by the generator from the quantizer).
        seq_len: Codes per sequence (set by the generator from the space).
        layers: Transformer blocks (paper: 4).
        heads: Attention heads (paper: 4).
        d_model: Width of the residual stream.
        dropout: Dropout in attention and MLP while training.
        lr: AdamW learning rate (paper: 3e-4).
        weight_decay: AdamW weight decay.
        batch_size: Sequences per step.
        schedule: Learning-rate schedule (``"constant"``: the paper's; ``"cosine"``: linear
            warm-up then cosine decay, :mod:`archgen.training.schedule`).
        warmup: Fraction of the steps spent warming up (``"cosine"``).
        validation_fraction: Share of the training sequences held out (a fixed draw per seed) to
            measure the next-token NLL after every epoch (``validation_nll`` in the epoch logs);
            ``0``: train on every sequence, no held-out figure (the paper's).
        early_stopping_patience: Stop once the held-out NLL has not improved for this many
            epochs and keep the weights of its best epoch (needs ``validation_fraction > 0``;
            ``None``: run every epoch).
        fast_kernels: Train with the explicit ("math") attention kernel -- on a CPU at these
            short sequences torch's fused one is slower, above all backward -- and the fused
            AdamW step (one kernel for every parameter). The same mathematics; ``False``: torch's
            default kernels (with dropout the draws of the masks then differ).
    """

    # Bad values fail here, naming the key, not as a shape error or a nan loss mid-training.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    vocab_size: int = Field(0, ge=0, le=1_048_576)
    seq_len: int = Field(0, ge=0, le=65_536)
    layers: int = Field(4, ge=1, le=256)
    heads: int = Field(4, ge=1, le=1024)
    d_model: int = Field(64, ge=8, le=65_536)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    lr: float = Field(3e-4, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    batch_size: int = Field(128, ge=1, le=10_000_000)
    schedule: ScheduleName = "constant"
    warmup: float = Field(0.0, ge=0.0, lt=1.0)
    validation_fraction: float = Field(0.0, ge=0.0, lt=1.0)
    early_stopping_patience: int | None = Field(None, ge=1)
    fast_kernels: bool = False

    @field_validator("d_model")
    @classmethod
    def _heads_divide_d_model(cls, d_model: int, info: ValidationInfo) -> int:
        # Multi-head attention splits d_model evenly; `heads` is validated first (field order).
        heads = info.data.get("heads")
        if heads is not None and d_model % heads:
            raise ValueError(f"d_model={d_model} must be divisible by heads={heads}")
        return d_model

    @model_validator(mode="after")
    def _stopping_needs_held_out(self) -> TransformerPriorOptions:
        if self.early_stopping_patience is not None and self.validation_fraction <= 0.0:
            raise ValueError("early_stopping_patience needs validation_fraction > 0 (the held-out NLL it watches)")
        return self


class TransformerPrior(nn.Module):
    """GPT-style prior over ``<SOS> codes <EOS>``.

    Token ids: codes ``0..K-1``, then ``SOS = K``, ``EOS = K+1``, ``PAD = K+2``.

    Args:
        options: :class:`TransformerPriorOptions`; ``vocab_size`` and ``seq_len`` must be set.
    """

    Options: ClassVar[type[BaseModel]] = TransformerPriorOptions
    SamplingOptions: ClassVar[type[BaseModel]] = TokenSamplingOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {"layers": 1, "heads": 2, "d_model": 16, "dropout": 0.0, "lr": 3e-3, "batch_size": 32}  # tiny: archgen.testing kits

    def __init__(self, options: TransformerPriorOptions | None = None):
        super().__init__()
        self.options = o = options or TransformerPriorOptions()
        if o.vocab_size <= 0 or o.seq_len <= 0:
            raise ValueError("TransformerPrior needs vocab_size and seq_len > 0 (set by the generator)")
        if o.d_model % o.heads:
            raise ValueError(f"d_model={o.d_model} must be divisible by heads={o.heads}")
        self.sos, self.eos, self.pad = o.vocab_size, o.vocab_size + 1, o.vocab_size + 2
        self.token = nn.Embedding(o.vocab_size + 3, o.d_model)
        self.position = nn.Embedding(o.seq_len + 2, o.d_model)
        self.blocks = nn.ModuleList(TransformerBlock(o.d_model, o.heads, o.dropout) for _ in range(o.layers))
        self.norm = nn.LayerNorm(o.d_model)
        self.head = nn.Linear(o.d_model, o.vocab_size + 3)
        self.apply(init_weights)


    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, tokens: torch.Tensor, caches: list[KVCache] | None = None, offset: int = 0) -> torch.Tensor:
        """Next-token logits ``[B, T, V]`` for ``tokens [B, T]`` starting at position ``offset``."""
        positions = torch.arange(offset, offset + tokens.shape[1], device=tokens.device)
        x = self.token(tokens) + self.position(positions)[None]
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.head(self.norm(x))

    def kv_caches(self, batch: int) -> list[KVCache]:
        """Empty key/value caches for incremental decoding of ``batch`` sequences (one per block)."""
        o = self.options
        return [KVCache(batch, o.heads, o.seq_len + 2, o.d_model // o.heads, self.head.weight) for _ in self.blocks]

    def sequences(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pairs: inputs ``<SOS> codes`` and targets ``codes <EOS>``."""
        b = codes.shape[0]
        sos = torch.full((b, 1), self.sos, dtype=torch.long, device=codes.device)
        eos = torch.full((b, 1), self.eos, dtype=torch.long, device=codes.device)
        return torch.cat([sos, codes], 1), torch.cat([codes, eos], 1)

    def loss(self, codes: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy of ``[B, L]`` code sequences."""
        return self._loss(self, codes)

    def _loss(self, model: nn.Module, codes: torch.Tensor) -> torch.Tensor:
        # ``model`` is this prior or its DDP wrapper: calling the wrapper's forward is what
        # synchronises gradients across ranks.
        inputs, targets = self.sequences(codes)
        with sdpa_kernel(SDPBackend.MATH) if self.options.fast_kernels else contextlib.nullcontext():
            logits = model(inputs)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=self.pad)

    def fit(
        self,
        sequences: torch.Tensor,
        *,
        epochs: int = 100,
        seed: int = 0,
        runtime: Runtime | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> dict[str, float]:
        """Trains on ``[M, L]`` code sequences with AdamW (the shared :func:`archgen.training.train_epochs` loop).

        Args:
            sequences: Code indices, one row per architecture.
            epochs: Passes over the data.
            seed: Seed of the shuffling (initialisation and dropout follow torch's global seed).
            runtime: Device, precision and rank (default: CPU, fp32, one process).
            callbacks: Called on rank 0 with ``("prior", epoch, logs)`` after each epoch.

        Returns:
            The last epoch's mean training ``loss``, ``epochs_run``, and with a held-out share its
            last ``validation_nll`` and ``best_validation_nll`` / ``best_epoch``.
        """
        o = self.options
        runtime = runtime or Runtime(device=self.device)
        self.to(runtime.device)
        train, held_out = self._held_out_split(sequences.to(runtime.device, torch.long), seed)
        # Fused AdamW runs on CPUs from torch 2.4 on (on CUDA before); older torch keeps the default.
        fused = {"fused": True} if o.fast_kernels and (runtime.device.type != "cpu" or _CPU_FUSED_ADAMW) else {}
        optimizer = torch.optim.AdamW(self.parameters(), lr=o.lr, weight_decay=o.weight_decay, **fused)

        def step(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            loss = self._loss(model, batch[0])
            return loss, {"loss": loss}

        best = _BestWeights(self)

        def validate() -> dict[str, float]:
            nll = float(self.loss(held_out))  # eval mode, no grad, fp32: the loop's validation
            best.offer(nll)
            return {"validation_nll": nll}

        patience = o.early_stopping_patience
        result = train_epochs(
            self, optimizer, [train], step,
            stage="prior", epochs=epochs, batch_size=o.batch_size, seed=seed, runtime=runtime, callbacks=callbacks,
            schedule=o.schedule, warmup=o.warmup, validate=validate if held_out is not None else None,
            early_stopping=EarlyStopping("validation_nll", patience) if patience is not None else None,
        )
        if patience is not None:
            best.restore()
        return {**result.logs, "epochs_run": float(result.epochs_run), **best.logs()}

    def _held_out_split(self, sequences: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(training rows, held-out rows or None)``: ``validation_fraction`` of the rows, drawn with ``seed``."""
        count = int(round(self.options.validation_fraction * len(sequences)))
        if count == 0:
            return sequences, None
        if count >= len(sequences):
            raise ValueError(f"validation_fraction={self.options.validation_fraction} leaves no training sequence of {len(sequences)}")
        order = torch.randperm(len(sequences), generator=torch.Generator().manual_seed(seed)).to(sequences.device)
        return sequences[order[count:]], sequences[order[:count]]

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0, batch_size: int = 20_000, **sampling: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences from ``<SOS>``.

        Args:
            n: Sequences to draw.
            seed: Seed of the draws.
            batch_size: Sequences decoded at once.
            **sampling: :class:`archgen.generation.TokenSamplingOptions` (temperature, top_k, top_p).

        Returns:
            ``(codes [n, L], well_formed [n])``: codes of malformed rows are -1.

        Raises:
            ConfigError: For sampling options that do not validate.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling)
        temperature, top_k, top_p = knobs.temperature, knobs.top_k, knobs.top_p
        self.eval()
        generator = torch.Generator(device=self.device).manual_seed(seed)
        chunks = [self._sample_chunk(min(batch_size, n - s), temperature, top_k, top_p, generator) for s in range(0, n, batch_size)]
        tokens = torch.cat(chunks) if chunks else torch.empty(0, self.options.seq_len + 1, dtype=torch.long)
        codes, last = tokens[:, :-1], tokens[:, -1]
        well_formed = (codes < self.options.vocab_size).all(1) & (last == self.eos)
        codes = torch.where(well_formed[:, None], codes, torch.full_like(codes, -1))
        return codes.cpu(), well_formed.cpu()

    def _sample_chunk(self, n: int, temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator) -> torch.Tensor:
        caches = self.kv_caches(n)
        token = torch.full((n, 1), self.sos, dtype=torch.long, device=self.device)
        drawn = []
        # L codes and then the token that should be EOS.
        for step in range(self.options.seq_len + 1):
            logits = self(token, caches, offset=step)[:, -1].float() / temperature
            logits[:, self.sos] = logits[:, self.pad] = -math.inf  # never valid outputs
            token = sample_tokens(torch.softmax(filter_logits(logits, top_k, top_p), -1), generator)
            drawn.append(token)
        return torch.cat(drawn, 1)


class _BestWeights:
    """The weights of the epoch with the lowest held-out NLL so far (a copy on the host)."""

    def __init__(self, model: nn.Module):
        self.model, self.best, self.epoch, self.offers, self.state = model, math.inf, 0, 0, None

    def offer(self, nll: float) -> None:
        self.offers += 1
        if nll < self.best:
            self.best, self.epoch = nll, self.offers
            self.state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def restore(self) -> None:
        if self.state is not None:
            self.model.load_state_dict(self.state)

    def logs(self) -> dict[str, float]:
        return {"best_validation_nll": self.best, "best_epoch": float(self.epoch)} if self.offers else {}


# The building blocks are listed so that importing them from here, as code written before
# they moved to archgen.nn does, stays a supported use rather than an accident.
__all__ = [
    "KVCache", "TransformerBlock", "TransformerPrior", "TransformerPriorOptions",
    "filter_logits", "init_weights", "nucleus", "sample_tokens",
]
