"""Outputs stay true: replacing samples.jsonl re-scores metrics.json and report.md; analyze prints its headline."""

from __future__ import annotations

import json

from archgen.cli.main import main


def test_generate_re_scores_an_evaluated_run_and_distinct_leaves_it_alone(tiny_registry, tmp_path, capsys, monkeypatch):
    config = str(tiny_registry(num_archs=200, prior_epochs=1))
    run = tmp_path / "runs" / "tiny"
    assert main(["train", "--config", config, "--seeds", "2"]) == 0
    assert main(["generate", "--config", config, "--n", "40"]) == 0
    out = capsys.readouterr().out
    assert "re-scored" not in out and not (run / "metrics.json").exists()  # nothing scored yet: nothing to keep true

    assert main(["evaluate", "--config", config, "--seeds", "1"]) == 0
    capsys.readouterr()
    assert json.loads((run / "metrics.json").read_text())["num_samples"] == 40

    assert main(["generate", "--config", config, "--n", "24", "--temperature", "1.5"]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["num_samples"] == 24 and metrics["sampling"]["temperature"] == 1.5
    assert metrics["seeds"] == [0]  # the previous evaluation's --seeds 1 is kept
    assert (run / "report.md").read_text().splitlines()[2].startswith("24 samples per seed (temperature 1.5")
    assert "24 samples per seed; 1 seed (0)" in out
    assert out.splitlines()[-1].startswith(f"re-scored: {run}/metrics.json and report.md described the samples this command replaced")

    before = {name: (run / name).read_bytes() for name in ("samples.jsonl", "metrics.json", "report.md")}
    assert main(["generate", "--config", config, "--n", "2", "--distinct", "--max-draws", "20"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("samples.jsonl, metrics.json and report.md are unchanged")
    assert {name: (run / name).read_bytes() for name in before} == before

    assert main(["analyze", str(run), "reconstruction", "--option", "max_cells=8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("reconstruction: exact reconstruction of the heldout split: ")
    assert "(mean of 2 seeds, 8 cells); position-blind ceiling" in lines[0]
    assert lines[1].startswith("wrote ")

    # scores that cannot be redone are set aside, with the reason, never left under their usual names
    from archgen.errors import RunDirectoryError
    from archgen.pipeline import evaluate as evaluate_step

    def broken(*args, **kwargs):
        raise RunDirectoryError("injected failure in evaluate")

    with monkeypatch.context() as patch:
        patch.setattr(evaluate_step, "evaluate", broken)
        assert main(["generate", "--config", config, "--n", "12"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (f"stale: could not re-score the new samples (injected failure in evaluate); the old metrics.json and "
                       f"report.md are now metrics.stale.json and report.stale.md in {run}; run 'archgen evaluate'")
    assert not (run / "metrics.json").exists() and not (run / "report.md").exists()
    assert json.loads((run / "metrics.stale.json").read_text())["num_samples"] == 24
    assert (run / "report.stale.md").read_text().startswith(evaluate_step.STALE_MARK + "injected failure in evaluate\n")
    assert main(["evaluate", "--config", config]) == 0  # fresh scores supersede the stale ones
    capsys.readouterr()
    assert json.loads((run / "metrics.json").read_text())["num_samples"] == 12
    assert not (run / "metrics.stale.json").exists() and not (run / "report.stale.md").exists()
