"""The DARTS genotype: the native, human-readable form of a DARTS architecture.

A genotype holds two cells (normal and reduction). Each cell has two inputs
(``c_{k-2}`` = 0, ``c_{k-1}`` = 1) and four intermediate nodes 2..5; node
``2 + k`` sums two ``(op, input)`` pairs whose inputs are distinct earlier
nodes (``input < 2 + k``), and the cell output concatenates nodes 2..5.

The string form is the ``repr`` of the DARTS release's namedtuple
(github quark0/darts, ``cnn/genotypes.py``: ``Genotype = namedtuple('Genotype',
'normal normal_concat reduce reduce_concat')``), e.g. ``DARTS_V2`` below.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from archgen.errors import InvalidArchitectureError, clipped

#: The seven candidate ops of a discrete DARTS cell, in the release's ``PRIMITIVES`` order
#: (quark0/darts ``cnn/genotypes.py``) without ``none``, which the discretisation never picks.
OPERATIONS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)

#: Intermediate nodes per cell (DARTS ``steps = 4``).
STEPS = 4

#: Cell inputs (``c_{k-2}``, ``c_{k-1}``) before the intermediate nodes.
CELL_INPUTS = 2

#: The only output concatenation of the discrete space: every intermediate node.
CONCAT: tuple[int, ...] = tuple(range(CELL_INPUTS, CELL_INPUTS + STEPS))

CELL_NAMES = ("normal", "reduce")

Cell = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Genotype:
    """One DARTS architecture: a normal and a reduction cell.

    Attributes:
        normal: Eight ``(op, input)`` pairs; pairs ``2k`` and ``2k+1`` feed node ``2 + k``.
        normal_concat: Nodes concatenated into the normal cell's output.
        reduce: The reduction cell, in the same layout as ``normal``.
        reduce_concat: Nodes concatenated into the reduction cell's output.
    """

    normal: Cell
    normal_concat: tuple[int, ...]
    reduce: Cell
    reduce_concat: tuple[int, ...]

    def cells(self) -> tuple[Cell, Cell]:
        """``(normal, reduce)``."""
        return self.normal, self.reduce

    def why_invalid(self) -> str | None:
        """A one-line reason this is not a member of the discrete DARTS space, or ``None``."""
        for name, cell, concat in (
            ("normal", self.normal, self.normal_concat),
            ("reduce", self.reduce, self.reduce_concat),
        ):
            reason = cell_why_invalid(cell)
            if reason is not None:
                return f"{name} cell: {reason}"
            if tuple(concat) != CONCAT:
                return f"{name}_concat is {list(concat)}; the DARTS space concatenates exactly {list(CONCAT)}"
        return None

    def to_string(self) -> str:
        """The release namedtuple's ``repr`` (lists, not ``range``)."""

        def pairs(cell: Cell) -> str:
            return "[" + ", ".join(f"({op!r}, {index})" for op, index in cell) + "]"

        return (
            f"Genotype(normal={pairs(self.normal)}, normal_concat={list(self.normal_concat)}, "
            f"reduce={pairs(self.reduce)}, reduce_concat={list(self.reduce_concat)})"
        )

    @classmethod
    def from_string(cls, text: str) -> Genotype:
        """Parses ``Genotype(normal=[...], normal_concat=..., reduce=[...], reduce_concat=...)``.

        Keyword or positional fields are accepted, lists or tuples, and
        ``range(a, b)`` for the concatenations (as several releases write
        them). The text is parsed as a syntax tree, never evaluated. Only the
        syntax is checked here; :meth:`why_invalid` judges membership.

        Raises:
            InvalidArchitectureError: Naming the text and the part that is wrong.
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"DARTS genotype string must be a str, got {type(text).__name__}")
        expected = (
            "expected 'Genotype(normal=[(op, input), ...], normal_concat=[2, 3, 4, 5], "
            "reduce=[...], reduce_concat=[...])'"
        )
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        # CPython's parser answers some pathological inputs (a 100 KB run of brackets inside a
        # string) with MemoryError or RecursionError rather than SyntaxError.
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            raise InvalidArchitectureError(f"invalid DARTS genotype {text[:80]!r}: not parseable; {expected}") from None
        if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "Genotype"):
            raise InvalidArchitectureError(f"invalid DARTS genotype {text[:80]!r}: {expected}")
        fields = ("normal", "normal_concat", "reduce", "reduce_concat")
        if len(tree.args) > len(fields):
            raise InvalidArchitectureError(
                f"invalid DARTS genotype {text[:80]!r}: too many positional fields; {expected}"
            )
        values: dict[str, ast.expr] = dict(zip(fields, tree.args))
        for keyword in tree.keywords:
            if keyword.arg not in fields or keyword.arg in values:
                raise InvalidArchitectureError(
                    f"invalid DARTS genotype {text[:80]!r}: unexpected or repeated field {clipped(keyword.arg)}; "
                    f"expected each of {list(fields)} once"
                )
            values[keyword.arg] = keyword.value
        missing = [name for name in fields if name not in values]
        if missing:
            raise InvalidArchitectureError(f"invalid DARTS genotype {text[:80]!r}: missing field(s) {missing}")
        return cls(
            normal=_parse_cell(values["normal"], "normal", text),
            normal_concat=_parse_concat(values["normal_concat"], "normal_concat", text),
            reduce=_parse_cell(values["reduce"], "reduce", text),
            reduce_concat=_parse_concat(values["reduce_concat"], "reduce_concat", text),
        )


def cell_why_invalid(cell: Cell) -> str | None:
    """A one-line reason ``cell`` is not a discrete DARTS cell, or ``None``.

    Args:
        cell: ``(op, input)`` pairs, two per intermediate node.
    """
    if len(cell) != 2 * STEPS:
        return f"has {len(cell)} (op, input) pairs; a DARTS cell has {2 * STEPS} (two per intermediate node)"
    for position, pair in enumerate(cell):
        node = CELL_INPUTS + position // 2
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return f"pair {position} is {clipped(pair)}; expected (op, input)"
        op, index = pair
        if op == "none":
            return f"node {node} uses op 'none', which the discrete DARTS space never chooses"
        if op not in OPERATIONS:
            return f"node {node} has unknown op {clipped(op)}; expected one of {list(OPERATIONS)}"
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < node:
            return f"node {node} takes input {clipped(index)}; it may only read earlier nodes 0..{node - 1}"
    for step in range(STEPS):
        first, second = cell[2 * step][1], cell[2 * step + 1][1]
        if first == second:
            return f"node {CELL_INPUTS + step} takes input {first} twice; its two inputs must be distinct"
    return None


def _parse_cell(node: ast.expr, field: str, text: str) -> Cell:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        value = None
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str) for pair in value
    ):
        raise InvalidArchitectureError(
            f"invalid DARTS genotype {text[:80]!r}: {field} must be a list of (op, input) pairs"
        )
    return tuple((op, index) for op, index in value)


def _parse_concat(node: ast.expr, field: str, text: str) -> tuple[int, ...]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and not node.keywords:
        try:
            bounds = [ast.literal_eval(argument) for argument in node.args]
        except (ValueError, TypeError, SyntaxError):
            bounds = []
        if 1 <= len(bounds) <= 2 and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            return tuple(range(*bounds))
    else:
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError):
            value = None
        if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    raise InvalidArchitectureError(
        f"invalid DARTS genotype {text[:80]!r}: {field} must be a list of node indices or range(a, b)"
    )


#: DARTS (second order), the published CIFAR-10 cell: quark0/darts ``cnn/genotypes.py``, ``DARTS_V2``.
DARTS_V2 = Genotype(
    normal=(
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
    ),
    normal_concat=CONCAT,
    reduce=(
        ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
        ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1),
    ),
    reduce_concat=CONCAT,
)  # fmt: skip
