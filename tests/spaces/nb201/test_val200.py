"""NB201's 200-epoch cifar10-valid table (nb201_cifar10valid_val200.csv.gz) as an oracle: the labels of ``archgen predict``."""

import pytest

import archgen
from archgen.errors import ConfigError
from archgen.testing import require_shared_data

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def space():
    path = require_shared_data("nasbench201", "nb201_cifar10valid_val200.csv.gz")
    return archgen.load("space", "nb201", benchmark=str(path))


def test_the_val200_columns_are_offered_as_percent_metrics(space):
    assert space.oracle_metrics() == {
        "cifar10-valid/valid@200": "%",
        "cifar10-valid/test@200": "%",
        "cifar10-valid/train@200": "%",
    }
    assert len(space.benchmark()) == 15_625  # every cell; the loss column is not read
    assert "cifar10-valid/loss@200" not in space.benchmark().metrics


def test_the_published_validation_optimum(space):
    # PROVENANCE.md: best validation 91.6067 at index 6111 (NAS-Bench-201 paper: 91.61), the test optimum's cell.
    oracle = space.oracle("cifar10-valid/valid@200")
    assert oracle.query(space.from_string(BEST)) == pytest.approx(91.6067, abs=1e-4)
    index = list(space.benchmark().keys).index(BEST)
    assert index == 6111 and space.benchmark().column("cifar10-valid/valid@200").max() == pytest.approx(91.6067, abs=1e-4)


def test_a_metric_of_the_other_table_is_refused_naming_these(space):
    with pytest.raises(ConfigError, match=r"unknown metric 'cifar10/test@200' for space 'nb201'; accepted: .*cifar10-valid/valid@200"):
        space.oracle("cifar10/test@200")
