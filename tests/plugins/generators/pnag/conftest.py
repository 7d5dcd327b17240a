"""Fixtures shared by the pnag tests."""

import pytest

import archgen


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")
