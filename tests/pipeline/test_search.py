"""``archgen search``: trials against a budgeted signal oracle, reported metric, resume, errors.

The space is NB201 with a table written by the test (no shared data): the signal
``cifar10-valid/valid@200`` counts the ``nor_conv_3x3`` terms of a cell's
canonical key, the reported ``cifar10/test@200`` adds a key-specific offset
(both constant on an isomorphism class, which the oracle averages over), so
"report of the best-signal cell" is checkable exactly.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import archgen
from archgen.cli.main import main
from archgen.config import load_config
from archgen.errors import BudgetExhaustedError
from archgen.pipeline import search_command
from archgen.pipeline.search_command import trial as search_trial
from archgen.pipeline.search_command import run_trial, signal_note


def _values(space, arch):
    key = space.canonical_key(arch)
    return key.count("nor_conv_3x3"), key.count("nor_conv_3x3") + (len(key) % 7) / 10


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    space = archgen.load("space", "nb201")
    path = tmp_path_factory.mktemp("nb201") / "toy.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("index,arch_str,cifar10-valid/valid@200,cifar10/test@200\n")
        for index, arch in enumerate(space.enumerate()):
            signal, report = _values(space, arch)
            handle.write(f"{index},{space.to_string(arch)},{signal},{report}\n")
    return path


@pytest.fixture
def registry(tmp_path, table) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(
        f'[run]\nname = "s"\nruns_dir = "{tmp_path / "runs"}"\ndevice = "cpu"\n'
        f'[space]\nname = "nb201"\n[space.options]\nbenchmark = "{table}"\n'
        '[searcher]\nname = "evolution"\noptions = { population = 5, sample_size = 2 }\n'
        '[search]\nsignal = "cifar10-valid/valid@200"\nreport = "cifar10/test@200"\n'
        "budget = 30\ntrials = 3\ncheckpoints = [10, 30, 50]\n",
        encoding="utf-8",
    )
    return path


EXPERIMENT = "cifar10-valid_valid@200--cifar10_test@200"


def test_search_writes_trials_summary_table_and_figure(registry, tmp_path, capsys):
    assert main(["search", "--config", str(registry)]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "runs" / "s" / "search" / EXPERIMENT
    assert sorted(p.name for p in (folder / "evolution").iterdir()) == ["settings.json", "trial-0.json", "trial-1.json", "trial-2.json"]
    assert (folder / "search.png").stat().st_size > 0 and "| evolution | 3 |" in (folder / "search.md").read_text()
    summary = json.loads((folder / "search.json").read_text())
    assert summary["checkpoints"] == [10, 30]  # 50 is past the budget
    trial = json.loads((folder / "evolution" / "trial-1.json").read_text())
    assert trial["evaluated"] == 30 and len(trial["queries"]) == 30
    # The reported figure is the test value of the cell with the best signal so far (earliest among equals).
    space = archgen.load("space", "nb201")
    best_signal, best_arch = -1.0, None
    for query in trial["queries"]:
        if query["signal"] > best_signal:
            best_signal, best_arch = query["signal"], query["arch"]
        assert query["report_of_best"] == pytest.approx(_values(space, space.from_string(best_arch))[1])
    at30 = summary["searchers"]["evolution"]["at"]["30"]["mean"]
    assert at30 == pytest.approx(sum(json.loads((folder / "evolution" / f"trial-{s}.json").read_text())["best"]["report"] for s in range(3)) / 3)
    assert "evolution" in out and "cifar10-valid/valid@200" in out
    # The space's published results of the reported metric are printed and kept (archgen.spaces.nb201.published).
    assert "BANANAS (published)" in out and "94.30 @192" in out
    assert summary["published"][0] == {"method": "optimum", "queries": None, "value": 94.37} and len(summary["published"]) == 6


def test_a_second_searcher_joins_the_same_table(registry, tmp_path):
    assert main(["search", "--config", str(registry)]) == 0
    assert main(["search", "--config", str(registry), "--searcher", "random"]) == 0
    summary = json.loads((tmp_path / "runs" / "s" / "search" / EXPERIMENT / "search.json").read_text())
    assert sorted(summary["searchers"]) == ["evolution", "random"]


def test_a_killed_search_keeps_finished_trials_and_resumes(registry, tmp_path, monkeypatch):
    config = load_config(registry)
    run_dir = tmp_path / "runs" / "s"
    real = search_trial.run_trial

    def dies_on_seed_2(*args, **kwargs):
        if kwargs["seed"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(search_trial, "run_trial", dies_on_seed_2)
    with pytest.raises(KeyboardInterrupt):
        search_command.run_search(config, run_dir=run_dir)
    folder = run_dir / "search" / EXPERIMENT / "evolution"
    assert sorted(p.name for p in folder.glob("trial-*.json")) == ["trial-0.json", "trial-1.json"]
    assert not list((tmp_path / "runs").glob(".s.*staging"))
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in folder.glob("trial-*.json")}

    ran = []
    monkeypatch.setattr(search_trial, "run_trial", lambda *a, **k: ran.append(k["seed"]) or real(*a, **k))
    search_command.run_search(config, run_dir=run_dir)
    assert ran == [2], "finished trials are skipped"
    for name, (inode, data) in before.items():
        assert (folder / name).read_bytes() == data
    assert (folder / "trial-2.json").is_file()


def test_other_settings_need_overwrite(registry, tmp_path, capsys):
    assert main(["search", "--config", str(registry)]) == 0
    assert main(["search", "--config", str(registry), "--budget", "20"]) == 2
    assert "budget differ" in capsys.readouterr().err
    assert main(["search", "--config", str(registry), "--budget", "20", "--overwrite"]) == 0
    trial = json.loads((tmp_path / "runs" / "s" / "search" / EXPERIMENT / "evolution" / "trial-0.json").read_text())
    assert trial["budget"] == 20


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--budget", "0"], "--budget: budget: Input should be greater than or equal to 1"),
        (["--budget", "-3"], "--budget: budget: Input should be greater than or equal to 1"),
        (["--signal", "cifar10/valid@999"], "[search] signal: unknown metric 'cifar10/valid@999' for space 'nb201'; accepted: ["),
        (["--report", "nope"], "[search] report: unknown metric 'nope'"),
        (["--searcher", "annealing"], "unknown plugin 'annealing' in group 'archgen.searchers'"),
    ],
)
def test_bad_input_is_one_line_exit_2(registry, tmp_path, capsys, flags, message):
    assert main(["search", "--config", str(registry), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "runs" / "s").exists()


def test_a_searcher_that_asks_past_its_budget_is_named(registry):
    space = archgen.load("space", "nb201", benchmark=str(load_config(registry).space.options["benchmark"]))
    oracle = space.oracle("cifar10/test@200")

    class Greedy:
        def search(self, space, oracle, *, seed=0, runtime=None):
            for arch in space.sample(50, seed=seed):
                oracle.query(arch)

    with pytest.raises(BudgetExhaustedError, match=r"searcher 'greedy' asked past its budget \(trial seed 0\): oracle budget of 5"):
        run_trial(Greedy(), space, oracle, oracle, budget=5, seed=0, name="greedy")


def test_signal_equal_to_report_is_labelled():
    assert "searching on the figure that is reported" in signal_note("cifar10/test@200", "cifar10/test@200", False)
    assert "12-epoch" in signal_note("cifar100/valid@12", "cifar100/test@200", True)
