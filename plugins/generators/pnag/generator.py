"""The ``pnag`` generator: progressive next-scale architecture generation (pnag.md, issue 12).

Two stages, as in the paper: the VAE (graph encoder to a ``C x N x N`` feature map, multi-scale
quantization over one shared codebook with stepwise consistency constraints, position-wise
decoder), then the block-causal next-scale transformer on the training set's code maps. Sampling
draws the scales coarsest first, a whole scale per forward pass, and decodes the accumulated map.

Nothing here is specific to a space: sizes come from ``space.max_nodes`` and
``space.op_vocabulary``, data from ``space.to_tensors``, and samples are raw decoded graphs
(:class:`~archgen.generation.SampleBatch`) that the space reads with ``from_tensors``.
Design decisions the paper leaves open are listed, with reasons, in docs/pnag.md.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.generation import SampleBatch, validate_sampling
from archgen.guided_sampling import Target
from archgen.plugins.encoders.loading import load_encoder
from archgen.plugins.generators.pnag.autoencoder import PairFeatureMap, PNAGAutoencoder, PositionDecoder
from archgen.plugins.generators.pnag.guidance import Lookahead, PNAGSamplingOptions, every_scale_draw, guided_sample
from archgen.plugins.generators.pnag.msq import MultiScaleQuantizer
from archgen.plugins.generators.pnag.support import ObservedSupport
from archgen.plugins.generators.pnag.transformer import NextScaleTransformer
from archgen.protocols import EpochCallback, Predictor, SearchSpace
from archgen.registry import PluginChoice, Slot
from archgen.runtime import Runtime, usable_cores
from archgen.training import train_epochs
from archgen.two_stage import TwoStageGenerator

CHECKPOINT_FORMAT = "archgen.pnag/1"


class PNAGOptions(BaseModel):
    """Options of the ``pnag`` generator (defaults: pnag.md "Loss & Training" where it gives them).

    Attributes:
        encoder: Node-encoder plugin and options (``input_dim``/``out_dim`` are filled in).
        node_dim: Width of the node embeddings the pair map is built from.
        channels: ``C``, channels of the feature map and of every code.
        codebook_size: ``V``, codes in the one codebook all scales share.
        scales: Token-map sides, strictly increasing and ending at the space's ``max_nodes``
            (``None``: the paper's ``3, 4, ..., N``).
        beta: Commitment weight of ``||e - ê||`` and of each SCC step.
        scc_steps: Intermediate steps (coarsest first) the stepwise consistency constraint
            penalises: ``0`` (only the final ``||e - ê||``) up to ``"all"`` (the paper's full SCC).
        scc_weight: Weight of the SCC term in the loss.
        decoder_hidden: Hidden width of the two-layer position-wise decoder.
        vae_epochs: Stage-1 epochs (paper: 300).
        vae_lr: Stage-1 AdamW learning rate (paper: 1e-4).
        transformer_epochs: Stage-2 epochs (paper: 300).
        transformer_lr: Stage-2 AdamW learning rate (paper: 1e-3).
        weight_decay: AdamW weight decay of both stages (paper: 1e-4).
        batch_size: Architectures per step in both stages (paper: 256).
        d_model: Transformer width.
        layers: Transformer blocks.
        heads: Attention heads.
        dropout: Transformer dropout while training (residual branches; attention weights too
            unless ``attention_dropout`` is set).
        attention_dropout: Dropout on the attention weights while training (``None``: ``dropout``).
            ``0.0`` lets training use the fused attention kernel instead of drawing a mask over
            every ``T × T`` score (docs/pnag.md, decision 21a; step times in docs/results/pnag.md).
        sequential_scales: How many of the finest scales the transformer draws token by token
            (causal inside the scale) instead of all at once; ``0`` is the paper's and VAR's
            parallel draw. A parallel draw samples a scale's tokens independently given the coarser
            ones, which cannot keep a rule that ties them together (DARTS: one input per node);
            each sequential scale costs one forward pass per token (docs/pnag.md, decision 16a).
        sample_batch_size: Architectures drawn per batched forward pass when sampling.
        sample_workers: Threads that share a CPU draw's tiles, or ``"auto"``: one per core this
            process may use. The draws do not depend on it.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    encoder: Annotated[PluginChoice, Slot("encoder")] = Field(
        default_factory=lambda: PluginChoice(name="gin", options={"hidden_dims": [64, 64, 64]})
    )
    node_dim: int = Field(32, ge=1, le=65_536)
    channels: int = Field(16, ge=1, le=65_536)
    codebook_size: int = Field(128, ge=2, le=1_048_576)
    scales: list[Annotated[int, Field(ge=1, le=4096)]] | None = Field(None, min_length=1)
    beta: float = Field(0.25, ge=0.0)
    scc_steps: int | Literal["all"] = "all"
    scc_weight: float = Field(1.0, ge=0.0)
    decoder_hidden: int = Field(64, ge=1, le=65_536)
    vae_epochs: int = Field(300, ge=0, le=1_000_000)
    vae_lr: float = Field(1e-4, gt=0.0)
    transformer_epochs: int = Field(300, ge=0, le=1_000_000)
    transformer_lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    batch_size: int = Field(256, ge=1, le=10_000_000)
    d_model: int = Field(32, ge=8, le=65_536)
    layers: int = Field(2, ge=1, le=256)
    heads: int = Field(2, ge=1, le=1024)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    attention_dropout: float | None = Field(None, ge=0.0, lt=1.0)
    sequential_scales: int = Field(0, ge=0, le=4096)
    sample_batch_size: int = Field(2048, ge=1, le=10_000_000)
    sample_workers: Annotated[int, Field(ge=1, le=1024)] | Literal["auto"] = "auto"

    @field_validator("scales")
    @classmethod
    def _increasing(cls, scales: list[int] | None) -> list[int] | None:
        if scales is not None and scales != sorted(set(scales)):
            raise ValueError(f"scales must be strictly increasing, got {scales}")
        return scales

    @field_validator("scc_steps")
    @classmethod
    def _non_negative(cls, steps: int | str) -> int | str:
        if isinstance(steps, int) and steps < 0:
            raise ValueError(f"scc_steps must be 0 or more, or 'all'; got {steps}")
        return steps

    @model_validator(mode="after")
    def _heads_divide_d_model(self) -> PNAGOptions:
        # Multi-head attention splits d_model evenly; failing here names both keys.
        if self.d_model % self.heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by heads={self.heads}")
        return self


class PNAG(TwoStageGenerator):
    """PNAG: multi-scale architecture tokens and a next-scale transformer.

    A code sequence (:meth:`encode`) is ``[sum n(n+1)/2]`` long: scales coarsest first, each
    map's upper triangle row by row; decoded op index ``-1`` marks an absent node. Device moves,
    encoding, decoding, reconstruction and checkpoints are :class:`~archgen.two_stage.TwoStageGenerator`'s.

    Args:
        options: :class:`PNAGOptions`.
    """

    Options: ClassVar[type[BaseModel]] = PNAGOptions
    CHECKPOINT_FORMAT: ClassVar[str] = CHECKPOINT_FORMAT
    MODULES: ClassVar[tuple[str, str]] = ("autoencoder", "transformer")  # autoencoder.pt and transformer.pt
    SamplingOptions: ClassVar[type[BaseModel]] = PNAGSamplingOptions
    # Tiny: archgen.testing kits. A larger learning rate than the paper so 200 cells train in seconds;
    # two scales keep the sequence short.
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {
        "encoder": {"name": "gin", "options": {"hidden_dims": [16, 16]}},
        "node_dim": 16, "channels": 8, "codebook_size": 32, "decoder_hidden": 16,
        "vae_epochs": 4, "vae_lr": 3e-3, "transformer_epochs": 3, "transformer_lr": 3e-3, "batch_size": 32,
        "d_model": 16, "layers": 1, "heads": 2, "dropout": 0.0,
    }

    def __init__(self, options: PNAGOptions | None = None):
        super().__init__()
        self.options = options or PNAGOptions()
        self.autoencoder: PNAGAutoencoder | None = None
        self.transformer: NextScaleTransformer | None = None
        #: What training showed at every node and node pair (:meth:`observe_support`); ``None`` until fitted.
        self.support: ObservedSupport | None = None

    # -- construction -------------------------------------------------------------
    def scales_for(self, space: SearchSpace) -> list[int]:
        """The token-map sides for ``space``: the configured list or ``3 .. N``.

        Raises:
            ConfigError: If configured scales do not end at the space's ``max_nodes``.
        """
        size = int(space.max_nodes)
        if self.options.scales is None:
            return list(range(min(3, size), size + 1))
        if self.options.scales[-1] != size:
            raise ConfigError(
                f"pnag scales {self.options.scales} must end at the max_nodes {size} of space {space.name!r} "
                f"(e.g. [{', '.join(map(str, range(min(3, size), size + 1)))}])"
            )
        return list(self.options.scales)

    def build(self, space: SearchSpace, device: torch.device | str = "cpu") -> PNAG:
        """Creates fresh models sized for ``space`` on ``device``."""
        o = self.options
        scales = self.scales_for(space)
        if o.sequential_scales > len(scales):
            raise ConfigError(f"pnag sequential_scales = {o.sequential_scales} must be 0..{len(scales)}: the scales are {scales}")
        num_ops = len(space.op_vocabulary)
        node_encoder = load_encoder(o.encoder, space, o.node_dim)
        quantizer = MultiScaleQuantizer(o.codebook_size, o.channels, scales, o.beta)
        scc_steps = len(scales) if o.scc_steps == "all" else o.scc_steps
        self.autoencoder = PNAGAutoencoder(
            PairFeatureMap(node_encoder, o.node_dim, o.channels),
            quantizer,
            PositionDecoder(o.channels, o.decoder_hidden, num_ops),
            scc_steps,
            o.scc_weight,
        )
        self.transformer = NextScaleTransformer(
            quantizer.codebook.weight, scales, o.d_model, o.layers, o.heads, o.dropout,
            attention_dropout=o.attention_dropout, sequential_scales=o.sequential_scales,
        )
        self._space_signature = {
            "space": space.name,
            "op_vocabulary": list(space.op_vocabulary),
            "max_nodes": int(space.max_nodes),
            "scales": scales,
        }
        return self.to(device)

    def _code_length(self, space: SearchSpace) -> int:
        return self._require_built().quantizer.sequence_length

    def _target_ops(self, ops: torch.Tensor) -> np.ndarray:
        # The decoder writes -1 at an absent node, where the one-hot row is all zeros.
        return torch.where(ops.any(-1), ops.argmax(-1), -1).numpy()

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
        """Trains the VAE (stage ``"vae"``), then the transformer on the training codes (``"transformer"``).

        Args:
            space: The search space.
            train: Training architectures.
            validation: Held-out architectures, for the per-epoch reconstruction figure.
            runtime: Device, precision and rank (default: CPU, fp32, one process).
            seed: Seeds initialisation and shuffling.
            callbacks: ``(stage, epoch, logs)`` callables run on rank 0 after every epoch.

        Returns:
            Training statistics (final losses, per-scale deviations, seconds per epoch, codebook use).
        """
        runtime = runtime or Runtime()
        torch.manual_seed(seed)
        self.build(space, runtime.device)
        self.observe_support(space, train)
        vae_stats = self._fit_vae(space, train, validation, seed, runtime, callbacks)
        # The transformer's inputs are built from the codebook the VAE has just learnt.
        self.transformer.codebook.copy_(self.autoencoder.quantizer.codebook.weight.detach())
        codes = self.encode(space, train)
        o = self.options
        optimizer = torch.optim.AdamW(self.transformer.parameters(), lr=o.transformer_lr, weight_decay=o.weight_decay)

        def step(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            logits = model(batch[0])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), batch[0].reshape(-1))
            return loss, {"loss": loss}

        started = time.perf_counter()
        result = train_epochs(
            self.transformer, optimizer, [torch.from_numpy(codes).to(self.device)], step,
            stage="transformer", epochs=o.transformer_epochs, batch_size=o.batch_size, seed=seed, runtime=runtime,
            callbacks=callbacks,
        )
        transformer_seconds = time.perf_counter() - started
        return {
            **vae_stats,
            "transformer_final_loss": result.logs.get("loss"),
            "transformer_seconds_per_epoch": transformer_seconds / max(o.transformer_epochs, 1),
            "scales": self._space_signature["scales"],
            "sequence_length": int(codes.shape[1]),
            "codebook_used": int(len(np.unique(codes))),
            "codebook_size": int(o.codebook_size),
            "distinct_train_sequences": int(len(np.unique(codes, axis=0))),
        }

    def _fit_vae(
        self,
        space: SearchSpace,
        train: Sequence[Architecture],
        validation: Sequence[Architecture],
        seed: int,
        runtime: Runtime,
        callbacks: Sequence[EpochCallback],
    ) -> dict[str, Any]:
        autoencoder, o = self._require_built(), self.options
        adjacency, ops = (t.to(self.device) for t in space.to_tensors(train))
        optimizer = torch.optim.AdamW(autoencoder.parameters(), lr=o.vae_lr, weight_decay=o.weight_decay)

        def step(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            out = model(*batch)
            figures = {
                "reconstruction_loss": out.reconstruction_loss,
                "feature_loss": out.feature_loss,
                "scc_loss": out.scc_loss,
                "first_scale_deviation": out.deviations[0],
            }
            return out.loss, figures

        def validate() -> dict[str, float]:
            return {"validation_reconstruction": self.reconstruction_accuracy(space, validation)}

        result = train_epochs(
            autoencoder, optimizer, [adjacency, ops], step,
            stage="vae", epochs=o.vae_epochs, batch_size=o.batch_size, seed=seed, runtime=runtime,
            callbacks=callbacks, validate=validate if validation else None,
        )
        return {
            "vae_epochs_run": result.epochs_run,
            "vae_seconds_per_epoch": result.seconds_per_epoch,
            "vae_final": result.logs,
            "train_reconstruction": self.reconstruction_accuracy(space, train),
            "scale_deviations": self.scale_deviations(space, train),
        }

    @torch.no_grad()
    def scale_deviations(self, space: SearchSpace, archs: Sequence[Architecture], batch_size: int = 4096) -> list[float]:
        """Per scale, the mean ``||e - ê_t||²`` over ``archs``: how close each partial reconstruction comes to ``e``."""
        autoencoder = self._require_built().eval()
        totals = np.zeros(len(autoencoder.quantizer.scales))
        for start in range(0, len(archs), batch_size):
            adjacency, ops = (t.to(self.device) for t in space.to_tensors(archs[start : start + batch_size]))
            out = autoencoder.quantizer(autoencoder.encoder(adjacency, ops), scc_steps=0)
            totals += len(adjacency) * np.array([d.item() for d in out.deviations])
        return (totals / max(len(archs), 1)).tolist()

    def observe_support(self, space: SearchSpace, archs: Sequence[Architecture]) -> ObservedSupport:
        """Records which operation each node and which value each edge took in ``archs`` (``fit`` does, on its training set).

        Sampling with ``support = "observed"`` restricts the decode to it; a model loaded from a
        checkpoint written before the support was recorded can be given it here.
        """
        self._require_built()
        self.support = ObservedSupport.of(space, archs)
        return self.support

    def observed_support(self, choice: str) -> ObservedSupport | None:
        """The decoder's restriction for the ``support`` sampling knob: ``None`` for ``"any"``.

        Raises:
            ConfigError: For ``"observed"`` on a model whose training support was never recorded.
        """
        if choice == "any":
            return None
        if self.support is None:
            raise ConfigError("pnag support = 'observed' needs the training support, and this model has none "
                              "(its checkpoint predates it): refit, call observe_support(space, train), or use support = 'any'")
        return self.support.to(self.device)

    # -- codes ----------------------------------------------------------------------
    @torch.no_grad()
    def sub_architectures(self, codes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per scale ``n``, the ``n``-node graphs (adjacency, op indices) the partial reconstructions decode to."""
        pieces = self._require_built().eval().sub_architectures(torch.as_tensor(codes, device=self.device))
        return [(adjacency.cpu().numpy(), ops.cpu().numpy()) for adjacency, ops in pieces]

    # -- sampling -----------------------------------------------------------------
    @torch.no_grad()
    def sample(self, space: SearchSpace, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Draws ``n`` architectures scale by scale and decodes them.

        Every draw decodes to a graph (``well_formed`` is all True); whether it is a member of the
        space is the metrics' business.

        Args:
            space: The space the model was trained on.
            n: Samples to draw.
            seed: Seed of the draws.
            **sampling: :class:`~archgen.plugins.generators.pnag.guidance.PNAGSamplingOptions` (temperature, top_k,
                top_p; ``guidance`` for predictor-guided draws, off by default).

        Raises:
            ConfigError: For sampling options that do not validate.
        """
        self._require_built()
        knobs = validate_sampling(self.SamplingOptions, sampling)
        if knobs.guidance is not None:
            return guided_sample(self, space, n, seed=seed, knobs=knobs)
        support = self.observed_support(knobs.support)
        # Unguided and unrestricted, the record is the token knobs, as it was before either existed.
        recorded = knobs.model_dump(exclude={"guidance"} | ({"support"} if support is None else set()))
        self.transformer.eval()
        generator = torch.Generator(device=self.device).manual_seed(seed)
        autoencoder, pieces = self._require_built(), []
        workers = usable_cores() if self.options.sample_workers == "auto" else self.options.sample_workers
        for start in range(0, n, self.options.sample_batch_size):
            codes, e_hat = self.transformer.draw(
                min(self.options.sample_batch_size, n - start),
                temperature=knobs.temperature, top_k=knobs.top_k, top_p=knobs.top_p, generator=generator,
                workers=workers,
            )
            # The sampler has already accumulated ê: decode it rather than rebuild it from the codes.
            pieces.append((codes, *autoencoder.decode_drawn(codes, e_hat, self.transformer.codebook, support)))
        if not pieces:
            codes = torch.zeros(0, self.transformer.sequence_length, dtype=torch.long, device=self.device)
            pieces.append((codes, *autoencoder.decode_codes(codes)))
        codes, adjacency, ops = (torch.cat(part) for part in zip(*pieces))
        return SampleBatch(
            adjacency.cpu().numpy(), ops.cpu().numpy(), np.ones(n, dtype=bool), codes.cpu().tolist(), recorded, int(seed)
        )

    def steered_sample(
        self, space: SearchSpace, n: int, *, seed: int, predictor: Predictor, candidates: int,
        target: Target = "maximize", sampling: dict[str, Any] | None = None, lookahead: Lookahead = "completion",
    ) -> tuple[SampleBatch, np.ndarray]:
        """Guidance at every scale with an already fitted predictor (:class:`archgen.protocols.SteersDraw`).

        The ``guidance`` sampling option fits its own predictor on uniform labels; a searcher that has
        paid for its labels comes here instead. The draw is
        :func:`~archgen.plugins.generators.pnag.guidance.every_scale_draw`.

        Args:
            space: The space the model was trained on.
            n: Samples wanted.
            seed: Seed of the draws.
            predictor: A fitted predictor of the space.
            candidates: Continuations per sample and scale.
            target: ``"maximize"``, ``"minimize"`` or a number.
            sampling: Draw knobs (temperature, top_k, top_p, support).
            lookahead: ``"completion"`` or ``"partial"``: what a prefix is judged by.

        Returns:
            The batch and the predictor's value of each sample (NaN where it is not a member).

        Raises:
            ConfigError: For token knobs or a look-ahead that do not validate.
        """
        self._require_built()
        draw = every_scale_draw(self, space, n, seed=seed, predictor=predictor, candidates=candidates,
                                target=target, sampling=sampling, lookahead=lookahead)
        return draw.batch, draw.scores

    # -- checkpoints ----------------------------------------------------------------
    def _extra_meta(self) -> dict[str, Any]:
        # The observed support rides in both headers; a model fitted before it existed has none.
        return {} if self.support is None else {"support": self.support.to_json()}

    def _read_extra_meta(self, metas: dict[str, dict[str, Any]], directory: Path, space: SearchSpace) -> None:
        recorded = metas["autoencoder"].get("support")
        self.support = None if recorded is None else ObservedSupport.from_json(
            recorded, space.max_nodes, len(space.op_vocabulary), source=f"checkpoint {str(directory / 'autoencoder.pt')!r}")
