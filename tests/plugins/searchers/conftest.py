"""A toy oracle with a known optimum: the number of ``nor_conv_3x3`` edges of an NB201 cell (6 at best)."""

from __future__ import annotations

import pytest

import archgen
from archgen.oracle import BudgetedOracle, ComputedOracle, MetricSpec


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture
def toy(nb201):
    """``budget -> BudgetedOracle`` of the conv-count score (one unique optimum: all six edges conv3x3)."""
    oracle = ComputedOracle(nb201, "conv3x3-edges", MetricSpec("%"), lambda arch: arch.ops.count("nor_conv_3x3"))
    return lambda budget: BudgetedOracle(oracle, nb201, budget)
