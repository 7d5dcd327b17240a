"""A third-party distribution -- its own space and a generator that is not VQ-based -- runs end to end.

The distribution is built by the test (a module and a dist-info with entry
points, as pip would install it) and touches nothing in archgen: it declares
``chains`` (4 layers over {conv, pool, skip} between an input and an output,
81 members, where ``skip`` layers are identities, so its canonical key is the
sequence of non-skip ops: 31 classes) and ``positional``, a per-node
categorical over ops fitted by counting, with its own sampling option
``smoothing``. Issue 7's first acceptance bullet: ``archgen run`` works on
them, and they pass the slot kits.
"""

import json

import numpy as np
import pytest

import archgen
from archgen.cli.main import main
from archgen.testing import check_generator, check_search_space

THIRD_PARTY = '''
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

REGISTRY = """\
[run]
name = "chains"
runs_dir = "{runs}"
device = "cpu"
seed = 0
seeds = 1

[space]
name = "chains"

[data]
source = "enumerate"
holdout = 0.2
split_seed = 0

[generator]
name = "positional"

[evaluate]
num_samples = 50

[evaluate.sampling]
{sampling} = 0.5
"""


@pytest.fixture
def chains(install_plugin):
    """Installs archgen-chains and returns its space."""
    install_plugin(
        "archgen_chains",
        THIRD_PARTY,
        {
            "archgen.spaces": {"chains": "archgen_chains:ChainSpace"},
            "archgen.generators": {"positional": "archgen_chains:PositionalCategorical"},
        },
        dist="archgen-chains",
    )
    return archgen.load("space", "chains")


def test_the_third_party_plugins_are_found_and_pass_the_kits(chains, capsys):
    assert main(["plugins"]) == 0
    listed = capsys.readouterr().out
    assert "chains" in listed and "positional" in listed and "archgen-chains" in listed
    assert chains.size() == 81 and len({chains.canonical_key(a) for a in chains.enumerate()}) == 31
    check_search_space(chains, max_examples=10)
    options = archgen.registry.plugin_class("generator", "positional").TEST_OPTIONS
    check_generator(lambda: archgen.load("generator", "positional", **options), chains, chains.sample(60, seed=0),
                    sampling={"smoothing": 0.5})


def test_archgen_run_end_to_end_on_the_third_party_space_and_generator(chains, tmp_path, capsys):
    config = tmp_path / "registry.toml"
    config.write_text(REGISTRY.format(runs=(tmp_path / "runs").as_posix(), sampling="smoothing"))
    assert main(["run", "--config", str(config)]) == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "chains"
    lines = (run / "samples.jsonl").read_text().splitlines()
    head, records = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert head["space"] == "chains" and head["generator"] == "positional" and head["sampling"] == {"smoothing": 0.5}
    assert len(records) == 50 and all(r["well_formed"] for r in records)

    # The stored graphs are the space's own: valid ones parse back from their native string,
    # and the pipeline's strict figures are the space's is_valid and canonical_key over them.
    archs = [archgen.Architecture("chains", tuple(map(tuple, r["graph"]["adjacency"])), tuple(r["graph"]["ops"]))
             for r in records]
    valid = [a for a in archs if chains.is_valid(a)]
    assert [r["valid"] for r in records] == [chains.is_valid(a) for a in archs]
    assert all(chains.from_string(r["arch"]) == a for r, a in zip(records, archs) if r["valid"])
    classes = {chains.canonical_key(a) for a in valid}
    # Smoothing 0.5 puts some mass on every op at every node, so a few draws leave the space;
    # and 50 draws of 81 chains hold more exact forms than the 31 skip-equivalence classes.
    assert 0 < len(valid) < 50 and len(classes) < len({chains.key(a) for a in valid})

    metrics = json.loads((run / "metrics.json").read_text())
    strict = metrics["per_seed"][0]["strict"]
    assert metrics["space"] == "chains" and metrics["generator"] == "positional"
    assert metrics["sampling"] == {"smoothing": 0.5}
    assert strict["validity"] == pytest.approx(100.0 * len(valid) / 50)
    assert strict["uniqueness"] == pytest.approx(100.0 * len(classes) / len(valid))
    assert np.isnan(metrics["per_seed"][0]["reconstruction_accuracy"])  # it does not claim Reconstructs


def test_a_misspelt_sampling_option_of_the_third_party_generator_fails_before_any_work(chains, tmp_path, capsys):
    config = tmp_path / "registry.toml"
    config.write_text(REGISTRY.format(runs=(tmp_path / "runs").as_posix(), sampling="smoothin"))
    assert main(["run", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "smoothin" in error and "smoothing" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "runs" / "chains").exists()
