"""A tiny finished run (train, generate, evaluate; two seeds) shared by the run-layer tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archgen.cli.main import main


@pytest.fixture(scope="session")
def finished_run(tiny_registry_template: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine two-seed Arch-VQ run on 240 NB201 cells, 20 samples a seed (copy it before writing into it)."""
    root = tmp_path_factory.mktemp("run-layer")
    registry = root / "registry.toml"
    registry.write_text(tiny_registry_template.format(
        runs=(root / "runs").as_posix(), space="nb201", num_archs=240, vqvae_epochs=1, prior_epochs=1, num_samples=20,
    ))
    assert main(["run", "--config", str(registry), "--seeds", "2"]) == 0
    return root / "runs" / "tiny"


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished run for one test."""
    target = tmp_path / "runs" / "tiny"
    shutil.copytree(finished_run, target)
    return target
