"""`archgen run --nproc 2` (torchrun, 2 CPU processes, gloo): one run directory, written by rank 0 only."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from archgen.cli import launch
from archgen.cli.main import main
from archgen.errors import ConfigError


def test_two_ranks_train_one_run_and_only_rank_0_writes_and_reports(tiny_registry, tmp_path):
    config = tiny_registry(num_samples=40)
    result = subprocess.run(
        [sys.executable, "-m", "archgen.cli.main", "run", "--config", str(config), "--nproc", "2"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "ARCHGEN_PROGRESS": "0", "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    runs = tmp_path / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [".tiny.lock", "tiny"]  # no second rank's staging
    assert (runs / "tiny" / "checkpoints" / "seed-0" / "vqvae.pt").is_file()
    assert result.stdout.count("wrote runs/") + result.stdout.count(f"wrote {runs}") == 1  # one report


def test_nproc_hands_the_same_command_line_to_torchrun_once(tiny_registry, monkeypatch, capsys):
    config = tiny_registry(num_samples=40)
    calls = []
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.setattr(
        launch.subprocess, "run", lambda command, check, env: calls.append((command, env)) or subprocess.CompletedProcess(command, 1)
    )
    assert main(["train", "--config", str(config), "--nproc", "3"]) == 2
    ((command, env),) = calls
    assert command[1:] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "3", "-m", "archgen.cli.main"]
    assert json.loads(env[launch.ARGV_VARIABLE]) == ["train", "--config", str(config), "--nproc", "3"]
    err = capsys.readouterr().err
    assert "--nproc 3: a training process failed (torchrun exit code 1)" in err and err.count("\n") == 1
    # Inside a launched process the same command line trains instead of launching again.
    monkeypatch.setenv("LOCAL_RANK", "0")
    trained = []
    monkeypatch.setattr("archgen.pipeline.commands.train", lambda config, **kw: trained.append(kw) or {"seeds_trained": [0]})
    assert main(["train", "--config", str(config), "--nproc", "3"]) == 0
    assert len(calls) == 1 and len(trained) == 1


def test_nproc_must_be_positive(tiny_registry, capsys):
    assert main(["train", "--config", str(tiny_registry(num_samples=40)), "--nproc", "0"]) == 2
    assert "--nproc must be between 1 and 1,024, got 0" in capsys.readouterr().err
