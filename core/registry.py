"""Finding and loading plugins through entry points.

Every component -- ours included -- is declared as an entry point in one of
:data:`GROUPS` and loaded by name with stevedore's ``DriverManager``, which
imports only the chosen plugin. Names come from ``registry.toml`` or the
Python API and act as an allow-list: nothing else is ever imported.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from stevedore import DriverManager, ExtensionManager
from stevedore.exception import MultipleMatches, NoMatches

from archgen.errors import ConfigError, PluginContractError, PluginLoadError, PluginNotFoundError
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


def plugin_class(slot: str, name: str) -> Any:
    """Imports and returns the class (or object) a plugin name points to.

    Raises:
        PluginNotFoundError: If no installed entry point has that name.
        PluginLoadError: If importing it fails, or two distributions claim it.
    """
    group = group_of(slot)
    # stevedore memoises each group's entry points per process; forget them so a plugin
    # installed since (pip in a notebook, a test's dist-info) is found.
    ExtensionManager.ENTRY_POINT_CACHE.pop(group, None)
    try:
        manager = DriverManager(group, name, invoke_on_load=False, on_load_failure_callback=_reraise)
    except NoMatches:
        raise PluginNotFoundError(group, name, names(slot)) from None
    except MultipleMatches as error:
        raise PluginLoadError(group, name, error, names(slot)) from None
    except _LoadFailure as failure:
        raise PluginLoadError(group, name, failure.cause, names(slot)) from None
    except RuntimeError as error:  # stevedore's "No 'group' driver found"
        if name not in names(slot):
            raise PluginNotFoundError(group, name, names(slot)) from None
        raise PluginLoadError(group, name, error, names(slot)) from None
    return manager.driver


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
            except PluginNotFoundError as error:
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
        name: The entry-point name.
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
        raise PluginLoadError(group_of(slot), name, error, names(slot)) from error
    check_protocol(slot, name, instance)
    return instance


class _LoadFailure(Exception):
    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def _reraise(manager: Any, entrypoint: Any, error: BaseException) -> None:
    raise _LoadFailure(error)
