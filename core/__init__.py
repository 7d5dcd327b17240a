"""archgen: discrete neural-architecture representation learning and generation.

The public Python API::

    import archgen
    space = archgen.load("space", "nb201")
    arch = space.from_string("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|none~1|none~2|")
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
    RunDirectoryError,
)
from archgen.registry import GROUPS, installed, load, names
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
    "RunDirectoryError",
    "Runtime",
    "installed",
    "load",
    "names",
]
