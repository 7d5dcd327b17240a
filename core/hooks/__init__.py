"""Lifecycle hooks (pluggy). Components are chosen by entry points, not here."""

from archgen.hooks.manager import hook_manager
from archgen.hooks.specs import hookimpl, hookspec

__all__ = ["hook_manager", "hookimpl", "hookspec"]
