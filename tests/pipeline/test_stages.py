"""archgen.pipeline.stages: the stages of ``archgen run`` and how a seed's epochs move the overall line."""

from __future__ import annotations

import io
from types import SimpleNamespace

from archgen.pipeline.stages import PASS_SHARE, EpochFeed, RunProgress, expected_epochs
from archgen.progress import Stages


def test_expected_epochs_sums_every_integer_epochs_option_nested_included():
    options = {"vqvae_epochs": 20, "prior_epochs": 80, "batch_size": 64, "flag_epochs": True,
               "prior": {"name": "transformer", "options": {"warmup_epochs": 5, "epochs_note": "x"}}}
    assert expected_epochs(options) == 105
    assert expected_epochs({}) == 1


def _session(seeds, baseline, options):
    config = SimpleNamespace(generator=SimpleNamespace(options=options), evaluate=SimpleNamespace(baseline=baseline))
    return SimpleNamespace(seeds=seeds, run_config=config, runtime=SimpleNamespace(is_main=True))


def test_the_run_has_a_stage_per_seed_then_generate_evaluate_and_the_baseline():
    progress = RunProgress(_session([0, 1], "uniform", {"vqvae_epochs": 20, "prior_epochs": 80}), )
    stages = progress.stages
    assert stages.labels == ("train seed 0", "train seed 1", "generate", "evaluate", "baseline")
    assert stages.weights == (100.0, 100.0, PASS_SHARE * 100 * 2, PASS_SHARE * 100 * 2, PASS_SHARE * 100 * 2)
    assert RunProgress(_session([0], None, {})).stages.labels == ("train seed 0", "generate", "evaluate")


def test_each_epoch_moves_the_seed_stage_and_names_the_training_step():
    times = iter(range(100))
    stream = io.StringIO()
    stages = Stages("run", [("train seed 3", 4.0), ("generate", 1.0)], mode="lines", stream=stream,
                    clock=lambda: next(times))
    progress = RunProgress(_session([3], None, {"a_epochs": 2, "b_epochs": 2}), stages)
    feed = progress.training(3)
    assert isinstance(feed, EpochFeed)
    for stage in ("vqvae", "vqvae", "prior"):
        feed(stage, 1, {})
    assert stages.fraction == 0.75 and stages.detail == "prior seed 3"
    assert [line.split(" [")[0] for line in stream.getvalue().splitlines()] == [
        "run: stage 1/2 (train seed 3)", "run: stage 1/2 (vqvae seed 3)", "run: stage 1/2 (prior seed 3)",
    ]
