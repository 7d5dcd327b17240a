"""Where a generator-based searcher's candidates come from: any generator plugin, untrained or from a run.

A searcher names a generator the way ``registry.toml`` does (``[generator]``-style
:class:`archgen.registry.PluginChoice`) or points at a trained run directory, opened
with :func:`archgen.open_run` (its ``config.json`` names the generator, its
``checkpoints/seed-<s>/`` hold the trained replicates).
Trial ``k`` of a search uses the run's ``k``-th trained seed (cycling), so trials
spread over the replicates the run trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archgen.architecture import Architecture
from archgen.errors import ConfigError, RunDirectoryError, RunNotFoundError
from archgen.protocols import SearchSpace
from archgen.registry import PluginChoice, load
from archgen.runs import open_run
from archgen.runtime import Runtime


class ProposalSource:
    """A generator ready to propose valid architectures of a space.

    Args:
        choice: The generator plugin (ignored when ``run`` is given: the run's own is used).
        run: A trained run directory, or ``None`` for a training-free generator fitted on nothing.
        run_seed: The checkpoint seed to load (``None``: the trial's seed picks one of the run's seeds).
        sampling: Sampling options (for a run: applied over its ``[evaluate.sampling]``).
    """

    def __init__(self, choice: PluginChoice, run: str | None = None, run_seed: int | None = None,
                 sampling: dict[str, Any] | None = None):
        self.choice, self.run, self.run_seed, self.sampling = choice, run, run_seed, dict(sampling or {})
        self.generator: Any = None
        self.described = f"generator {choice.name!r}"
        self._sampling: dict[str, Any] = {}

    def open(self, space: SearchSpace, *, seed: int, runtime: Runtime | None = None) -> ProposalSource:
        """Loads (or fits) the generator for ``space``; returns ``self``.

        Raises:
            ConfigError: If the run directory is missing, of another space, or lacks the chosen seed.
            CheckpointError: If the checkpoint cannot be loaded.
        """
        if self.run is None:
            self.generator = load("generator", self.choice.name, **self.choice.options)
            # Only training-free generators (uniform) are meaningful here: a learnt one comes from a run.
            self.generator.fit(space, [], runtime=runtime, seed=seed)
            self._sampling = dict(self.sampling)
            return self
        path = Path(self.run).expanduser()
        try:
            run = open_run(path, space)
        except RunNotFoundError:
            raise ConfigError(f"generator_run {str(path)!r} is not a trained run directory (no config.json)") from None
        except (RunDirectoryError, ConfigError) as error:  # a corrupt config.json, a run of another space
            raise ConfigError(f"generator_run {str(path)!r}: {error}") from None
        if run.config.generator is None:
            raise ConfigError(f"generator_run {str(path)!r} names no [generator]")
        trained = run.trained_seeds
        if not trained:
            raise ConfigError(f"generator_run {str(path)!r} has no checkpoints/seed-<s>/ (run 'archgen train' first)")
        chosen = self.run_seed if self.run_seed is not None else trained[seed % len(trained)]
        if chosen not in trained:
            raise ConfigError(f"generator_run {str(path)!r} has no checkpoint of seed {chosen}; trained seeds: {trained}")
        self.generator = run.load_generator(chosen, runtime)
        self._sampling = {**run.config.evaluate.sampling, **self.sampling}
        self.described = f"generator {run.config.generator.name!r} of run {str(path)!r}, checkpoint seed {chosen}"
        return self

    @property
    def sampling_options(self) -> dict[str, Any]:
        """The sampling options draws use (for a run: the given ones over its ``[evaluate.sampling]``)."""
        return dict(self._sampling)

    def draw(self, space: SearchSpace, n: int, *, seed: int) -> tuple[list[Architecture], int]:
        """``n`` draws of the generator, keeping the valid members of the space.

        Returns:
            ``(valid architectures in draw order, number of draws that were not)``.
        """
        if self.generator is None:
            raise RuntimeError("ProposalSource.open() must be called before draw()")
        batch = self.generator.sample(space, int(n), seed=int(seed), **self._sampling)
        kept = [arch for arch in batch.architectures(space) if arch is not None and space.is_valid(arch)]
        return kept, len(batch) - len(kept)


__all__ = ["ProposalSource"]
