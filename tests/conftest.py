"""Shared fixtures: tiny registries that train in seconds, and installable fake plugins."""

from __future__ import annotations

import importlib
import importlib.util
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


@pytest.fixture(scope="module")
def benchmark_script():
    """Loads ``benchmarks/<name>.py`` as module ``<name>`` (scripts, not a package), unloaded after the test module."""
    root = Path(__file__).resolve().parents[1] / "benchmarks"
    loaded: list[str] = []

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, root / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look the module up by name
        loaded.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


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


#: archgen-chains, a complete third-party plugin module (a space and a non-VQ generator) that tests
#: install as a throw-away distribution: tests/pipeline/test_third_party.py runs it end to end and
#: tests/pipeline/test_broken_plugins.py subclasses it into broken variants.
CHAINS_PLUGIN_SOURCE = '''
"""archgen-chains: chain-shaped architectures and a counting generator (a third-party plugin)."""

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen import Architecture, CheckpointError, InvalidArchitectureError
from archgen.atomic import atomic_path
from archgen.errors import clipped
from archgen.generation import SampleBatch, validate_sampling
from archgen.space_base import GraphSpaceBase

LAYERS = ("conv", "pool", "skip")
DEPTH = 4
CHAIN = tuple(tuple(int(j == i + 1) for j in range(DEPTH + 2)) for i in range(DEPTH + 2))


class ChainOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChainSpace(GraphSpaceBase):
    """input -> 4 layers -> output, in a line; skip layers compute nothing."""

    name: ClassVar[str] = "chains"
    op_vocabulary: ClassVar[tuple[str, ...]] = ("input", *LAYERS, "output")
    max_nodes: ClassVar[int] = DEPTH + 2
    Options: ClassVar[type[BaseModel]] = ChainOptions

    def _make(self, layers) -> Architecture:
        return Architecture(self.name, CHAIN, ("input", *layers, "output"))

    def size(self) -> int:
        return len(LAYERS) ** DEPTH

    def enumerate(self):
        for index in range(self.size()):
            yield self._make(LAYERS[index // len(LAYERS) ** k % len(LAYERS)] for k in range(DEPTH))

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        rng = np.random.default_rng(seed)
        return [self._make(LAYERS[i] for i in row) for row in rng.integers(0, len(LAYERS), size=(n, DEPTH))]

    def why_invalid(self, arch: Architecture) -> str | None:
        if arch.space != self.name:
            return f"belongs to space {arch.space!r}"
        if arch.num_nodes != DEPTH + 2:
            return f"has {arch.num_nodes} nodes, not {DEPTH + 2}"
        if arch.ops[0] != "input" or arch.ops[-1] != "output":
            return "must start with input and end with output"
        bad = [op for op in arch.ops[1:-1] if op not in LAYERS]
        if bad:
            return f"unknown layer {bad[0]!r}; expected one of {list(LAYERS)}"
        if arch.adjacency != CHAIN:
            return "is not a chain"
        return None

    def canonical_key(self, arch: Architecture):
        return tuple(op for op in arch.ops[1:-1] if op != "skip")

    def equivalent_forms(self, arch: Architecture, rng):
        layers = [op for op in arch.ops[1:-1] if op != "skip"]
        for _ in range(3):
            slots = sorted(rng.sample(range(DEPTH), len(layers)))
            moved = ["skip"] * DEPTH
            for slot, op in zip(slots, layers):
                moved[slot] = op
            yield self._make(moved)

    def to_string(self, arch: Architecture) -> str:
        return "-".join(arch.ops[1:-1])

    def from_string(self, text: str) -> Architecture:
        layers = text.split("-")
        if len(layers) != DEPTH or any(op not in LAYERS for op in layers):
            raise InvalidArchitectureError(f"{clipped(text)} is not {DEPTH} of {list(LAYERS)} joined by '-'")
        return self._make(layers)


class PositionalOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PositionalSampling(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smoothing: float = Field(0.0, ge=0.0)


class PositionalCategorical:
    """Each node's op drawn from its position's counted frequencies; the commonest adjacency."""

    Options: ClassVar[type[BaseModel]] = PositionalOptions
    SamplingOptions: ClassVar[type[BaseModel]] = PositionalSampling
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(self, options=None):
        self.counts = self.adjacency = None

    def fit(self, space, train, *, validation=(), runtime=None, seed=0, callbacks=()):
        adjacency, ops = space.to_tensors(train)
        self.counts = ops.numpy().sum(0)
        self.adjacency = (adjacency.numpy().mean(0) > 0.5).astype(np.uint8)
        for callback in callbacks:
            callback("count", 1, {"architectures": float(len(train))})
        return {"architectures": len(train)}

    def sample(self, space, n, *, seed=0, **sampling):
        knobs = validate_sampling(self.SamplingOptions, sampling)
        weights = self.counts + knobs.smoothing
        cumulative = (weights / weights.sum(-1, keepdims=True)).cumsum(-1)
        u = np.random.default_rng(seed).random((n, len(weights), 1))
        ops = (u > cumulative[None]).sum(-1).clip(max=weights.shape[-1] - 1)
        adjacency = np.repeat(self.adjacency[None], n, axis=0)
        return SampleBatch(adjacency, ops, np.ones(n, dtype=bool), ops.tolist(), knobs.model_dump(), seed)

    def save(self, directory):
        path = Path(directory) / "positional.json"
        with atomic_path(path) as temporary:
            Path(temporary).write_text(json.dumps({"counts": self.counts.tolist(), "adjacency": self.adjacency.tolist()}))
        return [path]

    def load(self, directory, space, runtime=None):
        path = Path(directory) / "positional.json"
        if not path.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} not found")
        try:
            state = json.loads(path.read_text())
            self.counts = np.asarray(state["counts"], dtype=float)
            self.adjacency = np.asarray(state["adjacency"], dtype=np.uint8)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise CheckpointError(f"checkpoint {str(path)!r} is corrupt") from None
        if self.counts.shape != (space.max_nodes, len(space.op_vocabulary)):
            raise CheckpointError(f"checkpoint {str(path)!r} was made for another space")
        return self
'''


@pytest.fixture
def chains_plugin_source() -> str:
    """The source of archgen-chains' module (:data:`CHAINS_PLUGIN_SOURCE`)."""
    return CHAINS_PLUGIN_SOURCE
