"""archgen: discrete neural-architecture representation learning and generation.

The public Python API::

    import archgen
    space = archgen.load("space", name)               # any installed space: 'archgen plugins' lists them
    arch = space.from_string(space.to_string(space.sample(1, seed=0)[0]))

    run = archgen.open_run("runs/default")            # a run made by 'archgen train'
    batch = run.generator(run.trained_seeds[0]).sample(run.space, 100, seed=0)
"""

from archgen.architecture import Architecture
from archgen.errors import (
    ArchgenError,
    BudgetExhaustedError,
    CheckpointError,
    ConfigError,
    DataFileError,
    InvalidArchitectureError,
    PluginContractError,
    PluginLoadError,
    PluginNotFoundError,
    PluginOutputError,
    RunConfigError,
    RunDirectoryError,
    RunNotFoundError,
    UntrainedSeedError,
)
from archgen.registry import GROUPS, installed, load, names
from archgen.runs import Run, RunConfig, open_run
from archgen.runtime import Runtime

__version__ = "0.1.0"

__all__ = [
    "GROUPS",
    "Architecture",
    "ArchgenError",
    "BudgetExhaustedError",
    "CheckpointError",
    "ConfigError",
    "DataFileError",
    "InvalidArchitectureError",
    "PluginContractError",
    "PluginLoadError",
    "PluginNotFoundError",
    "PluginOutputError",
    "Run",
    "RunConfig",
    "RunConfigError",
    "RunDirectoryError",
    "RunNotFoundError",
    "Runtime",
    "UntrainedSeedError",
    "installed",
    "load",
    "names",
    "open_run",
]
