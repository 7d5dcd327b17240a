"""The ``transferable`` predictor: a support set decides the task; meta-training is reused; errors are one line.

The space here carries a synthetic table of all 15,625 NB201 cells with three tasks the ops
determine, so that what the model must learn is known exactly: task A counts convolutions, task B
is nearly its opposite, task C counts pooling and skips (the unseen one).
"""

import numpy as np
import pytest
from scipy.stats import kendalltau

import archgen
from archgen.errors import ConfigError, DataFileError

TASK_A, TASK_B, TASK_C = "cifar10/test@1", "cifar100/test@1", "imagenet16-120/test@1"
SMALL = {"hidden_dims": [32], "width": 32, "episodes_per_step": 4, "support_min": 8, "support_max": 24, "query_size": 32,
         "source_archs": 1000}


def task_values(arch):
    conv = 3 * arch.ops.count("nor_conv_3x3") + arch.ops.count("nor_conv_1x1")
    other = 2 * arch.ops.count("avg_pool_3x3") + arch.ops.count("skip_connect")
    return {TASK_A: float(conv), TASK_B: float(-conv + 0.5 * other), TASK_C: float(other)}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    plain = archgen.load("space", "nb201")
    path = tmp_path_factory.mktemp("transferable") / "tasks.csv"
    lines = [f"index,arch_str,{TASK_A},{TASK_B},{TASK_C}"]
    for index, arch in enumerate(plain.enumerate()):
        values = task_values(arch)
        lines.append(f"{index},{plain.to_string(arch)}," + ",".join(str(values[t]) for t in (TASK_A, TASK_B, TASK_C)))
    path.write_text("\n".join(lines) + "\n")
    return archgen.load("space", "nb201", benchmark=str(path))


@pytest.fixture(scope="module")
def evaluation(space):
    archs = space.sample(300, seed=7)
    return archs, {task: np.array([task_values(a)[task] for a in archs]) for task in (TASK_A, TASK_B, TASK_C)}


def labels(space, task, count, seed):
    archs = space.sample(count, seed=seed)
    return archs, np.array([task_values(a)[task] for a in archs])


@pytest.fixture(scope="module")
def meta_trained(space):
    """Meta-trained on A and B; no adaptation, so only the support set can tell the tasks apart."""
    predictor = archgen.load("predictor", "transferable", sources=[TASK_A, TASK_B], meta_steps=300, adapt_steps=0, **SMALL)
    stats = predictor.fit(space, *labels(space, TASK_A, 12, seed=1), seed=0)
    return predictor, stats


def tau(predicted, truth):
    return kendalltau(predicted, truth)[0]


def test_the_support_set_alone_decides_which_task_is_predicted(space, evaluation, meta_trained):
    predictor, stats = meta_trained
    archs, truth = evaluation
    assert (stats["meta_steps"], stats["adapt_steps"], stats["source_archs"]) == (300, 0, 1000)
    on_a = predictor.predict(space, archs)
    assert tau(on_a, truth[TASK_A]) > 0.6

    stats_b = predictor.fit(space, *labels(space, TASK_B, 12, seed=2), seed=0)
    assert (stats_b["meta_steps"], stats_b["meta_reused"]) == (0, True)
    on_b = predictor.predict(space, archs)
    # Same weights, other support set: the ranking turns round.
    assert tau(on_b, truth[TASK_B]) > 0.6
    assert tau(on_b, truth[TASK_A]) < -0.3


def test_reusing_the_meta_trained_weights_equals_meta_training_again(space, evaluation, meta_trained):
    predictor, _ = meta_trained
    archs, _ = evaluation
    fresh = archgen.load("predictor", "transferable", sources=[TASK_A, TASK_B], meta_steps=300, adapt_steps=5, **SMALL)
    reused = archgen.load("predictor", "transferable", sources=[TASK_A, TASK_B], meta_steps=300, adapt_steps=5, **SMALL)
    reused._meta_key, reused._meta_state = None, None
    reused.fit(space, *labels(space, TASK_A, 12, seed=1), seed=0)  # meta-trains
    target = labels(space, TASK_C, 16, seed=3)
    assert reused.fit(space, *target, seed=0)["meta_reused"] is True
    assert fresh.fit(space, *target, seed=0)["meta_reused"] is False
    np.testing.assert_allclose(reused.predict(space, archs), fresh.predict(space, archs), rtol=1e-5, atol=1e-6)


def test_predictions_are_in_the_targets_units(space, evaluation):
    # Support values are standardised, so an affine relabelling (positive scale) maps the predictions.
    archs, _ = evaluation
    train, y = labels(space, TASK_C, 20, seed=4)
    options = {**SMALL, "adapt_steps": 10}
    plain = archgen.load("predictor", "transferable", **options)
    plain.fit(space, train, y, seed=0)
    scaled = archgen.load("predictor", "transferable", **options)
    scaled.fit(space, train, 4.0 * y - 7.0, seed=0)
    np.testing.assert_allclose(scaled.predict(space, archs), 4.0 * plain.predict(space, archs) - 7.0, rtol=1e-4, atol=1e-3)


def test_without_sources_it_trains_on_the_new_task_alone(space):
    predictor = archgen.load("predictor", "transferable", adapt_steps=3, **SMALL)
    stats = predictor.fit(space, *labels(space, TASK_C, 10, seed=5), seed=0)
    assert stats["sources"] == [] and stats["meta_steps"] == 0 and stats["meta_loss"] is None
    assert stats["adapt_steps"] == 3 and stats["meta_reused"] is False


def test_an_unknown_source_names_the_accepted_metrics(space):
    predictor = archgen.load("predictor", "transferable", sources=["cifar10/test@7"], **SMALL)
    with pytest.raises(ConfigError, match=r"unknown metric 'cifar10/test@7' for space 'nb201'; accepted: .*cifar10/test@1"):
        predictor.fit(space, *labels(space, TASK_C, 10, seed=5))


def test_a_source_with_too_few_labels_is_named(tmp_path):
    # A table of two all-convolution cells (each alone in its isomorphism class): a uniform draw of
    # 1,000 finds at most a few of them labelled.
    plain = archgen.load("space", "nb201")
    cells = [plain.from_string("|{0}~0|+|{0}~0|{0}~1|+|{0}~0|{0}~1|{0}~2|".format(op)) for op in ("nor_conv_3x3", "nor_conv_1x1")]
    path = tmp_path / "two.csv"
    path.write_text(f"index,arch_str,{TASK_A}\n" + "".join(f"{i},{plain.to_string(a)},{i}.0\n" for i, a in enumerate(cells)))
    space = archgen.load("space", "nb201", benchmark=str(path))
    predictor = archgen.load("predictor", "transferable", sources=[TASK_A], **SMALL)
    with pytest.raises(ConfigError, match=r"transferable source 'cifar10/test@1' labels only \d of 1000 drawn architectures; "
                                          r"an episode needs support_min \+ 1 = 9"):
        predictor.fit(space, *labels(space, TASK_C, 10, seed=5))


def test_sources_on_a_space_without_data_are_a_data_file_error():
    plain = archgen.load("space", "nb201")
    predictor = archgen.load("predictor", "transferable", sources=[TASK_A], **SMALL)
    with pytest.raises(DataFileError, match="has no benchmark table"):
        predictor.fit(plain, plain.sample(5, seed=0), np.arange(5.0))


def test_support_bounds_are_checked_when_the_options_are():
    with pytest.raises(ConfigError, match=r"support_min \(30\) must not exceed support_max \(20\)"):
        archgen.load("predictor", "transferable", support_min=30, support_max=20)
