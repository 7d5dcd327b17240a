"""``archgen plugins``: the installed plugins, whether each imports, its contract checks and its options."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic_core import PydanticUndefined

from archgen.errors import ArchgenError, PluginLoadError, PluginNotFoundError
from archgen.hooks.manager import chosen_hook_plugins
from archgen.registry import GROUPS, PluginInfo, installed, names, plugin_class, resolve


@dataclass(frozen=True)
class Row:
    """One installed plugin as ``archgen plugins`` lists it.

    Attributes:
        slot: Its slot (``"space"``, ``"generator"``, ...).
        info: Its entry point.
        problem: Why it is broken (one line), or ``""``.
        error: The exception its import raised, if it did not import (``--debug`` prints it).
    """

    slot: str
    info: PluginInfo
    problem: str = ""
    error: BaseException | None = None


def plugin_rows(check: bool = False) -> list[Row]:
    """Every installed plugin, imported, with the reason it is broken if it is.

    A hook plugin that autoloading leaves out (``ARCHGEN_DISABLE_PLUGIN_AUTOLOAD``) is not imported.

    Args:
        check: Also run the cheap contract checks (:func:`contract_problems`) on each class.
    """
    rows = []
    allowed_hooks = {info.name for info in _allowed_hooks()}
    for slot in GROUPS:
        for info in installed(slot):
            if slot == "hooks" and info.name not in allowed_hooks:
                rows.append(Row(slot, info))
                continue
            rows.append(_row(slot, info, check))
    return rows


def _allowed_hooks() -> list[PluginInfo]:
    try:
        return chosen_hook_plugins()
    except PluginNotFoundError:
        return []


def _row(slot: str, info: PluginInfo, check: bool) -> Row:
    name = info.name if _unique(slot, info) else f"{info.distribution}:{info.name}"
    try:
        cls = plugin_class(slot, name)
    except PluginLoadError as error:
        return Row(slot, info, load_reason(error), error)
    except ArchgenError as error:
        return Row(slot, info, str(error), error)
    return Row(slot, info, "; ".join(contract_problems(slot, cls)) if check else "")


def _unique(slot: str, info: PluginInfo) -> bool:
    return len({i.distribution for i in installed(slot) if i.name == info.name}) == 1


def load_reason(error: PluginLoadError) -> str:
    """The one-line reason a plugin does not import: the exception, its message and the plugin's line."""
    cause = getattr(error, "cause", None)
    if cause is None:
        return str(error)
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else "(no message)"
    location = getattr(error, "location", None)
    return f"{type(cause).__name__}: {text}" + (f" at {location}" if location else "")


def contract_problems(slot: str, cls: Any) -> list[str]:
    """The cheap contract checks of a plugin class, without building it.

    Checks that the class has every member of its slot's protocol (class attributes,
    methods, or annotated instance attributes), an ``Options`` pydantic model with
    ``extra="forbid"``, and -- for a generator -- a ``SamplingOptions`` one too.

    Args:
        slot: The plugin's slot.
        cls: The class the entry point names.

    Returns:
        One line per broken rule (empty when the class passes).
    """
    from archgen.protocols import SLOT_PROTOCOLS, missing_members

    problems = []
    protocol = SLOT_PROTOCOLS.get(slot)
    if protocol is not None:
        # A data member may be set in __init__; only methods can be checked without building the plugin.
        missing = [member for member in missing_members(cls, protocol) if callable(getattr(protocol, member, None))]
        if missing:
            problems.append(f"does not implement {protocol.__name__}: missing {', '.join(missing)}")
    if slot != "hooks":
        problems += _model_problems(cls, "Options", required=False)
    if slot == "generator":
        problems += _model_problems(cls, "SamplingOptions", required=True)
    return problems


def _model_problems(cls: Any, attribute: str, *, required: bool) -> list[str]:
    model = getattr(cls, attribute, None)
    if model is None:
        if required and attribute not in _annotations(cls):  # an annotated one is set in __init__
            return [f"has no {attribute} (a pydantic model with extra='forbid')"]
        return []
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return [f"{attribute} is {model!r}, not a pydantic BaseModel subclass"]
    extra = model.model_config.get("extra") or "ignore"  # pydantic's default drops unknown keys silently
    if extra != "forbid":
        return [f"{attribute} {model.__name__} has extra={extra!r}; it needs model_config = ConfigDict(extra='forbid')"]
    return []


def _annotations(cls: Any) -> set[str]:
    return {key for klass in getattr(cls, "__mro__", ()) for key in getattr(klass, "__annotations__", {})}


def plugins_table(rows: list[Row] | None = None) -> str:
    """Every installed plugin by group: name, class, distribution and version, and ``BROKEN: why`` where broken."""
    rows = plugin_rows() if rows is None else rows
    lines = []
    for slot, group in GROUPS.items():
        lines.append(f"{group}")
        found = [row for row in rows if row.slot == slot]
        if not found:
            lines.append("  (none installed)")
        width = max((len(row.info.name) for row in found), default=0)
        target_width = max((len(row.info.target) for row in found), default=0)
        for row in found:
            info = row.info
            line = f"  {info.name.ljust(width)}  {info.target.ljust(target_width)}  {info.distribution} {info.version}"
            lines.append(f"{line}  BROKEN: {row.problem}" if row.problem else line)
    return "\n".join(lines)


def plugin_options_text(name: str) -> str:
    """A plugin's options and sampling options, with their types and defaults, for each slot that has ``name``.

    Args:
        name: A plain or qualified (``dist:name``) plugin name.

    Raises:
        PluginNotFoundError: If no slot has a plugin of that name.
        PluginLoadError: If it does not import.
    """
    blocks = []
    for slot in GROUPS:
        if slot == "hooks":
            continue
        try:
            info = resolve(slot, name)
        except PluginNotFoundError:
            continue
        cls = plugin_class(slot, name)
        lines = [f"{slot} {name!r}: {info.target} ({info.distribution} {info.version})"]
        table = {"oracle": "search.oracle", "dataset": "search.oracle.options.dataset"}.get(slot, slot)  # where it is chosen
        lines += _model_lines("options", getattr(cls, "Options", None), f"[{table}.options]")
        if slot == "generator":
            lines += _model_lines("sampling options", getattr(cls, "SamplingOptions", None), "[evaluate.sampling], --sampling KEY=VALUE")
        blocks.append("\n".join(lines))
    if not blocks:
        every = sorted({n for slot in GROUPS if slot != "hooks" for n in names(slot)})
        raise PluginNotFoundError("any plugin group", name, every)
    return "\n\n".join(blocks)


def _model_lines(title: str, model: Any, where: str) -> list[str]:
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return [f"  {title}: none on the class (a generator may set them when built, e.g. from its prior)"]
    if not model.model_fields:
        return [f"  {title} ({where}): none"]
    lines = [f"  {title} ({where}):"]
    for field, info in model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = "required" if default is PydanticUndefined else f"default {_json(default)}"
        lines.append(f"    {field}: {type_name(info.annotation)} ({shown})")
    return lines


def _json(value: Any) -> str:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, default=str)


def type_name(annotation: Any) -> str:
    """A readable name of a type annotation: ``int``, ``float | None``, ``list[Path]``, ``Literal['a', 'b']``."""
    if annotation is None or annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in args)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(arg) for arg in args) + "]"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(arg) for arg in args)}]"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))
