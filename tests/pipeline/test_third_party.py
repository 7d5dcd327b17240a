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
def chains(install_plugin, chains_plugin_source):
    """Installs archgen-chains and returns its space."""
    install_plugin(
        "archgen_chains",
        chains_plugin_source,
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
