"""Broken plugins, installed as real authors ship them: each ends in one line and exit 2, or correct figures.

Issue 27's table, the rows about plugin outputs. The distribution ``archgen-bad`` is built by the
test: archgen-chains' module (``chains_plugin_source``, the one ``test_third_party.py`` installs)
and one subclass per defect, each under its own entry point. A
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
import dataclasses


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
def bad(install_plugin, chains_plugin_source):
    """Installs archgen-bad: the chain space, the counting generator and its broken variants, two searchers."""
    install_plugin(
        "archgen_bad",
        chains_plugin_source + BROKEN,
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
