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
from pathlib import Path
from typing import Any

import torch

from archgen import runs
from archgen.config import RegistryConfig, RunSection, validate_plugins
from archgen.errors import ConfigError, PluginNotFoundError
from archgen.generation import NoSamplingOptions, validate_sampling
from archgen.hooks import hook_manager
from archgen.pipeline import dataset as datasets
from archgen.pipeline.rundir import StagedRun, link_tree
from archgen.registry import load
from archgen.runs import Run, RunConfig, RunDirectory
from archgen.runtime import Runtime


class Session:
    """Everything a step needs.

    Args:
        command: The command's name (for the hooks).
        run: The run directory being written (the staging folder while the command runs).
        config: The run's configuration (a JSON dict as ``config.json`` holds is validated into one).
        runtime: Device, threads, precision, rank.
        space: The loaded search space.
        hooks: The pluggy hook caller.
        summary: Figures handed to ``archgen_run_end``.

    Attributes:
        run_config: The typed configuration (:class:`archgen.runs.RunConfig`), the one the steps read.
    """

    def __init__(self, command: str, run: RunDirectory, config: RunConfig | dict[str, Any], runtime: Runtime,
                 space: Any, hooks: Any, summary: dict[str, Any] | None = None):
        self.command, self.run, self.runtime, self.space, self.hooks = command, run, runtime, space, hooks
        self.run_config = config if isinstance(config, RunConfig) else RunConfig.model_validate(config)
        self.summary: dict[str, Any] = summary if summary is not None else {}
        self._dataset: datasets.Dataset | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The configuration's JSON form, every default filled in: what the hooks receive.

        A fresh dict each time (changing it changes nothing). Third-party hook
        implementations receive this dict; the steps read :attr:`run_config`.
        """
        return self.run_config.to_json()

    def as_run(self) -> Run:
        """The (staged) run as the run layer sees it: trained seeds, checkpoints, generators."""
        return Run(self.run, self.run_config, self.space)

    @property
    def seeds(self) -> list[int]:
        """The run's replicates (what ``train`` trains, ``generate`` samples)."""
        return list(self.run_config.seeds_trained)

    def dataset(self) -> datasets.Dataset:
        """The run's architectures and its saved split."""
        if self._dataset is None:
            # A run made before the named data stream has no "data_stream": it was drawn with stream 1.
            archs = datasets.collect(self.space, self.run_config.data, stream=self.run_config.data_stream)
            train, heldout = self.run.read_split(len(archs))
            self._dataset = datasets.Dataset(archs, train, heldout)
        return self._dataset

    @property
    def generator_name(self) -> str:
        """The ``[generator]``'s plugin name, as samples, sweeps and metrics record it.

        Raises:
            ConfigError: If the run names no ``[generator]``.
        """
        return self.as_run().generator_choice().name

    def new_generator(self) -> Any:
        """An untrained generator as configured."""
        return self.as_run().new_generator()

    def generator(self, seed: int) -> Any:
        """The trained generator of one replicate, on the session's runtime."""
        return self.as_run().load_generator(seed, self.runtime)

    def sampling(self, overrides: dict[str, Any] | None = None, generator: Any = None) -> dict[str, Any]:
        """The run's ``[evaluate.sampling]`` with ``overrides`` applied, validated by the generator.

        Raises:
            ConfigError: Naming the bad key or value and the accepted keys.
        """
        return self.as_run().sampling(overrides, generator)

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
    run = config.run.model_dump(mode="json")
    if device is not None:
        run["device"] = device
    evaluate = config.evaluate.model_dump(mode="json")
    if config.evaluate.baseline:
        _check_baseline(config.evaluate.baseline)
    if config.generator is not None:
        evaluate["sampling"] = _resolved_sampling(config.generator.name, plugins["generator"]["options"],
                                                  config.evaluate.sampling)
    return {
        "format": "archgen.run-config/2",
        "run": run,
        **{section: plugins.get(section) for section in ("space", "generator", "predictor", "searcher")},
        "data": config.data.model_dump(mode="json"),
        "evaluate": evaluate,
        "predict": config.predict.model_dump(mode="json"),
        "search": _search_section(config, plugins),
        "seeds_trained": [config.run.seed + k for k in range(seeds)],
        "environment": {"archgen": _version(), "torch": torch.__version__, "python": platform.python_version()},
    }


def _search_section(config: RegistryConfig, plugins: dict[str, Any]) -> dict[str, Any]:
    """``[search]`` with its oracle plugin's options validated (defaults filled in, paths resolved)."""
    search = config.search.model_dump(mode="json")
    if "search_oracle" in plugins:
        search["oracle"] = plugins["search_oracle"]
    return search


def _check_baseline(name: str) -> None:
    """Refuses an ``[evaluate] baseline`` that names no installed generator.

    Raises:
        ConfigError: Naming the section and the unknown plugin.
    """
    from archgen.registry import plugin_class

    try:
        plugin_class("generator", name)
    except PluginNotFoundError as error:
        raise ConfigError(f"[evaluate] baseline: {error}") from None


def _resolved_sampling(generator: str, options: dict[str, Any], sampling: dict[str, Any]) -> dict[str, Any]:
    """``[evaluate.sampling]`` validated by the generator's ``SamplingOptions``, defaults filled in.

    Args:
        generator: The ``[generator]``'s plugin name.
        options: Its validated options.
        sampling: The registry's ``[evaluate.sampling]``.

    Raises:
        ConfigError: Naming the generator and the bad key or value.
    """
    model = getattr(load("generator", generator, **options), "SamplingOptions", NoSamplingOptions)
    try:
        return validate_sampling(model, sampling).model_dump(mode="json")
    except ConfigError as error:
        raise ConfigError(f"[evaluate.sampling] of generator {generator!r}: {error}") from None


def read_run_config(run: RunDirectory) -> dict[str, Any]:
    """The saved configuration of a run as a JSON dict, every default filled in.

    For callers that still index the configuration by key; new code opens the run
    with :func:`archgen.open_run` and reads its typed ``config``.

    Raises:
        RunDirectoryError: If ``config.json`` is missing, corrupt or of the wrong shape.
    """
    return runs.read_run_config(run).to_json()


def _version() -> str:
    from archgen import __version__

    return __version__


def _runtime(run_section: RunSection, device: str | None) -> Runtime:
    return Runtime.resolve(device or run_section.device, run_section.threads, run_section.precision)


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
    # A new run's configuration comes from resolve_config (already checked); an existing one from its config.json.
    config = runs.read_run_config(RunDirectory(run_dir)) if resolved is None else RunConfig.model_validate(resolved)
    runtime = _runtime(config.run, device)
    space = load("space", config.space.name, **config.space.options)
    if not runtime.is_main:
        # Under torchrun only rank 0 stages, locks and commits; the other ranks train into a
        # private scratch copy that is discarded, and fire no run hooks.
        with tempfile.TemporaryDirectory(prefix="archgen-rank-") as scratch:
            run = RunDirectory(scratch, shown=run_dir)
            if resolved is None:
                link_tree(Path(run_dir), Path(scratch))
            else:
                runs.write_run_config(run, config)
            yield Session(command, run, config, runtime, space, hooks)
        return
    staged = StagedRun(run_dir, overwrite=overwrite, update=resolved is None)
    with staged as run:
        run.shown = Path(run_dir)
        session = Session(command, run, config, runtime, space, hooks)
        if resolved is not None:
            runs.write_run_config(run, config)
        hooks.archgen_run_start(command=command, config=session.config, run_dir=str(run_dir))
        yield session
    session.run = RunDirectory(run_dir)
    hooks.archgen_run_end(command=command, run_dir=str(run_dir), summary=session.summary)


def require_trained(session: Session) -> None:
    """Refuses to sample from a run whose replicates were never trained.

    Raises:
        RunDirectoryError: Naming the missing checkpoint folder.
    """
    session.as_run().require_trained()
