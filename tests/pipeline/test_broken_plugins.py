"""Broken plugins, installed as real authors ship them: each ends in one line and exit 2, or correct figures.

Issue 27's table, the rows about plugin outputs. The distribution ``archgen-bad`` is built by the
test (as ``test_third_party.py`` builds ``archgen-chains``): the chain space and the counting
generator of that test, copied, and one subclass per defect, each under its own entry point. A
broken output must be refused where it enters archgen -- one line naming the plugin, its
distribution and the rule broken, exit status 2, nothing written -- never stored as a wrong
figure or left to a traceback further on.
"""

import gzip
import json
from pathlib import Path

import pytest

import archgen
from archgen.cli.main import main

BROKEN = '''
"""archgen-bad: the chain space and counting generator of test_third_party, and broken variants."""

import dataclasses
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
        return self


# -- the defects, one per class ------------------------------------------------------------------
class LowerTriangular(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        batch = super().sample(space, n, seed=seed, **sampling)
        return dataclasses.replace(batch, adjacency=batch.adjacency.transpose(0, 2, 1).copy())


class ReturnsList(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        return super().sample(space, n, seed=seed, **sampling).architectures(space)


class ReturnsNone(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        super().sample(space, n, seed=seed, **sampling)


class HalfTheSamples(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        return super().sample(space, n // 2, seed=seed, **sampling)


class OpIndexK(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        batch = super().sample(space, n, seed=seed, **sampling)
        ops = batch.op_indices.copy()
        ops[3, 2] = len(space.op_vocabulary)
        return dataclasses.replace(batch, op_indices=ops)


class MalformedWithEdges(PositionalCategorical):
    def sample(self, space, n, *, seed=0, **sampling):
        batch = super().sample(space, n, seed=seed, **sampling)
        well_formed = batch.well_formed.copy()
        well_formed[1::2] = False  # but their graphs are left in place
        return dataclasses.replace(batch, well_formed=well_formed)


class SavesWithoutMkdir(PositionalCategorical):
    def save(self, directory):
        path = Path(directory) / "positional.json"
        path.write_text(json.dumps({"counts": self.counts.tolist(), "adjacency": self.adjacency.tolist()}))
        return [path]


# -- searchers -----------------------------------------------------------------------------------
class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Population:
    """Not something a trial file can hold."""


class NumpySearch:
    """Queries random cells until the budget is spent; returns its statistics as numpy values."""

    Options: ClassVar[type[BaseModel]] = NoOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(self, options=None):
        pass

    def search(self, space, oracle, *, seed=0, runtime=None):
        values = []
        for arch in space.sample(200, seed=seed):
            if oracle.remaining == 0:
                break
            try:
                values.append(oracle.query(arch))
            except InvalidArchitectureError:
                continue
        return {"best": np.float64(max(values)), "queried": np.int64(len(values)), "values": np.asarray(values)}


class ObjectSearch(NumpySearch):
    def search(self, space, oracle, *, seed=0, runtime=None):
        super().search(space, oracle, seed=seed, runtime=runtime)
        return {"population": Population()}
'''

GENERATORS = {
    "bad_lower": "LowerTriangular", "bad_list": "ReturnsList", "bad_none": "ReturnsNone",
    "bad_half": "HalfTheSamples", "bad_op": "OpIndexK", "bad_malformed": "MalformedWithEdges",
    "bad_save": "SavesWithoutMkdir", "good": "PositionalCategorical",
}

REGISTRY = """\
[run]
name = "bad"
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
name = "{generator}"

[evaluate]
num_samples = 50

[evaluate.sampling]
smoothing = 0.5
"""

WHO = "(archgen-bad 1.2.3) broke the"


@pytest.fixture
def bad(install_plugin):
    """Installs archgen-bad: the chain space, the counting generator and its broken variants, two searchers."""
    install_plugin(
        "archgen_bad",
        BROKEN,
        {
            "archgen.spaces": {"chains": "archgen_bad:ChainSpace"},
            "archgen.generators": {name: f"archgen_bad:{cls}" for name, cls in GENERATORS.items()},
            "archgen.searchers": {"numpy_search": "archgen_bad:NumpySearch", "object_search": "archgen_bad:ObjectSearch"},
        },
        dist="archgen-bad",
    )


def _run(tmp_path: Path, generator: str) -> tuple[int, Path]:
    config = tmp_path / f"{generator}.toml"
    runs = tmp_path / generator
    config.write_text(REGISTRY.format(runs=runs.as_posix(), generator=generator))
    return main(["run", "--config", str(config)]), runs / "bad"


def _one_line(capsys) -> str:
    """stderr, which must be one ``archgen: error: ...`` line; returned without that prefix."""
    err = capsys.readouterr().err
    assert err.startswith("archgen: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip().removeprefix("archgen: error: ")


@pytest.mark.parametrize(("generator", "rule"), [
    ("bad_lower", "SampleBatch contract: adjacency[0] has an edge below the diagonal "
                  "(adjacency must be strict upper triangular)"),
    ("bad_list", "SampleBatch contract: sample() returned a list, not an archgen.generation.SampleBatch"),
    ("bad_none", "SampleBatch contract: sample() returned None, not an archgen.generation.SampleBatch"),
    ("bad_half", "SampleBatch contract: it holds 25 samples, 50 were asked for"),
    ("bad_op", "SampleBatch contract: op index out of range -1..4 in op_indices[3]: 5 (the space has 5 ops; -1 marks padding)"),
    ("bad_malformed", "SampleBatch contract: adjacency[1] has edges but well_formed[1] is False "
                      "(a sample that is not well formed carries no graph: samples.jsonl stores none for it)"),
])
def test_a_broken_batch_is_one_line_naming_the_plugin_exit_2_and_no_samples(bad, tmp_path, capsys, generator, rule):
    code, run = _run(tmp_path, generator)
    assert code == 2
    assert _one_line(capsys) == f"generator {generator!r} {WHO} {rule}"
    assert not (run / "samples.jsonl").exists() and not (run / "metrics.json").exists()


def test_a_save_that_does_not_create_its_directory_works_the_pipeline_creates_it(bad, tmp_path, capsys):
    code, run = _run(tmp_path, "bad_save")
    assert code == 0, capsys.readouterr().err
    assert (run / "checkpoints" / "seed-0" / "positional.json").is_file()
    # Correct figures: the same as the same counting generator with a careful save().
    assert _run(tmp_path, "good")[0] == 0
    reference = tmp_path / "good" / "bad"
    assert (run / "samples.jsonl").read_text().splitlines()[1:] == (reference / "samples.jsonl").read_text().splitlines()[1:]
    figures, expected = (json.loads((r / "metrics.json").read_text())["summary"] for r in (run, reference))
    assert figures == expected and figures["strict"]["validity"]["mean"] > 0


# -- searchers -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    """A toy NB201 table (every cell; the signal counts its 3x3 convolutions), as test_search.py writes it."""
    space = archgen.load("space", "nb201")
    path = tmp_path_factory.mktemp("nb201") / "toy.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("index,arch_str,cifar10-valid/valid@200,cifar10/test@200\n")
        for index, arch in enumerate(space.enumerate()):
            count = space.canonical_key(arch).count("nor_conv_3x3")
            handle.write(f"{index},{space.to_string(arch)},{count},{count + 0.5}\n")
    return path


def _search(tmp_path: Path, table: Path, searcher: str) -> int:
    config = tmp_path / "search.toml"
    config.write_text(
        f'[run]\nname = "s"\nruns_dir = "{(tmp_path / "runs").as_posix()}"\ndevice = "cpu"\n'
        f'[space]\nname = "nb201"\n[space.options]\nbenchmark = "{table.as_posix()}"\n'
        f'[searcher]\nname = "{searcher}"\n'
        '[search]\nsignal = "cifar10-valid/valid@200"\nreport = "cifar10/test@200"\nbudget = 5\ntrials = 1\ncheckpoints = [5]\n',
        encoding="utf-8",
    )
    return main(["search", "--config", str(config)])


def test_numpy_values_returned_by_search_are_stored_as_numbers(bad, table, tmp_path, capsys):
    assert _search(tmp_path, table, "numpy_search") == 0, capsys.readouterr().err
    (trial_file,) = (tmp_path / "runs").rglob("trial-0.json")
    trial = json.loads(trial_file.read_text())
    stats = trial["searcher_stats"]
    assert stats["queried"] == 5 and stats["values"] == [q["signal"] for q in trial["queries"]]
    assert stats["best"] == max(q["signal"] for q in trial["queries"]) and isinstance(stats["best"], float)


def test_an_object_returned_by_search_is_one_line_exit_2_and_no_trial(bad, table, tmp_path, capsys):
    assert _search(tmp_path, table, "object_search") == 2
    assert _one_line(capsys) == (
        f"searcher 'object_search' {WHO} Searcher contract: the value search() returned is not JSON-ready: "
        "search()['population'] is a Population object, not JSON-serialisable "
        "(use numbers, strings, booleans, None, lists and dicts with str keys)"
    )
    assert not list((tmp_path / "runs").rglob("trial-*.json"))
