"""``archgen.open_run``: a real trained run's typed config, trained seeds, generators, samples, metrics, errors."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

import archgen
from archgen.errors import ArchgenError, ConfigError, RunConfigError, RunNotFoundError, UntrainedSeedError
from archgen.runs import Run, RunConfig


def test_open_run_reads_the_typed_config_and_the_trained_seeds(finished_run):
    run = archgen.open_run(finished_run)
    assert isinstance(run, Run) and isinstance(run.config, RunConfig)
    assert run.config.generator.name == "arch_vq" and run.config.evaluate.num_samples == 20
    assert set(run.config.data_sizes) == {"total", "train", "heldout"} and run.config.data_stream == 2
    assert run.seeds == run.trained_seeds == [0, 1]
    assert run.checkpoint_dir(1) == finished_run / "checkpoints" / "seed-1" and run.checkpoint_dir(1).is_dir()
    assert run.space.name == "nb201"


def test_the_generator_of_a_seed_is_loaded_and_samples(finished_run):
    run = archgen.open_run(str(finished_run))
    batch = run.generator(1).sample(run.space, 8, seed=0, **run.sampling())
    assert len(batch) == 8
    assert run.sampling({"temperature": 2.0})["temperature"] == 2.0
    with pytest.raises(ConfigError, match="temperature"):
        run.sampling({"temperature": -1})


def test_samples_metrics_and_training_statistics(finished_run):
    run = archgen.open_run(finished_run)
    head, batches = run.samples()
    assert head["seeds"] == [0, 1] and sorted(batches) == [0, 1] and len(batches[0]) == 20
    assert run.metrics()["seeds"] == [0, 1]
    assert "seconds" in run.training_stats(0)


def test_trained_seeds_are_the_replicates_with_a_checkpoint(run_copy):
    shutil.rmtree(run_copy / "checkpoints" / "seed-1")
    run = archgen.open_run(run_copy)
    assert run.seeds == [0, 1] and run.trained_seeds == [0]
    with pytest.raises(UntrainedSeedError, match=r"seed 1 is not a trained seed of run .*; choose one of \[0\]"):
        run.generator(1)
    with pytest.raises(UntrainedSeedError, match=r"seed-1' not found; train first: archgen train"):
        run.require_trained()


def test_a_run_without_checkpoints_says_to_train_first(run_copy):
    shutil.rmtree(run_copy / "checkpoints")
    run = archgen.open_run(run_copy)
    assert run.trained_seeds == []
    with pytest.raises(UntrainedSeedError, match="has no trained replicate .*; train first: archgen train"):
        run.generator(0)


@pytest.mark.parametrize(
    "damage, error, message",
    [
        ("missing", RunNotFoundError, "no run at '.*' \\(missing config.json\\); create it with 'archgen train'"),
        ("{not json", RunConfigError, "config.json' is corrupt: "),
        ('{"run": 3}', RunConfigError, "config.json' is not an archgen run configuration \\(.*\\); re-create the run"),
        ("[]", RunConfigError, "not an archgen run configuration"),
    ],
)
def test_a_bad_run_is_one_line_error(run_copy, damage, error, message):
    if damage == "missing":
        shutil.rmtree(run_copy)
    else:
        (run_copy / "config.json").write_text(damage)
    with pytest.raises(error, match=message) as caught:
        archgen.open_run(run_copy)
    assert isinstance(caught.value, ArchgenError) and "\n" not in str(caught.value)


def test_a_space_other_than_the_runs_is_refused(finished_run):
    with pytest.raises(ConfigError, match="is a run of space 'nb201', not 'nb101'"):
        archgen.open_run(finished_run, space=SimpleNamespace(name="nb101"))
