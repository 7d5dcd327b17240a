"""`archgen init` and the packaged registry (issue 26: installed like any package, every command out of the box).

archgen ships its ``registry.toml`` and ``examples/`` inside the package (``archgen/defaults/``; in a
checkout, links to the top-level files, so there is one copy). Without a ``./registry.toml`` the
commands read the packaged one, relative paths meaning the current folder, and say so in one line;
``archgen init`` writes the editable copies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgen.cli.main import main
from archgen.config import check_paths, load_config, packaged_file, validate_plugins
from archgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
NOTE = "note: no ./registry.toml: using the one packaged with archgen"

#: ``ARCHGEN_*`` overrides that cut the packaged registry's run to seconds (240 sampled cells, one epoch each).
TINY = {
    "ARCHGEN_RUN__DEVICE": "cpu", "ARCHGEN_DATA__SOURCE": "sample", "ARCHGEN_DATA__NUM_ARCHS": "240",
    "ARCHGEN_GENERATOR__OPTIONS__VQVAE_EPOCHS": "1", "ARCHGEN_GENERATOR__OPTIONS__PRIOR_EPOCHS": "1",
    "ARCHGEN_EVALUATE__NUM_SAMPLES": "50",
}


def _checkout_files() -> dict[str, bytes]:
    files = {"registry.toml": (ROOT / "registry.toml").read_bytes()}
    files |= {p.relative_to(ROOT).as_posix(): p.read_bytes() for p in (ROOT / "examples").rglob("*.toml")}
    return files


@pytest.fixture
def empty(tmp_path, monkeypatch) -> Path:
    """An empty current folder with no third-party data beside it or in ``$ARCHGEN_SHARED_DATA``."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("ARCHGEN_SHARED_DATA", raising=False)
    return folder


def test_the_packaged_files_are_the_checkouts_own():
    # core/defaults/ links to the top-level registry.toml and examples/: the wheel ships what a clone shows.
    assert packaged_file("registry.toml").read_bytes() == (ROOT / "registry.toml").read_bytes()
    assert (ROOT / "core" / "defaults" / "registry.toml").resolve() == (ROOT / "registry.toml").resolve()
    assert (ROOT / "core" / "defaults" / "examples").resolve() == (ROOT / "examples").resolve()


def test_init_writes_the_registry_and_every_example(empty, capsys):
    assert main(["init"]) == 0
    written = {p.relative_to(empty).as_posix(): p.read_bytes() for p in empty.rglob("*") if p.is_file()}
    assert written == _checkout_files()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"wrote registry.toml and {len(written) - 1} example configs under examples/"
    assert "$ARCHGEN_SHARED_DATA" in out[1]
    # Paths mean what they mean in a checkout: runs beside the file, data in ../shared/data.
    config = load_config(empty / "registry.toml")
    assert config.run.runs_dir == empty / "runs" and not config.packaged
    assert config.space.options["benchmark"] == str(empty.parent / "shared/data/nasbench201/nb201_accuracies.csv.gz")
    assert load_config(empty / "examples/predict/nb201-quick.toml").run.runs_dir == empty / "runs"


def test_init_refuses_to_overwrite_without_force_and_touches_nothing_else(tmp_path, capsys):
    folder = tmp_path / "new" / "project"
    assert main(["init", str(folder)]) == 0  # a folder that does not exist yet is created
    (folder / "registry.toml").write_text("# mine\n")
    (folder / "notes.txt").write_text("keep\n")
    capsys.readouterr()
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{folder / 'registry.toml'}' already exists" in err and "--force" in err
    assert (folder / "registry.toml").read_text() == "# mine\n"
    assert main(["init", str(folder), "--force"]) == 0
    assert (folder / "registry.toml").read_bytes() == (ROOT / "registry.toml").read_bytes()
    assert (folder / "notes.txt").read_text() == "keep\n"


def test_init_into_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["init", str(tmp_path / "f")]) == 2
    assert capsys.readouterr().err == f"archgen: error: '{tmp_path / 'f'}' is a file, not a folder\n"


def test_load_config_falls_back_only_when_asked(empty):
    with pytest.raises(ConfigError, match=r"registry file 'registry.toml' not found \(pass --config PATH\)"):
        load_config("registry.toml")
    config = load_config("registry.toml", packaged_fallback=True)
    assert config.packaged and config.run.runs_dir == empty / "runs"
    with pytest.raises(ConfigError, match="registry file 'other.toml' not found"):
        load_config("other.toml", packaged_fallback=True)  # a file the user named is never replaced


def test_run_without_a_registry_or_data_uses_the_packaged_one(empty, monkeypatch, capsys):
    for variable, value in TINY.items():
        monkeypatch.setenv(variable, value)
    assert main(["run"]) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert [line for line in err.splitlines() if line.startswith("note:")] == [
        NOTE + " (`archgen init` writes an editable copy and the example configs here)"
    ]
    run = empty / "runs" / load_config("registry.toml", packaged_fallback=True).run.name
    assert json.loads((run / "metrics.json").read_text())["seeds"] == [0]
    # generate / evaluate find the same run through the packaged registry.
    assert main(["evaluate"]) == 0
    assert NOTE in capsys.readouterr().err


def test_search_and_predict_name_the_missing_benchmark_in_one_line(empty, capsys):
    for command in (["search"], ["predict", "--predictor", "gin"]):
        assert main(command) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith(NOTE) and len(err) == 2
        assert err[1] == (
            "archgen: error: archgen's packaged registry.toml: [space.options] benchmark = "
            f"'../shared/data/nasbench201/nb201_accuracies.csv.gz' resolves to "
            f"'{empty.parent / 'shared/data/nasbench201/nb201_accuracies.csv.gz'}' (relative to the current folder), "
            "which does not exist; or set ARCHGEN_SHARED_DATA to a folder holding 'nasbench201/nb201_accuracies.csv.gz'"
        )
    assert not (empty / "runs").exists()


def test_only_third_party_data_may_be_missing_for_commands_that_do_not_read_it(tmp_path):
    registry = tmp_path / "r.toml"
    registry.write_text('[space]\nname = "nb201"\n[space.options]\nbenchmark = "../shared/data/x/t.csv.gz"\n')
    config = load_config(registry)
    assert validate_plugins(config)["space"]["options"]["benchmark"] == str(tmp_path.parent / "shared/data/x/t.csv.gz")
    with pytest.raises(ConfigError, match="which does not exist; or set ARCHGEN_SHARED_DATA to a folder holding 'x/t.csv.gz'$"):
        check_paths(config)
    registry.write_text('[space]\nname = "nb201"\n[space.options]\nbenchmark = "data/t.csv.gz"\n')
    with pytest.raises(ConfigError, match=r"benchmark = 'data/t.csv.gz' resolves to .* which does not exist$"):
        validate_plugins(load_config(registry))


@pytest.mark.data
def test_the_default_search_runs_where_the_data_is(empty, monkeypatch, capsys):
    from archgen.testing import require_shared_data

    monkeypatch.chdir(ROOT)  # where a checkout finds ../shared/data
    tables = [require_shared_data("nasbench201", name) for name in ("nb201_accuracies.csv.gz", "nb201_cifar10valid_val200.csv.gz")]
    monkeypatch.chdir(empty)
    monkeypatch.setenv("ARCHGEN_SHARED_DATA", str(tables[0].parent.parent))
    assert main(["search", "--budget", "50", "--trials", "1"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert any(line.split()[:2] == ["evolution", "1"] for line in out.splitlines()), out
