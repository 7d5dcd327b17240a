"""benchmarks/matrix.py: the generator x space results matrix (issue 28) plans, resumes and reports cells."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from archgen.config import load_config
from archgen.registry import names

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def matrix(benchmark_script):
    return benchmark_script("matrix")


def _profiles() -> list[tuple[str, str, str]]:
    table = tomllib.loads((ROOT / "benchmarks" / "matrix.toml").read_text(encoding="utf-8"))
    return [(generator, space, path) for generator, cells in table["profiles"].items() for space, path in cells.items()]


@pytest.mark.parametrize(("generator", "space", "path"), _profiles(), ids=lambda value: str(value))
def test_every_profile_trains_the_generator_on_the_space_it_is_listed_for(generator, space, path):
    config = load_config(ROOT / path)
    assert (config.generator.name, config.space.name) == (generator, space)


def test_every_installed_generator_and_space_has_a_cell_and_darts_stands_on_darts_cell(matrix):
    cells = matrix.plan(names("generator"), names("space"), matrix.read_table())
    assert {(cell.generator, cell.listed_space) for cell in cells} == {
        (generator, space) for generator in names("generator") for space in names("space")
    }
    darts = next(cell for cell in cells if cell.generator == "arch_vq" and cell.listed_space == "darts")
    assert (darts.space, darts.name, darts.profile) == ("darts_cell", "arch_vq-darts_cell", ROOT / "examples" / "darts.toml")
    assert "one-cell form" in darts.referred


def test_a_generator_the_table_does_not_name_gets_the_default_profile(matrix, tmp_path):
    # A third-party plugin has no entry in matrix.toml: it still gets a cell, with a valid default profile.
    cell = matrix.plan(["uniform"], ["nb201", "mbv3"], {"profiles": {}})
    assert [c.profile for c in cell] == [None, None]
    for each, source in zip(cell, ('source = "enumerate"', 'source = "sample"\nnum_archs = 22000')):
        text = matrix.default_profile(each)
        assert source in text
        (tmp_path / f"{each.name}.toml").write_text(text, encoding="utf-8")
        config = load_config(tmp_path / f"{each.name}.toml")
        assert (config.generator.name, config.space.name, config.evaluate.num_samples) == ("uniform", each.space, 10000)


def test_a_finished_cell_is_never_run_again(matrix, tmp_path, monkeypatch):
    (tmp_path / "uniform-nb201").mkdir()
    (tmp_path / "uniform-nb201" / "metrics.json").write_text("{}", encoding="utf-8")

    def no_run(*args, **kwargs):
        raise AssertionError("a finished cell was started again")

    monkeypatch.setattr(subprocess, "run", no_run)
    cell = matrix.plan(["uniform"], ["nb201"], {})[0]
    assert matrix.run_cell(cell, tmp_path / "uniform-nb201", seeds=1, samples=100) == {"state": "finished"}


def test_a_cell_runs_and_lands_in_the_matrix_with_its_baseline(matrix, tmp_path):
    output = tmp_path / "matrix.md"
    command = [sys.executable, str(ROOT / "benchmarks" / "matrix.py"), "--generators", "uniform", "--spaces", "nb201",
               "--n", "200", "--runs-dir", str(tmp_path / "runs"), "--output", str(output)]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    row = next(line for line in output.read_text(encoding="utf-8").splitlines() if line.startswith("| uniform | nb201 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    # uniform draws members of the space only: both validities are exactly 100; it has no reconstruction,
    # so the cell is met on strict validity alone.
    assert cells[2:7] == ["yes", "1", "–", "100.00", "100.00"]
    # The page lists every installed cell, not only the one this call ran.
    assert "| arch_vq | mbv3 | – | – | not run |" in output.read_text(encoding="utf-8")
    assert (tmp_path / "runs" / "uniform-nb201" / "matrix_cell.json").exists()
    # A second invocation finds the cell finished and only rewrites the matrix.
    again = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    assert "matrix: uniform-nb201:" not in again.stdout
    every = {cell.name for cell in matrix.plan(names("generator"), names("space"), matrix.read_table())}
    assert f"1 of {len(every)} cells measured" in again.stdout


def test_a_recorded_row_outlives_its_run_and_is_not_retrained(tmp_path):
    # runs/ is not committed; the record beside the page is, so a clean clone keeps every measured cell.
    output = tmp_path / "matrix.md"
    row = {"generator": "uniform", "space": "nb201", "listed_space": "nb201", "profile": "default", "seeds": [0],
           "reconstruction": None, "reconstruction_std": None, "paper_validity": 100.0, "strict_validity": 99.0,
           "strict_validity_std": None, "paper_absolute_uniqueness": 70.0, "paper_uniqueness_ceiling": 73.86,
           "strict_absolute_uniqueness": 30.0, "strict_uniqueness_ceiling": 50.89, "strict_absolute_novelty": 1.0,
           "heldout_coverage": 60.0, "uniform_strict_validity": 100.0, "uniform_paper_absolute_uniqueness": 73.99,
           "uniform_strict_absolute_uniqueness": 35.42, "uniform_heldout_coverage": 68.71, "samples_per_second": 5.0,
           "training_seconds_per_seed": 0.0, "cpu": "recorded CPU", "precision": ["fp32"], "threads": [1]}
    output.with_suffix(".json").write_text(json.dumps({"rows": [row]}), encoding="utf-8")
    command = [sys.executable, str(ROOT / "benchmarks" / "matrix.py"), "--generators", "uniform", "--spaces", "nb201",
               "--n", "200", "--runs-dir", str(tmp_path / "runs"), "--output", str(output)]
    ran = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    assert "not retrained" in ran.stdout and not (tmp_path / "runs" / "uniform-nb201").exists()
    assert "| uniform | nb201 | yes | 1 | – | 100.00 | 99.00 |" in output.read_text(encoding="utf-8")
    assert json.loads(output.with_suffix(".json").read_text(encoding="utf-8"))["rows"] == [row]
    # --rerun measures it again, and the new row replaces the recorded one.
    subprocess.run([*command, "--rerun"], check=True, cwd=ROOT, capture_output=True, text=True)
    (rerun,) = json.loads(output.with_suffix(".json").read_text(encoding="utf-8"))["rows"]
    assert rerun["strict_validity"] == 100.0 and rerun["run"].endswith("uniform-nb201")


def test_an_unreadable_record_is_one_line_naming_it(tmp_path):
    output = tmp_path / "matrix.md"
    output.with_suffix(".json").write_text("{not json", encoding="utf-8")
    command = [sys.executable, str(ROOT / "benchmarks" / "matrix.py"), "--collect-only", "--runs-dir",
               str(tmp_path / "runs"), "--output", str(output)]
    failed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert f"cannot read the recorded rows {str(output.with_suffix('.json'))!r}" in failed.stderr
    assert output.with_suffix(".json").read_text(encoding="utf-8") == "{not json"  # nothing overwritten
