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
    """An entry point exists but importing or constructing it failed.

    The error is raised ``from`` its cause, so ``archgen --debug`` (or ``ARCHGEN_DEBUG=1``)
    shows the whole traceback, the plugin's own frames included.

    Attributes:
        group: The entry-point group.
        name: The plugin name asked for.
        cause: The exception the plugin raised (``None`` for a refusal of archgen's own,
            e.g. :class:`PluginContractError`).
        distribution: ``"<name> <version>"`` of the distribution that declares the plugin, if known.
        location: ``"<file>:<line>"`` of the deepest frame of the cause outside archgen's core
            and importlib -- where the plugin failed -- if the traceback has one.
    """

    def __init__(
        self, group: str, name: str, cause: BaseException, available: Iterable[str] = (), *, distribution: str | None = None
    ):
        self.group, self.name, self.cause, self.distribution = group, name, cause, distribution
        self.location = failure_location(cause)
        where = f" at {self.location}" if self.location else ""
        dist = f"distribution {distribution}; " if distribution else ""
        super().__init__(
            f"plugin {name!r} of group {group!r} failed to load: {type(cause).__name__}: {_one_line(cause)}{where} "
            f"({dist}installed in this group: {_choices(available)}; archgen --debug shows the traceback)"
        )


class AmbiguousPluginError(PluginLoadError, LookupError):
    """A plugin name that two or more installed distributions declare in the same group.

    Attributes:
        group: The entry-point group.
        name: The plugin name asked for.
        distributions: The distributions declaring it, sorted.
    """

    def __init__(self, group: str, name: str, distributions: Iterable[str]):
        self.group, self.name, self.cause, self.location = group, name, None, None
        self.distributions = sorted(set(distributions))
        self.distribution = None
        qualified = " or ".join(repr(f"{dist}:{name}") for dist in self.distributions)
        ArchgenError.__init__(
            self,
            f"plugin name {name!r} of group {group!r} is declared by {len(self.distributions)} distributions "
            f"({', '.join(self.distributions)}); choose one with a qualified name DISTRIBUTION:NAME, e.g. {qualified}",
        )


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


def failure_location(error: BaseException | None) -> str | None:
    """Where a plugin failed: ``"<file>:<line>"`` of the deepest frame outside archgen's core and importlib.

    A failed import's traceback ends in importlib's machinery and starts in archgen's
    registry; the frame in between that is deepest is the plugin's own line (a
    ``SyntaxError`` names its file and line itself).

    Args:
        error: The exception a plugin raised.

    Returns:
        ``"path/to/module.py:12"``, or ``None`` when no frame is outside archgen's core.
    """
    if error is None:
        return None
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    import importlib
    import os
    import traceback

    skipped = tuple(
        os.path.dirname(os.path.abspath(path)) + os.sep
        for path in (__file__, importlib.__file__ or "")
    )
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        filename = frame.filename
        if filename.startswith("<frozen") or os.path.abspath(filename).startswith(skipped):
            continue
        if f"{os.sep}stevedore{os.sep}" in filename:
            continue
        return f"{filename}:{frame.lineno}"
    return None


class PluginContractError(PluginLoadError):
    """A plugin that loads but lacks members of its slot's protocol."""

    def __init__(self, group: str, name: str, protocol: str, missing: Iterable[str]):
        self.group, self.name, self.missing = group, name, sorted(missing)
        ArchgenError.__init__(
            self,
            f"plugin {name!r} of group {group!r} does not implement {protocol}: missing {', '.join(self.missing)}",
        )


class PluginOutputError(ArchgenError, ValueError):
    """A plugin that loaded but returned something its slot's contract forbids (checked as it enters archgen).

    Attributes:
        plugin: Who broke it, e.g. ``generator 'bad' (archgen-bad 1.2.3)``.
        contract: The contract broken, e.g. ``SampleBatch``.
        rule: The rule broken, naming the bad value.
    """

    def __init__(self, plugin: object, contract: str, rule: str):
        self.plugin, self.contract, self.rule = plugin, contract, rule
        super().__init__(f"{plugin} broke the {contract} contract: {rule}")


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
