"""The uniform baseline scored beside every evaluation: same split, sample count and seeds."""

import json

import pytest

import archgen
from archgen.cli.main import main
from archgen.metrics import GenerationReference, evaluate_samples
from archgen.pipeline import dataset
from archgen.config import DataSection, load_config


def test_the_uniform_rows_equal_a_direct_scoring_of_uniform_samples(tiny_registry, tmp_path, capsys):
    config = tiny_registry(num_samples=300)
    assert main(["run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("uniform paper ") for line in out.splitlines())
    metrics = json.loads((tmp_path / "runs" / "tiny" / "metrics.json").read_text())
    stored = metrics["baselines"]["uniform"]["per_seed"][0]

    registry = load_config(config)
    space = archgen.load("space", "nb201")
    data = dataset.build(space, registry.data)
    reference = GenerationReference.build(space, data.train, data.heldout)
    direct = evaluate_samples(space, archgen.load("generator", "uniform").sample(space, 300, seed=0), reference)
    assert stored["paper"] == pytest.approx(direct["paper"]) and stored["strict"] == pytest.approx(direct["strict"])
    # NB201's uniform sampler only draws members: every sample is valid under both protocols.
    assert stored["strict"]["validity"] == 100.0 and stored["paper"]["validity"] == 100.0
    assert "| uniform strict |" in (tmp_path / "runs" / "tiny" / "report.md").read_text()


def test_an_unknown_baseline_is_refused_before_any_work(tiny_registry, tmp_path, capsys):
    config = tiny_registry(num_samples=50)
    config.write_text(config.read_text().replace("num_samples = 50", 'num_samples = 50\nbaseline = "unifrom"'))
    assert main(["run", "--config", str(config)]) == 2
    assert "[evaluate] baseline: unknown plugin 'unifrom' in group 'archgen.generators'" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "tiny").exists()


def test_the_baseline_can_be_switched_off(tiny_registry, tmp_path, capsys):
    config = tiny_registry(num_samples=50)
    config.write_text(config.read_text().replace("num_samples = 50", 'num_samples = 50\nbaseline = ""'))
    assert main(["run", "--config", str(config)]) == 0
    assert "uniform" not in capsys.readouterr().out
    assert json.loads((tmp_path / "runs" / "tiny" / "metrics.json").read_text())["baselines"] == {}


@pytest.mark.parametrize("split_seed", [0, 3])
def test_a_sampled_data_set_is_not_the_uniform_baselines_own_draw(split_seed):
    # With [data] source = "sample", the data used to come from space.sample(num_archs, seed=split_seed):
    # the uniform baseline at that seed then redrew the data set itself (novelty = the held-out share).
    space = archgen.load("space", "nb201")
    section = DataSection(source="sample", num_archs=300, split_seed=split_seed)
    data_keys = {space.canonical_key(a) for a in dataset.collect(space, section)}
    baseline_keys = {space.canonical_key(a) for a in archgen.load("generator", "uniform").sample(space, 300, seed=split_seed).architectures(space)}
    # Two independent draws of ~300 of NB201's 6,466 classes share about 300 * 300 / 6,466 ≈ 14 classes.
    assert len(data_keys & baseline_keys) < 60
    assert dataset.collect(space, section) == dataset.collect(space, section)  # still reproducible
    assert dataset.data_stream_seed(split_seed) != split_seed


def test_a_run_made_before_the_named_stream_still_finds_its_data():
    # config.json of such a run has no "data_stream": its data came from space.sample(n, seed=split_seed).
    space = archgen.load("space", "nb201")
    section = DataSection(source="sample", num_archs=300, split_seed=2)
    legacy = dataset.collect(space, section, stream=1)
    unique = list({space.key(a): a for a in reversed(space.sample(300, seed=2))}.values())
    assert {space.key(a) for a in legacy} == {space.key(a) for a in unique}
    assert [space.key(a) for a in legacy] != [space.key(a) for a in dataset.collect(space, section)]
