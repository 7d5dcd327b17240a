"""`archgen run` under torchrun (2 CPU processes, gloo): one run directory, written by rank 0 only."""

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun is not on PATH")


def test_two_ranks_train_one_run_and_only_rank_0_writes_and_reports(tiny_registry, tmp_path):
    config = tiny_registry(num_samples=40)
    result = subprocess.run(
        ["torchrun", "--standalone", "--nproc_per_node", "2", "-m", "archgen.cli.main", "run", "--config", str(config)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "ARCHGEN_PROGRESS": "0", "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    runs = tmp_path / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [".tiny.lock", "tiny"]  # no second rank's staging
    assert (runs / "tiny" / "checkpoints" / "seed-0" / "vqvae.pt").is_file()
    assert result.stdout.count("wrote runs/") + result.stdout.count(f"wrote {runs}") == 1  # one report
