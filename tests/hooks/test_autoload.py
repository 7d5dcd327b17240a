"""Hook entry points can be kept from importing (issue 8, item 11), as pytest's PYTEST_DISABLE_PLUGIN_AUTOLOAD.

``ARCHGEN_DISABLE_PLUGIN_AUTOLOAD=1`` stops every ``archgen.hooks`` entry point from being
imported; ``ARCHGEN_PLUGINS=a,b`` lets the named ones through.
"""

import sys

import pytest

from archgen import PluginLoadError, PluginNotFoundError
from archgen.hooks import hook_manager

PLUGIN = """
import json
from archgen.hooks import hookimpl

IMPORTED = True

@hookimpl
def archgen_epoch_end(stage, epoch, logs):
    with open({log!r}, "a") as handle:
        handle.write(json.dumps([{tag!r}, stage, epoch]) + "\\n")
"""


@pytest.fixture
def two_hook_plugins(install_plugin, tmp_path):
    """Installs hook plugins 'alpha' and 'beta' (one distribution); returns the log they write to."""
    log = tmp_path / "hooks.jsonl"
    log.touch()
    install_plugin("archgen_hook_alpha", PLUGIN.format(log=str(log), tag="alpha"), {}, dist="archgen-alpha")
    install_plugin(
        "archgen_hook_beta",
        PLUGIN.format(log=str(log), tag="beta"),
        {"archgen.hooks": {"alpha": "archgen_hook_alpha", "beta": "archgen_hook_beta"}},
        dist="archgen-beta",
    )
    return log


def _fire(manager, log):
    manager.hook.archgen_epoch_end(stage="vqvae", epoch=1, logs={})
    return sorted(line.split('"')[1] for line in log.read_text().splitlines())


def test_every_hook_entry_point_loads_by_default(two_hook_plugins, monkeypatch):
    monkeypatch.delenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("ARCHGEN_PLUGINS", raising=False)
    assert _fire(hook_manager(), two_hook_plugins) == ["alpha", "beta"]


def test_disabling_autoload_imports_no_hook_entry_point(two_hook_plugins, monkeypatch):
    monkeypatch.setenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("ARCHGEN_PLUGINS", raising=False)
    manager = hook_manager()
    assert _fire(manager, two_hook_plugins) == []
    assert "archgen_hook_alpha" not in sys.modules and "archgen_hook_beta" not in sys.modules
    assert manager.get_plugin("alpha") is None and manager.get_plugin("beta") is None


def test_explicitly_named_plugins_load_with_autoload_disabled(two_hook_plugins, monkeypatch):
    monkeypatch.setenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("ARCHGEN_PLUGINS", " beta ,")
    manager = hook_manager()
    assert _fire(manager, two_hook_plugins) == ["beta"]
    assert "archgen_hook_alpha" not in sys.modules
    assert manager.get_plugin("beta") is sys.modules["archgen_hook_beta"]


@pytest.mark.parametrize("value", ["0", "", "false"])
def test_falsy_values_leave_autoload_on(two_hook_plugins, monkeypatch, value):
    monkeypatch.setenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", value)
    assert _fire(hook_manager(), two_hook_plugins) == ["alpha", "beta"]


def test_unknown_explicit_plugin_lists_the_installed_ones(two_hook_plugins, monkeypatch):
    monkeypatch.setenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("ARCHGEN_PLUGINS", "beta,gamma")
    with pytest.raises(PluginNotFoundError, match=r"unknown plugin 'gamma' in group 'archgen.hooks'; available: \{.*alpha, beta.*\}"):
        hook_manager()


def test_a_hook_plugin_that_fails_to_import_is_named(install_plugin, monkeypatch):
    monkeypatch.delenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    install_plugin("archgen_hook_broken", "raise RuntimeError('boom')\n", {"archgen.hooks": {"broken": "archgen_hook_broken"}})
    with pytest.raises(PluginLoadError, match=r"plugin 'broken' of group 'archgen.hooks' failed to load: RuntimeError: boom"):
        hook_manager()
    # ... and disabling autoload is the way around it.
    monkeypatch.setenv("ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", "1")
    hook_manager()
