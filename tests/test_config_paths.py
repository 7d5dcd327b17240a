"""Relative paths in a registry file mean relative to that file (issue 27), with ``ARCHGEN_SHARED_DATA``.

A registry written outside the repository, run from a third folder, must find its data and
put its runs beside itself; ``ARCHGEN_SHARED_DATA`` redirects any data option written under a
``shared/data`` folder; a path that resolves to nothing is named as written and as resolved.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

import archgen
from archgen.cli.main import main
from archgen.config import check_paths, load_config
from archgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _toy_table(path: Path) -> Path:
    """A 40-row NB201 table of the test's own: ``cifar10/test@200`` is the row index mod 9."""
    space = archgen.load("space", "nb201")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("index,arch_str,cifar10/test@200\n")
        for index, arch in enumerate(space.sample(40, seed=0)):
            handle.write(f"{index},{space.to_string(arch)},{index % 9}\n")
    return path


def _search_registry(path: Path, benchmark: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[run]\nname = "s"\nruns_dir = "runs"\ndevice = "cpu"\n'
        f'[space]\nname = "nb201"\n[space.options]\nbenchmark = "{benchmark}"\n'
        '[searcher]\nname = "random"\n'
        '[search]\nreport = "cifar10/test@200"\nbudget = 5\ntrials = 1\ncheckpoints = [5]\npool = "labelled"\n'
    )
    return path


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """The folder the registry lives in; the test runs from a sibling folder."""
    other = tmp_path / "cwd"
    other.mkdir()
    monkeypatch.chdir(other)
    return tmp_path / "project" / "configs"


def test_a_registry_elsewhere_resolves_its_paths_against_its_own_folder(elsewhere, capsys):
    table = _toy_table(elsewhere / "data" / "toy.csv.gz")
    registry = _search_registry(elsewhere / "search.toml", "data/toy.csv.gz")
    config = load_config(registry)
    assert config.space.options["benchmark"] == str(table)
    assert config.run.runs_dir == elsewhere / "runs"
    assert main(["search", "--config", str(registry)]) == 0, capsys.readouterr().err
    assert (elsewhere / "runs" / "s" / "search").is_dir() and not Path("runs").exists()


def test_shared_data_redirects_a_data_option_written_under_shared_data(elsewhere, tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"
    table = _toy_table(store / "toy" / "toy.csv.gz")
    registry = _search_registry(elsewhere / "search.toml", "../shared/data/toy/toy.csv.gz")
    with pytest.raises(ConfigError) as caught:
        check_paths(load_config(registry))
    resolved = tmp_path / "project" / "shared" / "data" / "toy" / "toy.csv.gz"
    assert str(caught.value) == (
        f"{registry}: [space.options] benchmark = '../shared/data/toy/toy.csv.gz' resolves to '{resolved}' "
        "(relative to the file's folder), which does not exist; or set ARCHGEN_SHARED_DATA to a folder holding 'toy/toy.csv.gz'"
    )
    assert main(["search", "--config", str(registry)]) == 2
    assert capsys.readouterr().err == f"archgen: error: {caught.value}\n"

    monkeypatch.setenv("ARCHGEN_SHARED_DATA", str(store))
    assert archgen.load("space", "nb201", benchmark="../shared/data/toy/toy.csv.gz").options.benchmark == table
    assert main(["search", "--config", str(registry)]) == 0, capsys.readouterr().err
    summary = json.loads(next((elsewhere / "runs" / "s" / "search").glob("*/search.json")).read_text())
    assert summary["searchers"]["random"]["trials"] == 1

    monkeypatch.setenv("ARCHGEN_SHARED_DATA", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=f"which does not exist; ARCHGEN_SHARED_DATA={tmp_path / 'empty'} does not hold it either$"):
        check_paths(load_config(registry))


def test_a_list_of_paths_and_a_nested_plugins_path_resolve_too(elsewhere):
    _toy_table(elsewhere / "data" / "toy.csv.gz")
    (elsewhere / "runs" / "gen").mkdir(parents=True)
    registry = elsewhere / "r.toml"
    registry.write_text(
        '[space]\nname = "nb201"\n[space.options]\nextra_benchmarks = ["data/toy.csv.gz", "data/none.csv.gz"]\n'
        '[searcher]\nname = "guided"\n[searcher.options]\ngenerator_run = "runs/gen"\n'
        'predictor = { name = "lstm", options = { input = "ops", run_dir = "runs/gen" } }\n'
    )
    config = load_config(registry)
    assert config.space.options["extra_benchmarks"] == [str(elsewhere / "data" / "toy.csv.gz"), str(elsewhere / "data" / "none.csv.gz")]
    assert config.searcher.options["generator_run"] == str(elsewhere / "runs" / "gen")
    assert config.searcher.options["predictor"]["options"]["run_dir"] == str(elsewhere / "runs" / "gen")
    assert config.missing_paths == [
        ("[space.options] extra_benchmarks", "data/none.csv.gz", str(elsewhere / "data" / "none.csv.gz"))
    ]


def test_environment_overrides_keep_meaning_the_current_directory(elsewhere, monkeypatch):
    registry = _search_registry(elsewhere / "search.toml", "data/toy.csv.gz")
    monkeypatch.setenv("ARCHGEN_RUN__RUNS_DIR", "mine")
    monkeypatch.setenv("ARCHGEN_SPACE__OPTIONS__BENCHMARK", "here.csv.gz")
    config = load_config(registry)
    assert config.run.runs_dir == Path("mine") and config.space.options["benchmark"] == "here.csv.gz"
    assert config.missing_paths == []


def test_the_repository_registry_run_from_the_root_is_unchanged(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert load_config("registry.toml").run.runs_dir == Path("runs")


EXAMPLES = sorted((ROOT / "examples").glob("**/*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_means_the_same_paths_from_any_directory(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARCHGEN_SHARED_DATA", raising=False)
    config = load_config(path)
    assert config.run.runs_dir == ROOT / "runs"  # the checkout's runs/, as from the root before
    for choice in (config.space, config.generator, config.predictor, config.searcher):
        for value in (choice.options.values() if choice is not None else []):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and "shared/data" in item:
                    assert Path(item).is_relative_to(ROOT.parent / "shared" / "data"), (path, item)
    if config.searcher is not None and "generator_run" in config.searcher.options:
        assert Path(config.searcher.options["generator_run"]).parent == ROOT / "runs"


@pytest.mark.data
def test_an_example_runs_from_another_directory(tmp_path, monkeypatch, capsys):
    from archgen.testing import require_shared_data

    require_shared_data("nasbench201", "nb201_cifar10valid_val200.csv.gz")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHGEN_RUN__RUNS_DIR", os.fspath(tmp_path / "runs"))  # a tiny override: nothing in the checkout
    example = ROOT / "examples" / "predict" / "nb201.toml"
    code = main(["predict", "--config", str(example), "--predictor", "gbdt", "--trials", "1", "--train-sizes", "20",
                 "--test-size", "50"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: --predictor gbdt: the [predictor.options]" in err
    assert len(list((tmp_path / "runs").glob("*/predict.json"))) == 1
