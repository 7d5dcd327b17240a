"""The predictors' shared fixtures: NAS-Bench-201 and a labelled sample whose target the ops determine."""

import numpy as np
import pytest

import archgen


@pytest.fixture(scope="module")
def space():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def labelled(space):
    archs = space.sample(60, seed=1)
    # A target the ops determine: the number of 3x3 convolutions, plus a little of the 1x1 ones.
    y = np.array([arch.ops.count("nor_conv_3x3") + 0.5 * arch.ops.count("nor_conv_1x1") for arch in archs])
    return archs, y
