"""Genotypes as integer arrays: exact counting, canonical codes and fast unique sampling.

A batch of genotypes is two ``int8`` arrays of shape ``[B, 2, 8]`` (cell
``0`` normal, ``1`` reduce; pair ``2k`` and ``2k+1`` feed intermediate node
``2 + k``): ``inputs`` (the node each pair reads) and ``ops`` (an index into
:data:`~archgen.spaces.darts.genotype.OPERATIONS`).

The canonical code treats the two pairs of a node as unordered (the node
sums them). Per node ``k`` it numbers the unordered input pair ``lo < hi``
among the ``C(k+2, 2)`` pairs of the ``k + 2`` predecessors and appends the
two ops in ``(lo, hi)`` order, so node ``k`` takes ``C(k+2, 2) * 7**2``
values, a cell :func:`cell_count` values and a genotype their square -- which
is therefore also the exact size of the space. Every code fits an ``int64``.
"""

from __future__ import annotations

from math import comb, prod

import numpy as np

from archgen.spaces.darts.genotype import CELL_INPUTS, CONCAT, OPERATIONS, STEPS, Genotype

_NUM_OPS = len(OPERATIONS)
_OP_INDEX = {op: i for i, op in enumerate(OPERATIONS)}

#: Predecessors of each intermediate node: 2, 3, 4, 5.
_PREDECESSORS = np.arange(CELL_INPUTS, CELL_INPUTS + STEPS)

#: Distinct values of each node's canonical code: unordered input pair x op of each input.
_NODE_RADIX = tuple(comb(int(m), 2) * _NUM_OPS**2 for m in _PREDECESSORS)


def cell_count() -> int:
    """Distinct discrete DARTS cells: the product over nodes of ``C(k+2, 2) * 7**2``.

    Returns:
        ``(1 * 3 * 6 * 10) * 49**4 = 1,037,664,180``.
    """
    return prod(_NODE_RADIX)


def genotype_count() -> int:
    """Distinct genotypes (normal x reduction cell), inputs of a node unordered."""
    return cell_count() ** 2


def _node_code_table() -> np.ndarray:
    """Canonical node code of every ordered ``((a, op_a), (b, op_b))``, indexed by ``(a*7 + op_a)*35 + b*7 + op_b``.

    Entries with ``a == b`` or an input beyond node 3's predecessors are never read.
    """
    width = int(_PREDECESSORS[-1]) * _NUM_OPS  # (input, op) values: 5 inputs x 7 ops
    table = np.zeros(width * width, dtype=np.int64)
    for first in range(width):
        for second in range(width):
            (a, op_a), (b, op_b) = divmod(first, _NUM_OPS), divmod(second, _NUM_OPS)
            if a > b:
                (a, op_a), (b, op_b) = (b, op_b), (a, op_a)
            # Colex rank of the pair a < b: independent of how many predecessors the node has.
            table[first * width + second] = ((b * (b - 1) // 2 + a) * _NUM_OPS + op_a) * _NUM_OPS + op_b
    return table


_NODE_CODE = _node_code_table()
_PAIR_VALUES = int(_PREDECESSORS[-1]) * _NUM_OPS


def canonical_codes(inputs: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """The canonical code of each genotype of a batch (vectorised).

    Args:
        inputs: ``[B, 2, 8]`` integer inputs (must be valid: distinct, earlier).
        ops: ``[B, 2, 8]`` op indices.

    Returns:
        ``[B]`` ``int64`` codes in ``[0, genotype_count())``.
    """
    pair = np.asarray(inputs, dtype=np.int32) * _NUM_OPS + np.asarray(ops, dtype=np.int32)
    node_codes = _NODE_CODE[pair[..., 0::2] * _PAIR_VALUES + pair[..., 1::2]]  # [B, 2, 4]
    cell_codes = node_codes[..., 0]
    for step in range(1, STEPS):
        cell_codes = cell_codes * _NODE_RADIX[step] + node_codes[..., step]
    return cell_codes[..., 0] * cell_count() + cell_codes[..., 1]


def canonical_code(genotype: Genotype) -> int:
    """The canonical code of one (valid) genotype, as a Python ``int``."""
    code = 0
    for cell in genotype.cells():
        for step, radix in enumerate(_NODE_RADIX):
            (op_a, a), (op_b, b) = cell[2 * step], cell[2 * step + 1]
            if a > b:
                (op_a, a), (op_b, b) = (op_b, b), (op_a, a)
            code = code * radix + ((b * (b - 1) // 2 + a) * _NUM_OPS + _OP_INDEX[op_a]) * _NUM_OPS + _OP_INDEX[op_b]
    return code


def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` genotypes drawn uniformly (with replacement) as ``(inputs, ops)`` arrays.

    Each node draws an ordered pair of distinct inputs and an op for each, so
    every canonical class (2**8 ordered forms each: two per node) is equally likely.
    """
    inputs = np.empty((n, 2, 2 * STEPS), dtype=np.int8)
    for step, predecessors in enumerate(_PREDECESSORS.tolist()):
        first = rng.integers(0, predecessors, size=(n, 2), dtype=np.int8)
        second = rng.integers(0, predecessors - 1, size=(n, 2), dtype=np.int8)
        second += second >= first  # skip ``first``: distinct inputs, uniform over the rest
        inputs[..., 2 * step], inputs[..., 2 * step + 1] = first, second
    ops = rng.integers(0, _NUM_OPS, size=(n, 2, 2 * STEPS), dtype=np.int8)
    return inputs, ops


def sample_unique(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` genotypes with distinct canonical codes, reproducibly for ``seed``.

    Draws a batch, keeps the first occurrence of each code (in draw order) and
    tops up with fresh draws until ``n`` remain.

    Args:
        n: How many; at most :func:`genotype_count`.
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        ``(inputs, ops)`` arrays of shape ``[n, 2, 8]``.

    Raises:
        ValueError: If ``n`` is negative or exceeds the size of the space.
    """
    if n < 0 or n > genotype_count():
        raise ValueError(f"cannot draw {n} unique DARTS genotypes; the space has {genotype_count()}")
    return _first_unique(n, np.random.default_rng(seed), whole_genotypes=True)


def sample_unique_cells(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` cells with distinct canonical codes, reproducibly for ``seed`` (the ``darts_cell`` space).

    Args:
        n: How many; at most :func:`cell_count`.
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        ``(inputs, ops)`` arrays of shape ``[n, 8]``.

    Raises:
        ValueError: If ``n`` is negative or exceeds the number of cells.
    """
    if n < 0 or n > cell_count():
        raise ValueError(f"cannot draw {n} unique DARTS cells; there are {cell_count()}")
    return _first_unique(n, np.random.default_rng(seed), whole_genotypes=False)


def _first_unique(n: int, rng: np.random.Generator, whole_genotypes: bool) -> tuple[np.ndarray, np.ndarray]:
    """Draws, keeps the first occurrence of each code (in draw order), tops up until ``n`` remain.

    With ``whole_genotypes`` false only each draw's normal cell is kept; a cell's code is
    that of the genotype using it twice, distinct for distinct cells.
    """

    def draws(count: int) -> tuple[np.ndarray, np.ndarray]:
        inputs, ops = draw(count, rng)
        return (inputs, ops) if whole_genotypes else (inputs[:, 0], ops[:, 0])

    def codes(inputs: np.ndarray, ops: np.ndarray) -> np.ndarray:
        if whole_genotypes:
            return canonical_codes(inputs, ops)
        return canonical_codes(np.stack([inputs, inputs], 1), np.stack([ops, ops], 1))

    inputs, ops = draws(n)
    while True:
        _, first_seen = np.unique(codes(inputs, ops), return_index=True)
        keep = np.sort(first_seen)
        if len(keep) >= n:
            keep = keep[:n]
            return inputs[keep], ops[keep]
        more_inputs, more_ops = draws(2 * (n - len(keep)) + 16)
        inputs = np.concatenate([inputs[keep], more_inputs])
        ops = np.concatenate([ops[keep], more_ops])


def genotypes_from_arrays(inputs: np.ndarray, ops: np.ndarray) -> list[Genotype]:
    """Builds :class:`Genotype` objects (concat ``[2, 3, 4, 5]``) from arrays."""
    result = []
    for cell_inputs, cell_ops in zip(np.asarray(inputs).tolist(), np.asarray(ops).tolist()):
        normal, reduce = (
            tuple(zip((OPERATIONS[o] for o in cell_ops[c]), cell_inputs[c])) for c in range(2)
        )
        result.append(Genotype(normal, CONCAT, reduce, CONCAT))
    return result


def arrays_from_genotypes(genotypes: list[Genotype]) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`genotypes_from_arrays` (the genotypes must be valid)."""
    inputs = np.array([[[i for _, i in cell] for cell in g.cells()] for g in genotypes], dtype=np.int8)
    ops = np.array([[[_OP_INDEX[o] for o, _ in cell] for cell in g.cells()] for g in genotypes], dtype=np.int8)
    return inputs.reshape(len(genotypes), 2, 2 * STEPS), ops.reshape(len(genotypes), 2, 2 * STEPS)
