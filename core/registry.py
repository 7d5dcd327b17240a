"""Finding and loading plugins through entry points.

Every component -- ours included -- is declared as an entry point in one of
:data:`GROUPS` and loaded by name with stevedore's ``DriverManager``, which
imports only the chosen plugin. Names come from ``registry.toml`` or the
Python API and act as an allow-list: nothing else is ever imported.

A name that two installed distributions declare in one group is an error
naming both (:class:`archgen.errors.AmbiguousPluginError`); the qualified form
``dist:name`` (``archgen:random``) chooses one, and is accepted wherever a
plugin name is.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from stevedore import DriverManager, ExtensionManager
from stevedore.exception import MultipleMatches, NoMatches

from archgen.errors import (
    AmbiguousPluginError,
    ConfigError,
    PluginContractError,
    PluginLoadError,
    PluginNotFoundError,
)
# Re-exported too: callers imported it from here before it had a module of its own.
from archgen.validation_messages import describe_validation_error

#: Entry-point group of each component slot (the key is the slot name used by
#: :func:`load` and in ``registry.toml``).
GROUPS: dict[str, str] = {
    "space": "archgen.spaces",
    "encoder": "archgen.encoders",
    "quantizer": "archgen.quantizers",
    "prior": "archgen.priors",
    "generator": "archgen.generators",
    "predictor": "archgen.predictors",
    "searcher": "archgen.searchers",
    "dataset": "archgen.datasets",
    "oracle": "archgen.oracles",
    "hooks": "archgen.hooks",
}


class PluginChoice(BaseModel):
    """A plugin chosen by entry-point name, with its own options table."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Slot:
    """Marks an ``Options`` field as a nested plugin choice of a slot.

    ``encoder: Annotated[PluginChoice, Slot("encoder")]`` lets :func:`validate_options`
    check the chosen encoder's name and options together with its parent's, before
    any work starts.
    """

    name: str


@dataclass(frozen=True)
class PluginInfo:
    """One installed entry point, described without importing it."""

    group: str
    name: str
    target: str
    distribution: str
    version: str


def group_of(slot: str) -> str:
    """The entry-point group of a slot name (or of a group name itself).

    Raises:
        ConfigError: If ``slot`` is neither a slot nor a group.
    """
    if slot in GROUPS:
        return GROUPS[slot]
    if slot in GROUPS.values():
        return slot
    raise ConfigError(f"unknown plugin slot {slot!r}; expected one of {sorted(GROUPS)}")


def installed(slot: str) -> list[PluginInfo]:
    """Every entry point of a slot's group, sorted by name; nothing is imported."""
    group = group_of(slot)
    found = []
    for distribution in importlib.metadata.distributions():
        for point in distribution.entry_points:
            if point.group == group:
                found.append(
                    PluginInfo(group, point.name, point.value, distribution.metadata["Name"], distribution.version)
                )
    # The same distribution can be visible twice (e.g. an editable install plus a build dir).
    unique = {(info.name, info.target): info for info in found}
    return sorted(unique.values(), key=lambda info: (info.name, info.distribution))


def names(slot: str) -> list[str]:
    """Names of the installed plugins of a slot."""
    return sorted({info.name for info in installed(slot)})


def split_name(name: str) -> tuple[str | None, str]:
    """Splits a plugin name into its distribution and its entry-point name.

    ``"archgen-foo:random"`` is the plugin ``random`` of the distribution ``archgen-foo``;
    a name without a colon names no distribution.

    Args:
        name: A plugin name, plain or qualified.

    Returns:
        ``(distribution or None, entry-point name)``.
    """
    dist, sep, short = name.rpartition(":")
    return (dist, short) if sep else (None, name)


def _same_distribution(a: str, b: str) -> bool:
    # Distribution names compare as pip compares them (PEP 503: case, '-', '_' and '.' alike).
    def normal(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    return normal(a) == normal(b)


def resolve(slot: str, name: str) -> PluginInfo:
    """The one installed entry point a plain or qualified (``dist:name``) plugin name means; nothing is imported.

    Raises:
        PluginNotFoundError: If no installed entry point matches.
        AmbiguousPluginError: If a plain name is declared by several distributions
            (the message names them and the qualified names that choose one).
    """
    dist, short = split_name(name)
    found = [info for info in installed(slot) if info.name == short]
    if dist is not None:
        found = [info for info in found if _same_distribution(info.distribution, dist)]
    if not found:
        available = names(slot)
        if dist is not None:
            available += [f"{info.distribution}:{info.name}" for info in installed(slot) if info.name == short]
        raise PluginNotFoundError(group_of(slot), name, available)
    distributions = {info.distribution for info in found}
    if len(distributions) > 1:
        raise AmbiguousPluginError(group_of(slot), short, distributions)
    return found[0]


def same_plugin(slot: str, first: str, second: str) -> bool:
    """Whether two plugin names (plain or qualified) mean the same installed entry point.

    A plain name that two distributions declare and a qualified form of it count as the same:
    the qualified one says which was meant.
    """
    if first == second:
        return True
    try:
        return resolve(slot, first) == resolve(slot, second)
    except AmbiguousPluginError:
        # 'random' (ambiguous) and 'archgen:random': the qualified name chooses which one was meant.
        return split_name(first)[1] == split_name(second)[1] and None in (split_name(first)[0], split_name(second)[0])
    except (PluginNotFoundError, PluginLoadError):
        return False


def _distribution_label(slot: str, name: str) -> str | None:
    try:
        info = resolve(slot, name)
    except (PluginNotFoundError, PluginLoadError):
        return None
    return f"{info.distribution} {info.version}"


def plugin_class(slot: str, name: str) -> Any:
    """Imports and returns the class (or object) a plugin name points to.

    A plain name is loaded with stevedore; a qualified ``dist:name`` loads that
    distribution's entry point, which is how a user chooses between two
    distributions that declare the same name.

    Raises:
        PluginNotFoundError: If no installed entry point has that name.
        AmbiguousPluginError: If two distributions declare a plain name.
        PluginLoadError: If importing it fails; the failure is its ``cause`` (and ``__cause__``).
    """
    group = group_of(slot)
    info = resolve(slot, name)
    distribution = f"{info.distribution} {info.version}"
    if split_name(name)[0] is not None:
        return _load_entry_point(info, name, distribution)
    # stevedore memoises each group's entry points per process; forget them so a plugin
    # installed since (pip in a notebook, a test's dist-info) is found.
    ExtensionManager.ENTRY_POINT_CACHE.pop(group, None)
    try:
        manager = DriverManager(group, name, invoke_on_load=False, on_load_failure_callback=_reraise)
    except NoMatches:
        raise PluginNotFoundError(group, name, names(slot)) from None
    except MultipleMatches as error:  # one distribution visible twice with different targets
        raise PluginLoadError(group, name, error, names(slot), distribution=distribution) from error
    except _LoadFailure as failure:
        raise PluginLoadError(group, name, failure.cause, names(slot), distribution=distribution) from failure.cause
    except RuntimeError as error:  # stevedore's "No 'group' driver found"
        if name not in names(slot):
            raise PluginNotFoundError(group, name, names(slot)) from None
        raise PluginLoadError(group, name, error, names(slot), distribution=distribution) from error
    return manager.driver


def _load_entry_point(info: PluginInfo, name: str, distribution: str) -> Any:
    for dist in importlib.metadata.distributions():
        if dist.metadata["Name"] != info.distribution:
            continue
        for point in dist.entry_points:
            if point.group == info.group and point.name == info.name and point.value == info.target:
                try:
                    return point.load()
                except Exception as error:  # noqa: BLE001 - any import failure is the plugin's; it is chained
                    raise PluginLoadError(info.group, name, error, names(info.group), distribution=distribution) from error
    raise PluginNotFoundError(info.group, name, names(info.group))


def options_model(slot: str, name: str) -> type[pydantic.BaseModel] | None:
    """The pydantic ``Options`` class of a plugin, if it declares one."""
    return getattr(plugin_class(slot, name), "Options", None)


def validate_options(slot: str, name: str, options: dict[str, Any] | None, *, within: str = "") -> pydantic.BaseModel | None:
    """Validates raw options against a plugin's ``Options`` model, nested plugin choices included.

    Fields marked with :class:`Slot` are plugin choices themselves; their plugin
    is looked up and their options validated in turn, so the whole tree is
    checked before any work starts.

    Args:
        slot: The plugin's slot.
        name: The plugin's entry-point name.
        options: The raw options.
        within: Where the choice sits (for the message), e.g. ``"generator 'arch_vq' > "``.

    Raises:
        PluginNotFoundError: For an unknown plugin name anywhere in the tree.
        ConfigError: Naming the plugin, the path and every bad key, in one line.
    """
    model = options_model(slot, name)
    where = f"{within}{slot} {name!r}"
    if model is None:
        if options:
            raise ConfigError(f"{where} takes no options, got {sorted(options)}")
        return None
    try:
        validated = model.model_validate(options or {})
    except pydantic.ValidationError as error:
        raise ConfigError(
            f"bad options for {where}: {describe_validation_error(error)} (accepted keys: {sorted(model.model_fields)})"
        ) from None
    for field_name, info in type(validated).model_fields.items():
        nested = next((m for m in info.metadata if isinstance(m, Slot)), None)
        choice = getattr(validated, field_name)
        if nested is not None and isinstance(choice, PluginChoice):
            try:
                validate_options(nested.name, choice.name, choice.options, within=f"{where} > ")
            except (PluginNotFoundError, AmbiguousPluginError) as error:
                raise ConfigError(f"{where} > {field_name}: {error}") from None
    return validated


def check_protocol(slot: str, name: str, instance: Any) -> None:
    """Refuses a plugin instance that lacks members of its slot's protocol.

    Raises:
        PluginContractError: Naming the plugin and each missing member.
    """
    from archgen.protocols import SLOT_PROTOCOLS, missing_members

    protocol = SLOT_PROTOCOLS.get(group_to_slot(group_of(slot)))
    if protocol is None:
        return
    missing = missing_members(instance, protocol)
    if missing:
        raise PluginContractError(group_of(slot), name, protocol.__name__, missing)


def group_to_slot(group: str) -> str:
    """The slot name of an entry-point group (inverse of :func:`group_of`)."""
    return next(slot for slot, g in GROUPS.items() if g == group)


def load(slot: str, name: str, **options: Any) -> Any:
    """Loads and instantiates a plugin by slot and name.

    ``archgen.load("space", name)`` is the Python twin of naming the plugin
    in ``registry.toml``.

    Args:
        slot: One of :data:`GROUPS`' keys (``"space"``, ``"generator"``, ...).
        name: The entry-point name, or ``dist:name`` to choose a distribution's.
        **options: Values for the plugin's ``Options`` model.

    Returns:
        The plugin instance, built as ``cls(options)`` (or ``cls()`` when it
        has no ``Options``).

    Raises:
        PluginNotFoundError: Unknown name (the message lists the choices).
        PluginLoadError: The plugin failed to import or construct.
        PluginContractError: The instance lacks members of the slot's protocol.
        ConfigError: The options do not validate.
    """
    cls = plugin_class(slot, name)
    validated = validate_options(slot, name, options)
    try:
        instance = cls(validated) if validated is not None else cls()
    except (ConfigError, PluginNotFoundError, PluginLoadError):
        raise
    except Exception as error:  # noqa: BLE001 - wrapped so users see which plugin broke
        raise PluginLoadError(group_of(slot), name, error, names(slot), distribution=_distribution_label(slot, name)) from error
    check_protocol(slot, name, instance)
    return instance


class _LoadFailure(Exception):
    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def _reraise(manager: Any, entrypoint: Any, error: BaseException) -> None:
    raise _LoadFailure(error)
