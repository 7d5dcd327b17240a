"""Issue 27: a third-party space on ``GraphSpaceBase`` with no ``input``/``output`` nodes gets honest paper figures.

Before, the base class's ``paper_valid`` applied arch2vec's ops check (first node ``input``,
last ``output``) to every subclass, so such a space read 0.00 % paper validity for the model
and for the ``uniform`` baseline alike. Now the paper rule is the space's own ``is_valid``
unless it opts in (``paper_ops_check = True``) or overrides ``paper_valid``.

The distribution is built by the test: ``triples`` (three-node chains over {a, b, c}: 27
members; its vocabulary also holds ``x``, which no member has) and ``triple_counts``, a
per-node categorical fitted by counting whose ``smoothing`` puts mass on ``x``, so some
draws are invalid and the figure is not trivially 100.
"""

import json

import pytest

import archgen
from archgen.cli.main import main

PLUGIN = '''
import json
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen import Architecture, CheckpointError, InvalidArchitectureError
from archgen.atomic import atomic_path
from archgen.generation import SampleBatch, validate_sampling
from archgen.space_base import GraphSpaceBase

LAYERS = ("a", "b", "c")
CHAIN = ((0, 1, 0), (0, 0, 1), (0, 0, 0))


class TripleSpace(GraphSpaceBase):
    name: ClassVar[str] = "triples"
    op_vocabulary: ClassVar[tuple[str, ...]] = (*LAYERS, "x")
    max_nodes: ClassVar[int] = 3

    def size(self):
        return len(LAYERS) ** 3

    def enumerate(self):
        for i in range(self.size()):
            yield Architecture(self.name, CHAIN, tuple(LAYERS[i // 3**k % 3] for k in range(3)))

    def sample(self, n, seed=0):
        rows = np.random.default_rng(seed).integers(0, 3, size=(n, 3))
        return [Architecture(self.name, CHAIN, tuple(LAYERS[i] for i in row)) for row in rows]

    def why_invalid(self, arch):
        if arch.space != self.name:
            return f"belongs to space {arch.space!r}"
        if arch.adjacency != CHAIN:
            return "is not a 3-node chain"
        bad = [op for op in arch.ops if op not in LAYERS]
        return f"unknown layer {bad[0]!r}; expected one of {list(LAYERS)}" if bad else None

    def canonical_key(self, arch):
        return arch.ops

    def to_string(self, arch):
        return "".join(arch.ops)

    def from_string(self, text):
        if len(text) != 3 or any(c not in LAYERS for c in text):
            raise InvalidArchitectureError(f"{text[:20]!r} is not 3 of {list(LAYERS)}")
        return Architecture(self.name, CHAIN, tuple(text))


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Smoothing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smoothing: float = Field(0.0, ge=0.0)


class TripleCounts:
    Options: ClassVar[type[BaseModel]] = NoOptions
    SamplingOptions: ClassVar[type[BaseModel]] = Smoothing

    def __init__(self, options=None):
        self.counts = None

    def fit(self, space, train, *, validation=(), runtime=None, seed=0, callbacks=()):
        self.counts = space.to_tensors(train)[1].numpy().sum(0)
        return {"architectures": len(train)}

    def sample(self, space, n, *, seed=0, **sampling):
        knobs = validate_sampling(self.SamplingOptions, sampling)
        weights = self.counts + knobs.smoothing
        cumulative = (weights / weights.sum(-1, keepdims=True)).cumsum(-1)
        u = np.random.default_rng(seed).random((n, 3, 1))
        ops = (u > cumulative[None]).sum(-1).clip(max=3)
        adjacency = np.repeat(np.array(CHAIN, dtype=np.uint8)[None], n, axis=0)
        return SampleBatch(adjacency, ops, np.ones(n, dtype=bool), ops.tolist(), knobs.model_dump(), seed)

    def save(self, directory):
        path = Path(directory) / "counts.json"
        with atomic_path(path) as temporary:
            Path(temporary).write_text(json.dumps(self.counts.tolist()))
        return [path]

    def load(self, directory, space, runtime=None):
        path = Path(directory) / "counts.json"
        if not path.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} not found")
        self.counts = np.asarray(json.loads(path.read_text()), dtype=float)
        return self
'''

REGISTRY = """\
[run]
name = "triples"
runs_dir = "{runs}"
device = "cpu"
seed = 0
seeds = 1

[space]
name = "triples"

[data]
source = "enumerate"
holdout = 0.2
split_seed = 0

[generator]
name = "triple_counts"

[evaluate]
num_samples = 200

[evaluate.sampling]
smoothing = 3.0
"""


@pytest.fixture
def triples(install_plugin):
    install_plugin(
        "archgen_triples",
        PLUGIN,
        {
            "archgen.spaces": {"triples": "archgen_triples:TripleSpace"},
            "archgen.generators": {"triple_counts": "archgen_triples:TripleCounts"},
        },
        dist="archgen-triples",
    )
    return archgen.load("space", "triples")


def test_a_space_without_input_and_output_nodes_is_held_to_is_valid_by_the_paper_protocol(triples, tmp_path, capsys):
    config = tmp_path / "registry.toml"
    config.write_text(REGISTRY.format(runs=(tmp_path / "runs").as_posix()))
    assert main(["run", "--config", str(config)]) == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "triples"
    records = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()[1:]]
    archs = [archgen.Architecture("triples", tuple(map(tuple, r["graph"]["adjacency"])), tuple(r["graph"]["ops"]))
             for r in records]
    valid = sum(triples.is_valid(a) for a in archs)
    # Smoothing 3 gives 'x' about 3 / (~7 + 12) of each node's mass: some draws leave the space, most do not.
    assert len(records) == 200 and 0 < valid < 200

    metrics = json.loads((run / "metrics.json").read_text())
    model = metrics["per_seed"][0]
    assert model["strict"]["validity"] == 100.0 * valid / 200
    assert model["paper"]["validity"] == model["strict"]["validity"]
    # The uniform baseline draws space.sample: members only, so 100 % under both protocols (it read 0.00).
    uniform = metrics["baselines"]["uniform"]["per_seed"][0]
    assert uniform["paper"]["validity"] == uniform["strict"]["validity"] == 100.0


def test_the_arch2vec_style_ops_check_is_an_explicit_opt_in(triples):
    arch = triples.sample(1, seed=0)[0]
    assert type(triples).paper_ops_check is False and triples.paper_valid(arch) and triples.is_valid(arch)
    opted = type("OptedIn", (type(triples),), {"paper_ops_check": True})()
    assert not opted.paper_valid(arch)  # no 'input' first: the opt-in rule refuses it (the kit would say so)
    mbv3 = archgen.load("space", "mbv3")
    assert type(mbv3).paper_ops_check is True  # the one first-party space on the generic check
    assert all(mbv3.paper_valid(a) for a in mbv3.sample(5, seed=0))
    assert not mbv3.paper_valid(archgen.Architecture("mbv3", mbv3.sample(1, seed=0)[0].adjacency,
                                                     ("output", *mbv3.sample(1, seed=0)[0].ops[1:])))
