"""The ``arch_llm`` generator: Arch-VQ's VQ-VAE with the ``llm`` prior, at Arch-LLM's settings.

Nothing of Arch-VQ is copied: the generator loads the ``arch_vq`` generator through the
registry (its ``base`` option, a nested ``generator`` choice validated with the rest of the
configuration) with the ``llm`` prior in its ``prior`` slot, and delegates training,
checkpoints, encoding and decoding to it. What it adds is what the language model can do
and Arch-VQ's transformer cannot: it keeps the text the model wrote as each sample's tokens
(so malformed draws show what went wrong), and it *infills* -- re-draws chosen codes of
given sequences with the ``fill:`` prompt (the :class:`~archgen.protocols.Infills` capability
Algorithm 1 of arch-llm.md searches with).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.generation import SampleBatch, validate_sampling
from archgen.protocols import CodeModel, EpochCallback, SearchSpace
from archgen.registry import PluginChoice, Slot, load, plugin_class
from archgen.runtime import Runtime

#: The default T5, sized for a CPU: t5-small's layout at a quarter of its width and half its
#: depth (1.45 M parameters against 44 M). Epoch times: docs/results/arch-llm.md.
CPU_T5 = {"d_model": 128, "d_ff": 512, "d_kv": 32, "num_layers": 3, "num_heads": 4}

#: Arch-LLM's composition: Arch-VQ's VQ-VAE defaults (GIN, K = 512, D = 16, beta = 0.25, the
#: paper's shared VQ-VAE) and a T5 prior trained on both tasks.
PAPER: dict[str, Any] = {
    "prior": {"name": "llm", "options": {"model": "t5-small", "config": CPU_T5, "lr": 1e-3, "batch_size": 128}},
    "prior_epochs": 30,
}


#: Tables replaced whole rather than merged: a model configuration is one choice (T5 keys under a
#: GPT-2 model would be an error, and half of one size under another is not a size).
WHOLE_TABLES = frozenset({"config"})


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``defaults``, table by table; a nested choice of another plugin name replaces the default's."""
    merged = dict(defaults)
    for key, value in given.items():
        default = defaults.get(key)
        same_plugin = not (isinstance(value, dict) and isinstance(default, dict) and value.get("name", default.get("name")) != default.get("name"))
        if isinstance(value, dict) and isinstance(default, dict) and same_plugin and key not in WHOLE_TABLES:
            merged[key] = _merge(default, value)
        else:
            merged[key] = value
    return merged


class ArchLLMOptions(BaseModel):
    """Options of the ``arch_llm`` generator.

    Attributes:
        base: The code-model generator the prior sits in (``arch_vq``) and its options;
            what is given is merged over :data:`PAPER` table by table, so
            ``base.options.prior_epochs = 5`` keeps the ``llm`` prior (a prior's ``config`` table
            replaces the default's whole). Its prior must infill.
    """

    model_config = ConfigDict(extra="forbid")
    base: Annotated[PluginChoice, Slot("generator")] = Field(default_factory=lambda: PluginChoice(name="arch_vq", options=PAPER))

    @model_validator(mode="before")
    @classmethod
    def _paper_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("base"), dict) and data["base"].get("name", "arch_vq") == "arch_vq":
            base = data["base"]
            options = base.get("options", {})
            return {**data, "base": {**base, "name": "arch_vq", "options": _merge(PAPER, options if isinstance(options, dict) else {})}}
        return data

    @model_validator(mode="after")
    def _prior_infills(self) -> ArchLLMOptions:
        prior = self.base.options.get("prior")
        name = prior.get("name") if isinstance(prior, dict) else None
        if name is not None and not hasattr(plugin_class("prior", name), "infill"):
            raise ConfigError(f"arch_llm needs a prior that infills (has infill()), e.g. 'llm'; {name!r} does not")
        return self


class ArchLLM:
    """Arch-LLM: an infilling language-model prior over a VQ-VAE's code sequences.

    Args:
        options: :class:`ArchLLMOptions`.

    Raises:
        ConfigError: If the base generator is not a code model (no encode/decode_codes).
    """

    Options: ClassVar[type[BaseModel]] = ArchLLMOptions
    SamplingOptions: type[BaseModel]  # the base generator's, set in __init__
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {  # tiny: archgen.testing kits
        "base": {
            "name": "arch_vq",
            "options": {
                "vqvae_epochs": 3, "vqvae_lr": 3e-3, "prior_epochs": 6,
                "encoder": {"name": "gin", "options": {"hidden_dims": [16, 16]}},
                "quantizer": {"name": "ema", "options": {"codebook_size": 16, "dim": 8}},
                "prior": {"name": "llm", "options": {
                    "config": {"d_model": 16, "d_ff": 32, "d_kv": 8, "num_layers": 1, "num_heads": 2, "dropout_rate": 0.0},
                    "lr": 1e-2, "batch_size": 32,
                }},
            },
        }
    }

    def __init__(self, options: ArchLLMOptions | None = None):
        self.options = options or ArchLLMOptions()
        self.base = load("generator", self.options.base.name, **self.options.base.options)
        if not isinstance(self.base, CodeModel):
            raise ConfigError(f"arch_llm needs a code-model base generator (encode, decode_codes); {self.options.base.name!r} is not")
        self.SamplingOptions = self.base.SamplingOptions

    @property
    def prior(self) -> Any:
        """The trained language-model prior."""
        prior = getattr(self.base, "prior", None)
        if prior is None:
            raise RuntimeError("ArchLLM is not trained yet: call fit(...) or load(...) first")
        return prior

    # -- training and checkpoints: Arch-VQ's ---------------------------------------------
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
        """Trains the base generator (VQ-VAE, then the language model on both tasks); returns its statistics."""
        stats = self.base.fit(space, train, validation=validation, runtime=runtime, seed=seed, callbacks=callbacks)
        return {**stats, "prior_parameters": int(sum(p.numel() for p in self.prior.parameters()))}

    def save(self, directory: str | Path) -> list[Path]:
        """Writes the base generator's checkpoint files into ``directory``."""
        return self.base.save(directory)

    def load(self, directory: str | Path, space: SearchSpace, runtime: Runtime | None = None) -> ArchLLM:
        """Restores a :meth:`save` d model; returns ``self``.

        Raises:
            CheckpointError: If a file is missing, corrupt or made for another model.
        """
        self.base.load(directory, space, runtime)
        return self

    # -- the code model: Arch-VQ's --------------------------------------------------------
    def encode(self, space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
        """``[B, L]`` code sequences of ``archs``."""
        return self.base.encode(space, archs)

    def decode_codes(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[B, L]`` codes to ``(adjacency [B, N, N] uint8, op indices [B, N])``."""
        return self.base.decode_codes(codes)

    def reconstruct(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """Encodes then decodes ``archs``."""
        return self.base.reconstruct(space, archs)

    def reconstruction_accuracy(self, space: SearchSpace, archs: Sequence[Architecture]) -> float:
        """Percentage of ``archs`` whose adjacency and ops both come back exactly."""
        return self.base.reconstruction_accuracy(space, archs)

    # -- sampling -------------------------------------------------------------------------
    def sample(self, space: SearchSpace, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Prompts ``generate:`` ``n`` times and decodes the well-formed answers.

        Args:
            space: The space the model was trained on.
            n: Samples to draw.
            seed: Seed of the draws.
            **sampling: The prior's options (temperature, top_k, top_p, constrained).

        Returns:
            The decoded graphs; each sample's tokens are the text the model wrote.

        Raises:
            ConfigError: For sampling options the prior does not accept.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling).model_dump()
        drawn = self.prior.draw(n, seed=seed, **knobs)
        return self._decoded(space, drawn.codes, drawn.well_formed, drawn.text, knobs, seed)

    def infill(self, space: SearchSpace, codes: np.ndarray, mask: np.ndarray, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Re-draws the codes where ``mask`` is True with the ``fill:`` prompt, keeping the others; decodes the result.

        Args:
            space: The space the model was trained on.
            codes: ``[B, L]`` code sequences (e.g. :meth:`encode` of architectures to vary).
            mask: ``[B, L]`` bool, True at the codes to re-draw.
            seed: Seed of the draws.
            **sampling: The prior's options.

        Returns:
            The decoded graphs; each sample's tokens are the completed sequence's text (the
            model's raw answer where it was malformed).

        Raises:
            ConfigError: For bad sampling options, or codes and mask that do not fit the model.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling).model_dump()
        drawn = self.prior.draw_infill(codes, mask, seed=seed, **knobs)
        vocab = self.prior.vocab
        text = [
            vocab.text(vocab.code_tokens(row)) if ok else answer
            for row, ok, answer in zip(drawn.codes, drawn.well_formed, drawn.text)
        ]
        return self._decoded(space, drawn.codes, drawn.well_formed, text, knobs, seed)

    def _decoded(
        self, space: SearchSpace, codes: np.ndarray, well_formed: np.ndarray, text: list[str], knobs: dict[str, Any], seed: int
    ) -> SampleBatch:
        n, m = len(codes), space.max_nodes
        adjacency = np.zeros((n, m, m), dtype=np.uint8)
        ops = np.zeros((n, m), dtype=np.int64)
        if well_formed.any():
            adjacency[well_formed], ops[well_formed] = self.decode_codes(codes[well_formed])
        return SampleBatch(adjacency, ops, np.asarray(well_formed, dtype=bool), list(text), knobs, int(seed))
