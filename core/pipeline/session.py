"""A command's working state: the staged run, its resolved configuration, runtime, space and hooks.

Every command goes through :func:`command_session`, which validates the whole
configuration (nested plugin choices and sampling options included) before any
data work, stages the run (:class:`archgen.pipeline.rundir.StagedRun`), fires
``archgen_run_start``, and -- only once the command succeeded and the run has
been moved into place -- ``archgen_run_end``.
"""

from __future__ import annotations

import contextlib
import platform
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import torch

from archgen.config import DataSection, RegistryConfig, validate_plugins
from archgen.errors import ConfigError, PluginNotFoundError, RunDirectoryError
from archgen.generation import NoSamplingOptions, validate_sampling
from archgen.hooks import hook_manager
from archgen.pipeline import dataset as datasets
from archgen.pipeline.rundir import RunDirectory, StagedRun, link_tree
from archgen.pipeline.run_config import RunConfig
from archgen.registry import load
from archgen.runtime import Runtime


@dataclass
class Session:
    """Everything a step needs.

    Attributes:
        command: The command's name (for the hooks).
        run: The run directory being written (the staging folder while the command runs).
        config: The resolved configuration (``config.json``).
        runtime: Device, threads, precision, rank.
        space: The loaded search space.
        hooks: The pluggy hook caller.
        summary: Figures handed to ``archgen_run_end``.
    """

    command: str
    run: RunDirectory
    config: dict[str, Any]
    runtime: Runtime
    space: Any
    hooks: Any
    summary: dict[str, Any] = field(default_factory=dict)
    _dataset: datasets.Dataset | None = field(default=None, repr=False)

    @property
    def seeds(self) -> list[int]:
        return self.config["seeds_trained"]

    def dataset(self) -> datasets.Dataset:
        """The run's architectures and its saved split."""
        if self._dataset is None:
            data = DataSection.model_validate(self.config["data"])
            # A run made before the named data stream has no "data_stream": it was drawn with stream 1.
            archs = datasets.collect(self.space, data, stream=int(self.config.get("data_stream", 1)))
            train, heldout = self.run.read_split(len(archs))
            self._dataset = datasets.Dataset(archs, train, heldout)
        return self._dataset

    def new_generator(self) -> Any:
        """An untrained generator as configured."""
        spec = self.config.get("generator")
        if spec is None:
            raise ConfigError("this run has no [generator]; name one in registry.toml (see 'archgen plugins')")
        return load("generator", spec["name"], **spec["options"])

    def generator(self, seed: int) -> Any:
        """The trained generator of one replicate."""
        return self.new_generator().load(self.run.checkpoint_dir(seed), self.space, self.runtime)

    def sampling(self, overrides: dict[str, Any] | None = None, generator: Any = None) -> dict[str, Any]:
        """The run's ``[evaluate.sampling]`` with ``overrides`` applied, validated by the generator.

        Raises:
            ConfigError: Naming the bad key or value and the accepted keys.
        """
        merged = {**self.config["evaluate"].get("sampling", {}), **(overrides or {})}
        model = getattr(generator or self.new_generator(), "SamplingOptions", NoSamplingOptions)
        return validate_sampling(model, merged).model_dump(mode="json")

    def epoch_callback(self, stage: str, epoch: int, logs: dict[str, float]) -> None:
        self.hooks.archgen_epoch_end(stage=stage, epoch=epoch, logs=logs)


def resolve_config(config: RegistryConfig, seeds: int, device: str | None = None) -> dict[str, Any]:
    """The JSON-ready configuration saved in the run, with every plugin choice validated.

    The whole tree -- each plugin's options, nested plugin choices and the
    generator's sampling options -- is checked here, before any data work.

    Raises:
        PluginNotFoundError: For an unknown plugin name.
        ConfigError: For any bad option, naming its path.
    """
    plugins = validate_plugins(config)
    resolved: dict[str, Any] = {
        "format": "archgen.run-config/2",
        "run": config.run.model_dump(mode="json"),
        **{section: plugins.get(section) for section in ("space", "generator", "predictor", "searcher")},
        "data": config.data.model_dump(mode="json"),
        "evaluate": config.evaluate.model_dump(mode="json"),
        "predict": config.predict.model_dump(mode="json"),
        "search": config.search.model_dump(mode="json"),
        "seeds_trained": [config.run.seed + k for k in range(seeds)],
        "environment": {"archgen": _version(), "torch": torch.__version__, "python": platform.python_version()},
    }
    if device is not None:
        resolved["run"]["device"] = device
    baseline = resolved["evaluate"]["baseline"]
    if baseline:
        from archgen.registry import plugin_class

        try:
            plugin_class("generator", baseline)
        except PluginNotFoundError as error:
            raise ConfigError(f"[evaluate] baseline: {error}") from None
    if resolved["generator"] is not None:
        generator = load("generator", resolved["generator"]["name"], **resolved["generator"]["options"])
        model = getattr(generator, "SamplingOptions", NoSamplingOptions)
        try:
            sampling = validate_sampling(model, resolved["evaluate"]["sampling"])
        except ConfigError as error:
            raise ConfigError(f"[evaluate.sampling] of generator {resolved['generator']['name']!r}: {error}") from None
        resolved["evaluate"]["sampling"] = sampling.model_dump(mode="json")
    return resolved


def read_run_config(run: RunDirectory) -> dict[str, Any]:
    """The saved configuration of a run, shape-checked (runs of archgen 0.1 are migrated).

    Raises:
        RunDirectoryError: If ``config.json`` is missing, corrupt or of the wrong shape.
    """
    raw = run.read_config()
    try:
        return RunConfig.model_validate(RunConfig.migrate(raw)).model_dump(mode="json")
    except pydantic.ValidationError as error:
        from archgen.registry import describe_validation_error

        raise RunDirectoryError(
            f"{run.describe(run.config_file)} is not an archgen run configuration ({describe_validation_error(error)}); "
            "re-create the run with 'archgen train'"
        ) from None
    except (TypeError, AttributeError):
        raise RunDirectoryError(
            f"{run.describe(run.config_file)} is not an archgen run configuration (not a JSON object of sections)"
        ) from None


def _version() -> str:
    from archgen import __version__

    return __version__


def _runtime(run_section: dict[str, Any], device: str | None) -> Runtime:
    return Runtime.resolve(
        device or run_section.get("device", "auto"), run_section.get("threads", "auto"), run_section.get("precision", "fp32")
    )


@contextlib.contextmanager
def command_session(
    command: str,
    run_dir: Path,
    *,
    resolved: dict[str, Any] | None = None,
    overwrite: bool = False,
    device: str | None = None,
    extra_hooks: Sequence[object] = (),
) -> Iterator[Session]:
    """Stages a command on a run and yields its :class:`Session`.

    With ``resolved`` (``run``/``train``) the run is built from nothing;
    without it the existing run at ``run_dir`` is updated. Either way the
    result replaces the run only when the ``with`` block completes; an error
    or a signal leaves the earlier run byte-identical.

    Args:
        command: The command's name.
        run_dir: The run's final place.
        resolved: A configuration from :func:`resolve_config` for a new run.
        overwrite: Replace an existing run (new runs only).
        device: Overrides ``[run] device``.
        extra_hooks: Hook plugins registered besides the installed ones (tests).
    """
    hooks = hook_manager(tuple(extra_hooks)).hook
    if resolved is None:
        config = read_run_config(RunDirectory(run_dir))
    else:
        config = resolved
    runtime = _runtime(config["run"], device)
    space_spec = config["space"]
    space = load("space", space_spec["name"], **space_spec["options"])
    if not runtime.is_main:
        # Under torchrun only rank 0 stages, locks and commits; the other ranks train into a
        # private scratch copy that is discarded, and fire no run hooks.
        with tempfile.TemporaryDirectory(prefix="archgen-rank-") as scratch:
            run = RunDirectory(scratch, shown=run_dir)
            if resolved is None:
                link_tree(Path(run_dir), Path(scratch))
            else:
                run.write_json("config.json", config)
            yield Session(command, run, config, runtime, space, hooks)
        return
    staged = StagedRun(run_dir, overwrite=overwrite, update=resolved is None)
    with staged as run:
        run.shown = Path(run_dir)
        session = Session(command, run, config, runtime, space, hooks)
        if resolved is not None:
            run.write_json("config.json", config)
        hooks.archgen_run_start(command=command, config=config, run_dir=str(run_dir))
        yield session
    session.run = RunDirectory(run_dir)
    hooks.archgen_run_end(command=command, run_dir=str(run_dir), summary=session.summary)


def require_trained(session: Session) -> None:
    """Refuses to sample from a run whose replicates were never trained.

    Raises:
        RunDirectoryError: Naming the missing checkpoint folder.
    """
    for seed in session.seeds:
        folder = session.run.checkpoint_dir(seed)
        if not folder.is_dir():
            raise RunDirectoryError(f"{session.run.describe(folder)} not found; train first: archgen train")
