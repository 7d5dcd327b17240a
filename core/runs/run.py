"""A trained run as one typed object: its configuration, its replicates, their generators and outputs.

This is the one answer to "which seeds are trained" and "load the generator of a
seed" for every caller -- the commands, the analyses, plugins that read a run
(``lstm``'s ``run_dir``, a searcher's ``generator_run``) and user code::

    import archgen
    run = archgen.open_run("runs/default")
    batch = run.generator(run.trained_seeds[0]).sample(run.space, 100, seed=0)
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from archgen.errors import ConfigError, UntrainedSeedError
from archgen.generation import NoSamplingOptions, SampleBatch, validate_sampling
from archgen.protocols import SearchSpace
from archgen.registry import PluginChoice, load
from archgen.runs.layout import RunDirectory
from archgen.runs.run_config import RunConfig, read_run_config
from archgen.runs.samples import read_samples
from archgen.runtime import Runtime


class Run:
    """One run directory with its typed configuration.

    Args:
        directory: The run's files (:class:`RunDirectory`; a staged copy while a command runs).
        config: Its configuration (``config.json``).
        space: The run's search space, already loaded (default: loaded from ``config.space`` when
            first needed).

    Raises:
        ConfigError: If ``space`` is not the space the run was made for.
    """

    def __init__(self, directory: RunDirectory, config: RunConfig, space: SearchSpace | None = None):
        self.directory = directory
        self.config = config
        if space is not None:
            if space.name != config.space.name:
                raise ConfigError(f"{str(directory.shown)!r} is a run of space {config.space.name!r}, not {space.name!r}")
            self.__dict__["space"] = space  # fills the cached_property

    @classmethod
    def open(cls, path: str | Path, space: SearchSpace | None = None) -> Run:
        """Opens the run at ``path``, checking its ``config.json``.

        Args:
            path: The run directory.
            space: A loaded space to use instead of loading the run's own (it must be the same space).

        Raises:
            RunNotFoundError: If ``path`` holds no run (no ``config.json``).
            RunConfigError: If ``config.json`` is corrupt or of the wrong shape.
            ConfigError: If ``space`` is another space than the run's.
        """
        directory = RunDirectory(Path(path).expanduser())
        return cls(directory, read_run_config(directory), space)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, space={self.config.space.name!r}, trained_seeds={self.trained_seeds})"

    @property
    def path(self) -> Path:
        return self.directory.path

    @cached_property
    def space(self) -> Any:
        """The run's search space, loaded with its saved options."""
        return load("space", self.config.space.name, **self.config.space.options)

    # -- replicates -------------------------------------------------------------------------
    @property
    def seeds(self) -> list[int]:
        """The replicates' seeds as the run was created with them (trained or still to be)."""
        return list(self.config.seeds_trained)

    def checkpoint_dir(self, seed: int) -> Path:
        """``checkpoints/seed-<seed>/``, the trained state of one replicate (whether or not it exists)."""
        return self.directory.checkpoint_dir(seed)

    @property
    def trained_seeds(self) -> list[int]:
        """The replicates with a checkpoint on disk, in the configuration's order.

        A committed ``archgen train`` run has all of :attr:`seeds`; a run made by
        ``archgen predict`` or ``archgen search`` has none.
        """
        return [seed for seed in self.config.seeds_trained if self.checkpoint_dir(seed).is_dir()]

    def require_seed(self, seed: int) -> int:
        """Returns ``seed`` if the run holds its trained generator.

        Raises:
            UntrainedSeedError: Naming the trained seeds (or saying to train first when there are none).
        """
        trained = self.trained_seeds
        if seed in trained:
            return seed
        if not trained:
            raise UntrainedSeedError(
                f"run {str(self.directory.shown)!r} has no trained replicate (no {self.directory.describe(self.checkpoint_dir(seed))}); "
                "train first: archgen train"
            )
        raise UntrainedSeedError(
            f"seed {seed!r} is not a trained seed of run {str(self.directory.shown)!r}; choose one of {trained}"
        )

    def require_trained(self) -> None:
        """Refuses a run whose replicates are not all trained.

        Raises:
            UntrainedSeedError: Naming the first missing checkpoint folder.
        """
        for seed in self.config.seeds_trained:
            folder = self.checkpoint_dir(seed)
            if not folder.is_dir():
                raise UntrainedSeedError(f"{self.directory.describe(folder)} not found; train first: archgen train")

    # -- generators ---------------------------------------------------------------------------
    def generator_choice(self) -> PluginChoice:
        """The run's ``[generator]``: its plugin name and validated options.

        Raises:
            ConfigError: If the run names no ``[generator]``.
        """
        spec = self.config.generator
        if spec is None:
            raise ConfigError("this run has no [generator]; name one in registry.toml (see 'archgen plugins')")
        return spec

    def new_generator(self) -> Any:
        """An untrained generator as the run configures it.

        Raises:
            ConfigError: If the run names no ``[generator]``.
        """
        spec = self.generator_choice()
        return load("generator", spec.name, **spec.options)

    def load_generator(self, seed: int, runtime: Runtime | None = None) -> Any:
        """The trained generator of replicate ``seed``, ready to ``sample``.

        Args:
            seed: One of :attr:`trained_seeds`.
            runtime: Where to load it (default: the generator's own default, the CPU).

        Raises:
            UntrainedSeedError: If ``seed`` has no checkpoint, naming the trained seeds.
            ConfigError: If the run names no ``[generator]``.
            CheckpointError: If the checkpoint is corrupt or of another model shape.
        """
        self.require_seed(seed)
        return self.new_generator().load(self.checkpoint_dir(seed), self.space, runtime)

    #: The short public spelling: ``archgen.open_run(path).generator(0).sample(...)``.
    generator = load_generator

    def sampling(self, overrides: dict[str, Any] | None = None, generator: Any = None) -> dict[str, Any]:
        """The run's ``[evaluate.sampling]`` with ``overrides`` applied, validated by the generator.

        Args:
            overrides: Options replacing the run's (``--temperature``, ``--sampling``).
            generator: The generator whose ``SamplingOptions`` validate them (default: the run's).

        Raises:
            ConfigError: Naming the bad key or value and the accepted keys.
        """
        merged = {**self.config.evaluate.sampling, **(overrides or {})}
        model = getattr(generator or self.new_generator(), "SamplingOptions", NoSamplingOptions)
        return validate_sampling(model, merged).model_dump(mode="json")

    # -- outputs --------------------------------------------------------------------------------
    def training_stats(self, seed: int) -> dict[str, Any]:
        """``checkpoints/seed-<s>/training.json`` of one replicate.

        Raises:
            RunDirectoryError: If it is missing or corrupt.
        """
        return self.directory.read_json(f"checkpoints/seed-{seed}/training.json", "re-run 'archgen train'")

    def samples(self) -> tuple[dict[str, Any], dict[int, SampleBatch]]:
        """``samples.jsonl``: its header and one :class:`SampleBatch` per seed.

        Raises:
            RunDirectoryError: If it is missing, naming the line of the first problem if damaged.
        """
        file = self.directory.samples_file
        return read_samples(file, self.space, shown=self.directory.describe(file))

    def metrics(self) -> dict[str, Any]:
        """``metrics.json``: per-seed and aggregated figures of ``archgen evaluate``.

        Raises:
            RunDirectoryError: If it is missing or corrupt.
        """
        return self.directory.read_json("metrics.json", "run 'archgen evaluate' first")


def open_run(path: str | Path, space: SearchSpace | None = None) -> Run:
    """Opens a run directory made by ``archgen train`` / ``archgen run`` (see :meth:`Run.open`).

    Args:
        path: The run directory, e.g. ``"runs/default"``.
        space: A loaded space to use instead of the run's own (the same space).

    Returns:
        The :class:`Run`; ``open_run(path).generator(seed)`` is the trained generator of a replicate.

    Raises:
        RunNotFoundError: If ``path`` holds no run.
        RunConfigError: If its ``config.json`` is corrupt or of the wrong shape.
        ConfigError: If ``space`` is another space than the run's.
    """
    return Run.open(path, space)
