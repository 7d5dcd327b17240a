"""The DARTS genotype string: exact round trips of published cells and one-line rejections."""

from __future__ import annotations

import dataclasses

import pytest

from archgen.errors import InvalidArchitectureError
from archgen.spaces.darts.genotype import DARTS_V2, Genotype

# Verbatim from the DARTS release, github quark0/darts cnn/genotypes.py (DARTS = DARTS_V2).
DARTS_V2_TEXT = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)

# Same file, DARTS_V1 (first-order DARTS).
DARTS_V1_TEXT = (
    "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), "
    "('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])"
)


def test_darts_v2_round_trips_exactly() -> None:
    parsed = Genotype.from_string(DARTS_V2_TEXT)
    assert parsed == DARTS_V2
    assert parsed.why_invalid() is None
    assert parsed.to_string() == DARTS_V2_TEXT


def test_darts_v1_round_trips_exactly() -> None:
    parsed = Genotype.from_string(DARTS_V1_TEXT)
    assert parsed.why_invalid() is None
    assert parsed.to_string() == DARTS_V1_TEXT


def test_to_string_matches_the_release_namedtuple_repr() -> None:
    from collections import namedtuple

    release_genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
    as_released = release_genotype(list(DARTS_V2.normal), [2, 3, 4, 5], list(DARTS_V2.reduce), [2, 3, 4, 5])
    assert repr(as_released) == DARTS_V2.to_string()


def test_range_concat_and_multiline_layout_are_accepted() -> None:
    text = DARTS_V2_TEXT.replace("[2, 3, 4, 5]", "range(2, 6)").replace(", reduce=", ",\n  reduce=")
    parsed = Genotype.from_string(text)
    assert parsed == DARTS_V2
    assert parsed.to_string() == DARTS_V2_TEXT  # emits the list form


def test_positional_fields_are_accepted() -> None:
    text = DARTS_V2_TEXT
    for keyword in ("normal=", "normal_concat=", "reduce=", "reduce_concat="):
        text = text.replace(keyword, "")
    assert Genotype.from_string(text) == DARTS_V2


def _edit(cell: str, position: int, pair: tuple[str, int]) -> Genotype:
    pairs = list(getattr(DARTS_V2, cell))
    pairs[position] = pair
    return dataclasses.replace(DARTS_V2, **{cell: tuple(pairs)})


@pytest.mark.parametrize(
    ("genotype", "fragment"),
    [
        (_edit("normal", 1, ("sep_conv_3x3", 0)), "node 2 takes input 0 twice"),
        (_edit("reduce", 2, ("skip_connect", 3)), "node 3 takes input 3; it may only read earlier nodes 0..2"),
        (_edit("normal", 7, ("dil_conv_3x3", 5)), "node 5 takes input 5"),
        (_edit("normal", 4, ("none", 1)), "op 'none'"),
        (_edit("reduce", 0, ("conv_7x1_1x7", 0)), "unknown op 'conv_7x1_1x7'"),
        (Genotype(DARTS_V2.normal, (2, 3, 4), DARTS_V2.reduce, DARTS_V2.reduce_concat), "normal_concat is [2, 3, 4]"),
        (Genotype(DARTS_V2.normal, DARTS_V2.normal_concat, DARTS_V2.reduce[:6], DARTS_V2.reduce_concat), "has 6"),
    ],
)
def test_invalid_genotypes_name_the_problem(genotype: Genotype, fragment: str) -> None:
    reason = genotype.why_invalid()
    assert reason is not None and fragment in reason, reason
    assert "\n" not in reason


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Genotype(",
        "__import__('os').system('true')",
        "Genotype(normal=[], normal_concat=[2, 3, 4, 5], reduce=[])",
        "Genotype(normal=1, normal_concat=[2, 3, 4, 5], reduce=[], reduce_concat=[2, 3, 4, 5])",
        DARTS_V2_TEXT.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=list(range(2, 6))"),
        DARTS_V2_TEXT.replace("reduce_concat=", "reduce_concat_=", 1),
    ],
)
def test_malformed_strings_raise_one_line_errors(text: str) -> None:
    with pytest.raises(InvalidArchitectureError) as caught:
        Genotype.from_string(text)
    assert str(caught.value) and "\n" not in str(caught.value)
