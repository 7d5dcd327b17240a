"""CONTRIBUTING's complete third-party package runs as written (issue 27: complete, tested examples).

The fenced blocks of CONTRIBUTING.md whose first line names a file of ``archgen-example``
(``# archgen_example/space.py``, ``# pyproject.toml of archgen-example``, ...) are extracted and
installed as a throw-away distribution -- the modules in a package on ``sys.path`` and a dist-info
whose ``entry_points.txt`` is the one the documented ``pyproject.toml`` declares, as pip would
write it. Then the package's own documented test (the four kits) runs, and ``archgen run``,
``archgen search`` and ``archgen predict`` run on the documented registry file.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
import tomllib
from pathlib import Path

import pytest

import archgen
from archgen.cli.main import main

CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"
PACKAGE = "archgen_example"
MODULES = ("space", "generator", "predictor", "searcher")
PYPROJECT = "# pyproject.toml of archgen-example"
PACKAGE_TEST = "# tests/test_plugins.py of archgen-example"
REGISTRY = "# registry.toml using archgen-example"


def documented_blocks() -> dict[str, str]:
    """Every fenced python/toml block of CONTRIBUTING.md, keyed by its first line (a ``# <file>`` comment)."""
    blocks = {}
    for match in re.finditer(r"^```(?:python|toml)\n(# [^\n]+)\n(.*?)^```$", CONTRIBUTING.read_text(), re.M | re.S):
        blocks[match.group(1)] = match.group(1) + "\n" + match.group(2)
    return blocks


BLOCKS = documented_blocks()


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """Installs archgen-example from CONTRIBUTING's blocks; returns its entry points by group."""
    site = tmp_path / "site"
    package = site / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for module in MODULES:
        (package / f"{module}.py").write_text(BLOCKS[f"# {PACKAGE}/{module}.py"])
    project = tomllib.loads(BLOCKS[PYPROJECT])["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) for group, points in groups.items())
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        monkeypatch.delitem(sys.modules, name)
    return groups


def _registry(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    run = f'[run]\nname = "{name}"\nruns_dir = "{(tmp_path / "runs").as_posix()}"\ndevice = "cpu"\nseed = 0\nseeds = 1\n\n'
    path.write_text(run + BLOCKS[REGISTRY])
    return path


def test_contributing_documents_every_module_of_the_package_and_its_entry_points():
    expected = {f"# {PACKAGE}/{module}.py" for module in MODULES} | {PYPROJECT, PACKAGE_TEST, REGISTRY}
    assert expected <= set(BLOCKS), f"CONTRIBUTING.md lacks the blocks {sorted(expected - set(BLOCKS))}"
    groups = tomllib.loads(BLOCKS[PYPROJECT])["project"]["entry-points"]
    assert set(groups) == {"archgen.spaces", "archgen.generators", "archgen.predictors", "archgen.searchers"}
    for points in groups.values():
        for target in points.values():
            module, _, attribute = target.partition(":")
            assert module.startswith(PACKAGE + ".") and f"class {attribute}" in BLOCKS[f"# {module.replace('.', '/')}.py"]
    for module in MODULES:
        # The space used to end in "...  # size, sample, enumerate, ...": a statement of its own.
        assert not re.search(r"^\s*\.\.\.", BLOCKS[f"# {PACKAGE}/{module}.py"], re.M), f"{module}.py is not complete"


def test_the_installed_example_is_listed_and_passes_its_own_documented_test(example, capsys):
    assert main(["plugins"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for points in example.values() for name in points) and "archgen-example" in listed
    namespace: dict[str, object] = {}
    exec(compile(BLOCKS[PACKAGE_TEST], "CONTRIBUTING.md: tests/test_plugins.py", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert tests
    for test in tests:
        test()


def test_archgen_run_scores_the_example_with_paper_validity_equal_to_strict(example, tmp_path, capsys):
    assert main(["run", "--config", str(_registry(tmp_path, "ex-run"))]) == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "ex-run"
    records = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()[1:]]
    assert len(records) == 200
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["space"], metrics["generator"], metrics["sampling"]) == ("example", "example_counts", {"smoothing": 0.5})
    model = metrics["per_seed"][0]
    # Smoothing 0.5 leaves some mass on 'input' / 'output' inside the chain: a few draws are not members.
    assert model["strict"]["validity"] == 100.0 * sum(r["valid"] for r in records) / 200 < 100.0
    # ExampleSpace declares no paper rule: the paper protocol holds it to is_valid.
    assert model["paper"]["validity"] == model["strict"]["validity"]
    uniform = metrics["baselines"]["uniform"]["per_seed"][0]
    assert uniform["paper"]["validity"] == uniform["strict"]["validity"] == 100.0


def test_archgen_search_runs_the_example_searcher_on_the_computed_oracle(example, tmp_path, capsys):
    assert main(["search", "--config", str(_registry(tmp_path, "ex-search"))]) == 0, capsys.readouterr().err
    folder = tmp_path / "runs" / "ex-search" / "search" / "score--score" / "example_hill"
    trials = [json.loads((folder / f"trial-{seed}.json").read_text()) for seed in (0, 1)]
    for trial in trials:
        assert trial["evaluated"] == 30 and len(trial["queries"]) == 30
        assert isinstance(trial["searcher_stats"]["restarts"], int) and trial["searcher_stats"]["restarts"] >= 1
    # The formula's optimum is conv3 everywhere: 50 + 3 * (1 + 2 + 3 + 4) = 80.
    assert max(trial["best"]["report"] for trial in trials) <= 80.0


def test_archgen_predict_ranks_with_the_example_predictor(example, tmp_path, capsys):
    assert main(["predict", "--config", str(_registry(tmp_path, "ex-predict"))]) == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "runs" / "ex-predict" / "predict.json").read_text())
    assert result["metric"] == "score" and result["pool_size"] == 81
    (point,) = result["points"]
    assert point["n"] == 20 and [t["test_size"] for t in point["trials"]] == [61, 61]
    # The score is linear in the one-hot ops, so ridge regression on them ranks almost perfectly.
    assert all(math.isfinite(t["kendall_tau"]) and t["kendall_tau"] > 0.8 for t in point["trials"])
    assert archgen.load("space", "example").size() == 81


#: archgen's own tests that are parametrized over every installed plugin (the timm-style registry tests).
REGISTRY_PARAMETRIZED = ("tests/test_spaces_contract.py", "tests/test_oracle.py", "tests/testing/test_kits_over_registry.py")


def test_archgen_own_suite_stays_green_with_the_example_installed(example, tmp_path):
    """Issue 27's row: a kit-passing third-party package must not make archgen's own suite fail.

    The registry-parametrized tests run in a fresh interpreter that sees the installed example, limited
    to the example's parameters (``-k example``) so that the run stays short.
    """
    import os
    import subprocess

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]),
           "ARCHGEN_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-k", "example", "-rA", *REGISTRY_PARAMETRIZED],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASSED") and "example" in line]
    # Each of the four plugins reaches its slot's registry test; the space reaches the contract tests.
    for name in ("[example[archgen-example]]", "example_counts]", "example_ridge]", "example_hill]"):
        assert any(name in line for line in passed), f"no registry test ran on {name}:\n" + "\n".join(passed)
