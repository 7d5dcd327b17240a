"""The exceptions archgen raises for problems a user can fix.

Every message is one line that names the bad value and, where there is a
closed set of right answers, lists them. The CLI prints ``str(error)`` and
exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations

from collections.abc import Iterable


def _choices(choices: Iterable[str]) -> str:
    names = sorted(set(choices))
    return "{" + ", ".join(names) + "}" if names else "{} (none installed)"


class ArchgenError(Exception):
    """Base class of every error archgen raises on purpose."""


class PluginNotFoundError(ArchgenError, LookupError):
    """A plugin name that no installed entry point of the group declares."""

    def __init__(self, group: str, name: str, available: Iterable[str]):
        self.group, self.name, self.available = group, name, sorted(set(available))
        super().__init__(
            f"unknown plugin {name!r} in group {group!r}; available: {_choices(self.available)}"
        )


class PluginLoadError(ArchgenError, ImportError):
    """An entry point exists but importing or constructing it failed."""

    def __init__(self, group: str, name: str, cause: BaseException, available: Iterable[str] = ()):
        self.group, self.name, self.cause = group, name, cause
        super().__init__(
            f"plugin {name!r} of group {group!r} failed to load: "
            f"{type(cause).__name__}: {cause} (installed in this group: {_choices(available)})"
        )


class PluginContractError(PluginLoadError):
    """A plugin that loads but lacks members of its slot's protocol."""

    def __init__(self, group: str, name: str, protocol: str, missing: Iterable[str]):
        self.group, self.name, self.missing = group, name, sorted(missing)
        ArchgenError.__init__(
            self,
            f"plugin {name!r} of group {group!r} does not implement {protocol}: missing {', '.join(self.missing)}",
        )


class ConfigError(ArchgenError, ValueError):
    """registry.toml, an environment override or plugin Options are malformed."""


class InvalidArchitectureError(ArchgenError, ValueError):
    """A string, dict or tensor that does not describe an architecture of the space."""


class DataFileError(ArchgenError, ValueError):
    """A benchmark table, cache or other data file that is missing, unknown or corrupt."""


class CheckpointError(ArchgenError, ValueError):
    """A checkpoint that is missing, truncated or belongs to another model."""


class BudgetExhaustedError(ArchgenError, RuntimeError):
    """A query to a :class:`archgen.oracle.BudgetedOracle` past its budget of distinct architectures."""


class RunDirectoryError(ArchgenError, FileExistsError):
    """A run directory that exists (without --overwrite) or lacks a needed artefact."""


class RunNotFoundError(RunDirectoryError):
    """A path that holds no archgen run (no ``config.json``)."""


class RunConfigError(RunDirectoryError):
    """A run whose ``config.json`` is corrupt or not an archgen run configuration."""


class UntrainedSeedError(RunDirectoryError):
    """A replicate seed that the run has no trained checkpoint of."""


def choices_text(choices: Iterable[str]) -> str:
    """Formats a set of accepted values the way every archgen error shows them.

    Args:
        choices: The accepted values.

    Returns:
        ``{a, b, c}`` with the values sorted.
    """
    return _choices(choices)


def clipped(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to about ``limit`` characters, for echoing user input in a message.

    A parser that quotes its whole input would turn a 100 KB paste into a 100 KB error line.

    Args:
        value: The offending input (a string, a key, a list...).
        limit: Characters of the ``repr`` kept.

    Returns:
        The ``repr``, or its first ``limit`` characters followed by ``...(N chars)``.
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"
