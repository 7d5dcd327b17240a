"""The ``gbdt`` predictor: the flat encoding, learning a target the ops determine, its missing-extra error."""

import sys

import numpy as np
import pytest
from scipy.stats import kendalltau

import archgen
from archgen.errors import ConfigError
from archgen.plugins.predictors.gbdt import GBDTPredictor, flat_encoding


@pytest.fixture(scope="module")
def space():
    return archgen.load("space", "nb201")


def test_flat_encoding_is_the_upper_triangle_then_the_one_hot_ops(space):
    # NB201's node form (AutoDL's string order: edge 0->1, then 0->2, 1->2, then 0->3, 1->3, 2->3).
    arch = space.from_string("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    features = flat_encoding(space, [arch])[0]
    nodes, ops = 8, len(space.op_vocabulary)
    assert features.shape == (nodes * (nodes - 1) // 2 + nodes * ops,)
    triangle, one_hot = features[: nodes * (nodes - 1) // 2], features[nodes * (nodes - 1) // 2 :].reshape(nodes, ops)
    adjacency = np.zeros((nodes, nodes))
    adjacency[np.triu_indices(nodes, k=1)] = triangle
    assert np.array_equal(adjacency, np.asarray(arch.adjacency))
    names = [space.op_vocabulary[i] for i in one_hot.argmax(1)]
    assert names == ["input", "nor_conv_3x3", "none", "avg_pool_3x3", "skip_connect", "nor_conv_1x1", "none", "output"]
    assert one_hot.sum() == nodes


def test_gbdt_ranks_a_target_the_ops_determine(space):
    archs = space.sample(400, seed=2)
    y = np.array([arch.ops.count("nor_conv_3x3") + 0.5 * arch.ops.count("nor_conv_1x1") for arch in archs])
    predictor = archgen.load("predictor", "gbdt", max_iter=200, ensemble=2, subsample=0.8)
    stats = predictor.fit(space, archs[:300], y[:300], seed=0)
    assert stats["members"] == 2 and stats["train_mse"] < 0.05
    tau = kendalltau(predictor.predict(space, archs[300:]), y[300:]).statistic
    assert tau > 0.85
    # Same seed, same forest; another seed draws other rows.
    again = archgen.load("predictor", "gbdt", max_iter=200, ensemble=2, subsample=0.8)
    again.fit(space, archs[:300], y[:300], seed=0)
    assert np.array_equal(again.predict(space, archs[300:]), predictor.predict(space, archs[300:]))
    other = archgen.load("predictor", "gbdt", max_iter=200, ensemble=2, subsample=0.8)
    other.fit(space, archs[:300], y[:300], seed=1)
    assert not np.array_equal(other.predict(space, archs[300:]), predictor.predict(space, archs[300:]))


def test_bad_targets_and_a_missing_extra_are_one_line_errors(space, monkeypatch):
    archs = space.sample(4, seed=0)
    with pytest.raises(ConfigError, match="target 1 is nan"):
        GBDTPredictor().fit(space, archs, np.array([1.0, np.nan, 2.0, 3.0]))
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"needs scikit-learn: pip install 'archgen\[sklearn\]'"):
        GBDTPredictor().fit(space, archs, np.arange(4.0))
