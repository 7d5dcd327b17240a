"""Shared fixtures: tiny registries that train in seconds, and installable fake plugins."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest
import torch

TINY_REGISTRY = """\
[run]
name = "tiny"
runs_dir = "{runs}"
device = "cpu"
seed = 0
seeds = 1

[space]
name = "{space}"

[data]
source = "sample"
num_archs = {num_archs}
holdout = 0.1
split_seed = 0

[generator]
name = "arch_vq"

[generator.options]
vqvae_epochs = {vqvae_epochs}
prior_epochs = {prior_epochs}
vqvae_batch_size = 32

[generator.options.encoder]
name = "gin"
options = {{ hidden_dims = [32, 32, 16] }}

[generator.options.quantizer]
name = "ema"
options = {{ codebook_size = 64, dim = 8 }}

[generator.options.prior]
name = "transformer"
options = {{ layers = 1, heads = 2, d_model = 32, batch_size = 64 }}

[evaluate]
num_samples = {num_samples}

[evaluate.sampling]   # the generator's sampling options (arch_vq: temperature, top_k, top_p)
temperature = 1.0
"""


# Tiny models gain nothing from intra-op threads, and on a busy 2-core machine the threads'
# spin-waiting makes them many times slower.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _quiet_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHGEN_PROGRESS", "0")


@pytest.fixture(scope="session")
def tiny_registry_template() -> str:
    """The tiny registry's text, with ``{runs}``, ``{space}``, ``{num_archs}``... placeholders."""
    return TINY_REGISTRY


@pytest.fixture
def tiny_registry(tmp_path: Path):
    """Writes a tiny registry file and returns its path (keyword arguments fill the template)."""

    def write(space: str = "nb201", num_archs: int = 240, vqvae_epochs: int = 2, prior_epochs: int = 2,
              num_samples: int = 200, name: str = "registry.toml") -> Path:
        path = tmp_path / name
        path.write_text(
            TINY_REGISTRY.format(
                runs=(tmp_path / "runs").as_posix(), space=space, num_archs=num_archs,
                vqvae_epochs=vqvae_epochs, prior_epochs=prior_epochs, num_samples=num_samples,
            )
        )
        return path

    return write


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Installs a throw-away distribution with entry points, the way pip would (a dist-info on sys.path).

    Call it with a module name, the module's source, and ``{group: {name: "module:attr"}}``.
    """

    def install(module: str, source: str, entry_points: dict[str, dict[str, str]], dist: str = "archgen-fake") -> None:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        lines = []
        for group, points in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()
        monkeypatch.delitem(sys.modules, module, raising=False)

    return install
