"""Builds the pluggy manager from the hook plugins installed as entry points.

Every ``archgen.hooks`` entry point is imported by default. As with pytest's
``PYTEST_DISABLE_PLUGIN_AUTOLOAD``, ``ARCHGEN_DISABLE_PLUGIN_AUTOLOAD=1`` turns that off,
and ``ARCHGEN_PLUGINS=name1,name2`` then names the hook plugins to load anyway, so an
installed package's hooks never run -- never even import -- unless the user asked for them.
"""

from __future__ import annotations

import importlib.metadata
import os

import pluggy

from archgen.errors import PluginLoadError, PluginNotFoundError
from archgen.hooks import specs
from archgen.registry import GROUPS, PluginInfo, installed

#: Set (to anything but ``0``/``false``/``no``) to skip importing every ``archgen.hooks`` entry point.
DISABLE_AUTOLOAD = "ARCHGEN_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated ``archgen.hooks`` entry-point names loaded even when autoloading is off.
EXPLICIT_PLUGINS = "ARCHGEN_PLUGINS"


def hook_manager(extra_plugins: tuple[object, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with the specs, the chosen ``archgen.hooks`` entry points and ``extra_plugins``.

    Args:
        extra_plugins: Objects registered in addition (e.g. a test's recorder).

    Raises:
        PluginNotFoundError: If ``ARCHGEN_PLUGINS`` names a hook plugin that is not installed.
        PluginLoadError: If a hook entry point fails to import or implements an
            unknown hook (the message names the entry point).
    """
    manager = pluggy.PluginManager("archgen")
    manager.add_hookspecs(specs)
    for info in chosen_hook_plugins():
        try:
            plugin = importlib.metadata.EntryPoint(info.name, info.target, info.group).load()
        except Exception as error:  # noqa: BLE001 - a third-party import error of any kind
            raise PluginLoadError(
                info.group, info.name, error, _names(), distribution=f"{info.distribution} {info.version}"
            ) from error
        if manager.get_plugin(info.name) is None:
            manager.register(plugin, name=info.name)
    for plugin in extra_plugins:
        manager.register(plugin)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(GROUPS["hooks"], manager.get_name(error.plugin) or str(error.plugin), error, _names()) from error
    return manager


def chosen_hook_plugins(environ: dict[str, str] | None = None) -> list[PluginInfo]:
    """The hook entry points :func:`hook_manager` imports, given the environment.

    Args:
        environ: The environment (default: ``os.environ``).

    Returns:
        Every installed ``archgen.hooks`` entry point, or -- with autoloading
        disabled -- only those named in ``ARCHGEN_PLUGINS``.

    Raises:
        PluginNotFoundError: For a name in ``ARCHGEN_PLUGINS`` that is not installed.
    """
    environ = os.environ if environ is None else environ
    available = installed("hooks")
    named = [name.strip() for name in environ.get(EXPLICIT_PLUGINS, "").split(",") if name.strip()]
    unknown = [name for name in named if name not in {info.name for info in available}]
    if unknown:
        raise PluginNotFoundError(GROUPS["hooks"], unknown[0], _names())
    if environ.get(DISABLE_AUTOLOAD, "").strip().lower() in ("", "0", "false", "no"):
        return available
    return [info for info in available if info.name in named]


def _names() -> list[str]:
    return sorted({info.name for info in installed("hooks")})
