"""Issue 27 at the plugin boundary, from the command line: debuggable loads, ``archgen plugins``
(``BROKEN``, ``--check``, ``NAME``), names two distributions declare, and honest flags.

Each broken plugin is a distribution the test builds (the ``install_plugin`` fixture, as
``tests/pipeline/test_third_party.py`` does), so nothing in archgen knows it.
"""

from __future__ import annotations

import gzip
import json
import sys
import textwrap
from pathlib import Path

import pytest

import archgen
from archgen import PluginLoadError
from archgen.cli.main import build_parser, main
from archgen.errors import AmbiguousPluginError

#: A searcher that reaches into a helper module whose own import fails (the ImportError two modules deep).
DEEP_ENTRY = """
from archgen_deep_helpers import propose


class DeepSearch:
    def search(self, space, oracle, *, seed=0, runtime=None):
        return propose()
"""
DEEP_HELPERS = """
import math

from archgen_deep_missing_dependency import sampler  # line 4: the plugin's bug


def propose():
    return sampler()
"""


@pytest.fixture
def deep_plugin(install_plugin, tmp_path, monkeypatch) -> Path:
    """``archgen-deep``: a searcher ``deep`` whose helper module imports a package that is not installed."""
    install_plugin("archgen_deep", DEEP_ENTRY, {"archgen.searchers": {"deep": "archgen_deep:DeepSearch"}}, dist="archgen-deep")
    helpers = tmp_path / "site" / "archgen_deep_helpers.py"
    helpers.write_text(textwrap.dedent(DEEP_HELPERS))
    monkeypatch.delitem(sys.modules, "archgen_deep_helpers", raising=False)
    return helpers


def test_an_import_error_two_modules_deep_names_the_plugin_its_distribution_and_its_line(deep_plugin):
    with pytest.raises(PluginLoadError) as caught:
        archgen.load("searcher", "deep")
    error = caught.value
    assert isinstance(error.cause, ModuleNotFoundError) and error.cause.name == "archgen_deep_missing_dependency"
    assert error.__cause__ is error.cause  # chained (raise ... from the plugin's error), not hidden
    assert error.location == f"{deep_plugin}:4"
    assert error.distribution == "archgen-deep 1.2.3"
    message = str(error)
    assert message.startswith(
        "plugin 'deep' of group 'archgen.searchers' failed to load: ModuleNotFoundError: "
        f"No module named 'archgen_deep_missing_dependency' at {deep_plugin}:4 (distribution archgen-deep 1.2.3; "
    )
    assert "generation.py" not in message and "\n" not in message


def test_debug_prints_the_traceback_with_the_plugin_frame_instead_of_one_line(deep_plugin, tmp_path, capsys, monkeypatch):
    registry = tmp_path / "registry.toml"
    registry.write_text('[space]\nname = "nb201"\n[searcher]\nname = "deep"\n')
    assert main(["search", "--config", str(registry), "--run-dir", str(tmp_path / "run")]) == 2
    plain = capsys.readouterr().err
    assert plain.count("\n") == 1 and plain.startswith("archgen: error: plugin 'deep' of group 'archgen.searchers'")
    assert f"{deep_plugin}:4" in plain

    for argv, env in ((["--debug", "search"], None), (["search", "--debug"], None), (["search"], "1")):
        if env:
            monkeypatch.setenv("ARCHGEN_DEBUG", env)
        assert main([*argv, "--config", str(registry), "--run-dir", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert f'File "{deep_plugin}", line 4' in err  # the plugin's own frame
        assert "ModuleNotFoundError: No module named 'archgen_deep_missing_dependency'" in err
        assert "The above exception was the direct cause" in err
        assert "archgen.errors.PluginLoadError: plugin 'deep'" in err
    assert not (tmp_path / "run").exists()


def test_debug_is_documented_in_help(capsys):
    assert "--debug" in build_parser().format_help() and "ARCHGEN_DEBUG" in build_parser().format_help()


def test_plugins_marks_a_plugin_that_cannot_import_and_fails(deep_plugin, capsys):
    assert main(["plugins"]) == 2
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if line.split()[:1] == ["deep"]]
    assert line.split()[1:4] == ["archgen_deep:DeepSearch", "archgen-deep", "1.2.3"]
    assert line.split("BROKEN: ")[1] == (
        f"ModuleNotFoundError: No module named 'archgen_deep_missing_dependency' at {deep_plugin}:4"
    )
    assert err == "archgen: error: 1 plugin(s) broken: searcher 'deep' (archgen-deep); archgen --debug plugins prints the tracebacks\n"
    # Every other plugin still imports: only the broken one is marked.
    assert out.count("BROKEN") == 1
    assert main(["--debug", "plugins"]) == 2
    err = capsys.readouterr().err
    assert f'File "{deep_plugin}", line 4' in err and err.endswith("broken: searcher 'deep' (archgen-deep)\n")


def test_plugins_check_lists_a_missing_protocol_member_and_a_loose_options_model(install_plugin, capsys):
    install_plugin(
        "archgen_half",
        """
        from pydantic import BaseModel


        class LooseOptions(BaseModel):  # extra keys would be ignored without a word
            depth: int = 2


        class HalfGenerator:
            Options = LooseOptions

            def fit(self, space, train, **context):
                return {}

            def sample(self, space, n, *, seed=0, **sampling):
                return None
        """,
        {"archgen.generators": {"half": "archgen_half:HalfGenerator"}},
        dist="archgen-half",
    )
    assert main(["plugins"]) == 0  # it imports: only --check looks at its contract
    capsys.readouterr()
    assert main(["plugins", "--check"]) == 2
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if line.split()[:1] == ["half"]]
    assert line.split("BROKEN: ")[1] == (
        "does not implement Generator: missing load, save; "
        "Options LooseOptions has extra='ignore'; it needs model_config = ConfigDict(extra='forbid'); "
        "has no SamplingOptions (a pydantic model with extra='forbid')"
    )
    assert err == "archgen: error: 1 plugin(s) broken: generator 'half' (archgen-half)\n"


def test_plugins_check_passes_every_first_party_plugin(capsys):
    assert main(["plugins", "--check"]) == 0
    assert "pass the contract checks" in capsys.readouterr().out


def test_plugins_name_shows_options_and_sampling_options_with_defaults(capsys):
    assert main(["plugins", "pnag"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("generator 'pnag': archgen.plugins.generators.pnag.generator:PNAG (archgen ")
    assert "    codebook_size: int (default 128)" in out
    assert "  sampling options ([evaluate.sampling], --sampling KEY=VALUE):" in out
    assert "    temperature: float (default 1.0)" in out and "    top_k: int | None (default null)" in out
    assert main(["plugins", "--show", "archgen:random"]) == 0
    assert "    batch: int (default 256)" in capsys.readouterr().out
    assert main(["plugins", "nope"]) == 2
    assert "unknown plugin 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "generate", "sweep", "analyze"])
def test_help_lists_only_generic_sampling_flags_but_the_shorthands_still_parse(command, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--help"])
    text = capsys.readouterr().out
    for flag in ("--temperature ", "--top-k", "--top-p", "--temperatures"):
        assert flag not in text
    if command != "sweep":
        assert "--sampling KEY=VALUE" in text
        args = parser.parse_args([command, *(["r", "x"] if command == "analyze" else []), "--temperature", "1.5", "--top-k", "3"])
        assert (args.temperature, args.top_k) == (1.5, 3)
    else:
        assert parser.parse_args(["sweep", "--temperatures", "1,2"]).temperatures == "1,2"


# -- names two distributions declare ------------------------------------------------------------

FAKE_RANDOM = """
from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShadowRandom:
    Options = Options

    def __init__(self, options=None):
        self.options = options

    def search(self, space, oracle, *, seed=0, runtime=None):
        raise RuntimeError("the shadowing searcher must not run")
"""


@pytest.fixture
def labelled_registry(tmp_path) -> Path:
    """A search registry on NB201 with a 40-row table of the test's own (no shared data)."""
    space = archgen.load("space", "nb201")
    table = tmp_path / "toy.csv.gz"
    with gzip.open(table, "wt", encoding="utf-8") as handle:
        handle.write("index,arch_str,cifar10/test@200\n")
        for index, arch in enumerate(space.sample(40, seed=0)):
            handle.write(f"{index},{space.to_string(arch)},{index % 9}\n")
    registry = tmp_path / "registry.toml"
    registry.write_text(
        f'[run]\nname = "s"\nruns_dir = "{(tmp_path / "runs").as_posix()}"\ndevice = "cpu"\n'
        f'[space]\nname = "nb201"\n[space.options]\nbenchmark = "{table.as_posix()}"\n'
        '[searcher]\nname = "random"\noptions = { batch = 4 }\n'
        '[search]\nreport = "cifar10/test@200"\nbudget = 5\ntrials = 1\ncheckpoints = [5]\npool = "labelled"\n'
    )
    return registry


def test_a_name_two_distributions_declare_is_an_error_naming_both_and_the_way_out(
    install_plugin, labelled_registry, tmp_path, capsys
):
    install_plugin("archgen_shadow", FAKE_RANDOM, {"archgen.searchers": {"random": "archgen_shadow:ShadowRandom"}}, dist="archgen-shadow")
    with pytest.raises(AmbiguousPluginError) as caught:
        archgen.load("searcher", "random")
    expected = (
        "plugin name 'random' of group 'archgen.searchers' is declared by 2 distributions (archgen, archgen-shadow); "
        "choose one with a qualified name DISTRIBUTION:NAME, e.g. 'archgen:random' or 'archgen-shadow:random'"
    )
    assert str(caught.value) == expected and caught.value.distributions == ["archgen", "archgen-shadow"]
    assert type(archgen.load("searcher", "archgen:random")).__name__ == "RandomSearch"
    assert type(archgen.load("searcher", "archgen-shadow:random")).__name__ == "ShadowRandom"
    assert type(archgen.load("searcher", "archgen_Shadow:random")).__name__ == "ShadowRandom"  # PEP 503 spelling

    assert main(["search", "--config", str(labelled_registry)]) == 2
    assert capsys.readouterr().err == f"archgen: error: {expected}\n"
    # The flag takes the qualified name; the file's options are kept (same plugin), the folder is 'random'.
    assert main(["search", "--config", str(labelled_registry), "--searcher", "archgen:random"]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert "note:" not in err
    folder = next((tmp_path / "runs" / "s" / "search").iterdir()) / "random"
    assert json.loads((folder / "settings.json").read_text())["searcher"]["options"]["batch"] == 4
    assert json.loads((folder / "trial-0.json").read_text())["evaluated"] == 5


def test_a_qualified_name_works_in_the_registry_and_in_nested_choices(install_plugin, tmp_path):
    from archgen.config import load_config, validate_plugins
    from archgen.registry import validate_options

    install_plugin("archgen_shadow2", FAKE_RANDOM, {"archgen.generators": {"uniform": "archgen_shadow2:ShadowRandom"}}, dist="archgen-shadow")
    with pytest.raises(archgen.ConfigError, match="'archgen:uniform' or 'archgen-shadow:uniform'"):
        validate_options("searcher", "guided", {"generator": {"name": "uniform"}})
    options = validate_options("searcher", "guided", {"generator": {"name": "archgen:uniform"}})
    assert options.generator.name == "archgen:uniform"
    registry = tmp_path / "registry.toml"
    registry.write_text(
        '[space]\nname = "archgen:nb201"\n[searcher]\nname = "archgen:guided"\n'
        '[searcher.options]\ngenerator = { name = "archgen:uniform" }\n'
    )
    assert set(validate_plugins(load_config(registry))) == {"space", "searcher"}
    assert archgen.load("space", "archgen:nb201").name == "nb201"


def test_searcher_flag_naming_another_plugin_drops_the_files_options_with_a_note(labelled_registry, capsys):
    assert main(["search", "--config", str(labelled_registry), "--searcher", "evolution", "--budget", "3",
                 "--label", "evo"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert err == (
        f"note: --searcher evolution: the [searcher.options] of {labelled_registry} (for 'random') were not applied; "
        "'evolution' runs with its default options\n"
    )
