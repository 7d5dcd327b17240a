"""Builds the pluggy manager with every hook plugin installed as an entry point."""

from __future__ import annotations

import pluggy

from archgen.errors import PluginLoadError
from archgen.hooks import specs
from archgen.registry import GROUPS, names


def hook_manager(extra_plugins: tuple[object, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with the specs, the ``archgen.hooks`` entry points and ``extra_plugins``.

    Args:
        extra_plugins: Objects registered in addition (e.g. a test's recorder).

    Raises:
        PluginLoadError: If a hook entry point fails to import or implements an
            unknown hook.
    """
    manager = pluggy.PluginManager("archgen")
    manager.add_hookspecs(specs)
    try:
        manager.load_setuptools_entrypoints(GROUPS["hooks"])
    except Exception as error:  # noqa: BLE001 - a third-party import error of any kind
        raise PluginLoadError(GROUPS["hooks"], "<hooks>", error, names("hooks")) from error
    for plugin in extra_plugins:
        manager.register(plugin)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(GROUPS["hooks"], str(error.plugin), error, names("hooks")) from None
    return manager
