"""What an analysis reads from a trained run: its space, split, replicates, sampling options and samples."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np

from archgen.architecture import Architecture
from archgen.errors import ConfigError
from archgen.generation import SampleBatch
from archgen.metrics import GenerationReference
from archgen.plugin_outputs import PluginRef, check_sample_batch
from archgen.protocols import CodeModel
from archgen.runs import Run
from archgen.runtime import Runtime


class AnalysisInputs:
    """A read-only view of a trained run for the analyses.

    Args:
        run: The run (the command's staged copy of it).
        runtime: Where models are loaded and trained.
        dataset: Returns the run's architectures and split (``.train``, ``.heldout``); called
            only by an analysis that reads them.
        sampling: Overrides of the run's ``[evaluate.sampling]`` (``--temperature``, ``--sampling``).
    """

    def __init__(self, run: Run, runtime: Runtime, dataset: Callable[[], Any], sampling: dict[str, Any] | None = None):
        self.run = run
        self.space = run.space
        self.runtime = runtime
        self.config = run.config
        self._dataset = dataset
        self._overrides = dict(sampling or {})
        self._generators: dict[int, Any] = {}

    # -- the run ----------------------------------------------------------------------
    @property
    def trained_seeds(self) -> list[int]:
        return self.run.trained_seeds

    def replicate(self, seed: int | None) -> int:
        """The replicate an analysis uses: ``seed`` if given, else the first trained one.

        Raises:
            UntrainedSeedError: If ``seed`` was not trained, naming the trained ones.
        """
        if seed is None:
            return self.trained_seeds[0]
        return self.run.require_seed(seed)

    @cached_property
    def train(self) -> list[Architecture]:
        return self._dataset().train

    @cached_property
    def heldout(self) -> list[Architecture]:
        return self._dataset().heldout

    @cached_property
    def reference(self) -> GenerationReference:
        """The run's split as the metrics compare samples with it."""
        return GenerationReference.build(self.space, self.train, self.heldout)

    def training_stats(self, seed: int) -> dict[str, Any]:
        """``checkpoints/seed-<s>/training.json`` of one replicate."""
        return self.run.training_stats(seed)

    @property
    def generator_spec(self) -> dict[str, Any]:
        """The run's ``[generator]`` choice as ``{"name": ..., "options": {...}}``."""
        spec = self.config.generator
        if spec is None:
            raise ConfigError("this run has no [generator]; the analyses read a trained generator")
        return spec.model_dump(mode="json")

    # -- models and samples ----------------------------------------------------------------
    def generator(self, seed: int) -> Any:
        """The trained generator of replicate ``seed`` (loaded once)."""
        if seed not in self._generators:
            self.run.require_trained()
            self._generators[seed] = self.run.load_generator(seed, self.runtime)
        return self._generators[seed]

    def code_model(self, seed: int, analysis: str) -> Any:
        """The trained generator of ``seed``, which must map architectures to codes and back.

        Raises:
            ConfigError: If the run's generator lacks the ``CodeModel`` capability.
        """
        generator = self.generator(seed)
        if not isinstance(generator, CodeModel):
            raise ConfigError(
                f"analysis {analysis!r} needs a generator with discrete codes (encode / decode_codes); "
                f"generator {self.generator_spec['name']!r} has none"
            )
        return generator

    @cached_property
    def sampling(self) -> dict[str, Any]:
        """The run's sampling options with the overrides, validated by the generator."""
        return self.run.sampling(self._overrides)

    def sampling_with(self, overrides: dict[str, Any], generator: Any = None) -> dict[str, Any]:
        """The run's sampling options with ``overrides`` instead of the command's, validated by ``generator``."""
        return self.run.sampling(overrides, generator)

    def draw(self, generator: Any, n: int, seed: int, sampling: dict[str, Any] | None = None) -> SampleBatch:
        """``n`` samples of ``generator`` with the run's (overridden) sampling options, checked as they leave the plugin."""
        batch = generator.sample(self.space, n, seed=seed, **(self.sampling if sampling is None else sampling))
        return check_sample_batch(batch, self.space, n=n, seed=seed, plugin=PluginRef("generator", self.generator_spec["name"], generator))


def sampled_codes(batch: SampleBatch, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """The code sequences behind a code model's samples: ``(codes [m, L], rows [m])`` of the well-formed draws.

    Code-based generators return each draw's codes as its ``tokens``: a list of code indices, or
    (language-model priors such as ``arch_llm``) the text the model wrote, ``"81 19 44 283"``.

    Raises:
        ConfigError: If the batch carries no code lists of length ``seq_len``.
    """
    rows = np.flatnonzero(batch.well_formed)
    tokens = batch.tokens
    if tokens is not None:
        tokens = [_as_codes(token) for token in tokens]
    if tokens is None or any(not isinstance(tokens[i], list) or len(tokens[i]) != seq_len for i in rows):
        raise ConfigError(f"the generator's samples carry no code sequences of length {seq_len} as their tokens")
    codes = np.asarray([tokens[i] for i in rows], dtype=np.int64).reshape(len(rows), seq_len)
    return codes, rows


def _as_codes(token: Any) -> Any:
    """A text sample's codes as a list of ints; anything else unchanged (then judged by the caller)."""
    if isinstance(token, str):
        try:
            return [int(part) for part in token.split()]
        except ValueError:
            return token
    return token
