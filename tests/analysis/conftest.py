"""A tiny trained NB201 run shared by the analysis tests (trained once per session, in seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archgen.cli.main import main


@pytest.fixture(scope="session")
def trained_run(tiny_registry_template: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine one-seed Arch-VQ run on 240 NB201 cells (copy it before writing into it)."""
    root = tmp_path_factory.mktemp("analysis-run")
    registry = root / "registry.toml"
    text = tiny_registry_template.format(
        runs=(root / "runs").as_posix(), space="nb201", num_archs=240, vqvae_epochs=30, prior_epochs=40, num_samples=100,
    )
    # Learning rates at which the tiny models learn in seconds, so most draws decode to NB201 cells.
    text = text.replace("vqvae_batch_size = 32", "vqvae_batch_size = 32\nvqvae_lr = 0.003")
    registry.write_text(text.replace("batch_size = 64 }", "batch_size = 64, lr = 0.003 }"))
    assert main(["train", "--config", str(registry)]) == 0
    return root / "runs" / "tiny"


@pytest.fixture
def run_copy(trained_run: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny run for one test."""
    target = tmp_path / "runs" / "tiny"
    shutil.copytree(trained_run, target)
    return target
