"""The node-labelled graph form of a DARTS genotype (arch2vec's cell encoding, two cells).

arch2vec (github MSU-MLSys-Lab/arch2vec, ``preprocessing/gen_isomorphism_graphs.py``,
``build_mat_encoding``) encodes one DARTS cell as an 11-node DAG:

* node 0 ``c_k-2`` and node 1 ``c_k-1`` (the cell inputs);
* nodes 2..9: one node per ``(op, input)`` pair, labelled with the op; pair
  ``2k`` / ``2k+1`` of intermediate node ``2 + k`` is graph node ``2 + 2k`` /
  ``3 + 2k``;
* node 10 ``output``, fed by all eight op nodes (the cell concatenates every
  intermediate node).

An op node reading ``c_k-2``/``c_k-1`` has one edge from node 0/1; one reading
intermediate node ``2 + m`` has edges from *both* op nodes of that node (whose
sum it is). Op nodes follow their inputs, so the matrix is upper triangular.

An archgen architecture holds both cells: a block-diagonal 22-node graph, the
normal cell's 11 nodes then the reduction cell's 11, with no edges between
the blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from archgen.spaces.darts.genotype import CONCAT, OPERATIONS, STEPS, Cell, Genotype, cell_why_invalid

INPUT_LABELS = ("c_k-2", "c_k-1")
OUTPUT_LABEL = "output"

#: Nodes of one cell's graph: two inputs, eight op nodes, the output.
CELL_NODES = len(INPUT_LABELS) + 2 * STEPS + 1

#: Nodes of a genotype's graph: the normal cell's block, then the reduction cell's.
GRAPH_NODES = 2 * CELL_NODES

_OUTPUT = CELL_NODES - 1


def op_node(position: int) -> int:
    """The graph node (within a cell) of the cell's ``position``-th ``(op, input)`` pair."""
    return len(INPUT_LABELS) + position


def input_sources(index: int) -> tuple[int, ...]:
    """Cell-graph nodes whose edges stand for reading cell node ``index``."""
    if index < len(INPUT_LABELS):
        return (index,)
    step = index - len(INPUT_LABELS)
    return (op_node(2 * step), op_node(2 * step + 1))


@lru_cache(maxsize=None)
def _cell_rows(block: int, inputs: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The 11 rows (each ``GRAPH_NODES`` long) of one cell's block, shared between architectures."""
    matrix = np.zeros((CELL_NODES, GRAPH_NODES), dtype=np.int64)
    offset = block * CELL_NODES
    for position, index in enumerate(inputs):
        for source in input_sources(index):
            matrix[source, offset + op_node(position)] = 1
        matrix[op_node(position), offset + _OUTPUT] = 1
    return tuple(tuple(row) for row in matrix.tolist())


def cell_labels(cell: Cell | Sequence[str]) -> tuple[str, ...]:
    """The 11 node labels of a cell (``cell`` as pairs or as its eight op names)."""
    ops = [pair[0] if isinstance(pair, tuple) else pair for pair in cell]
    return (*INPUT_LABELS, *ops, OUTPUT_LABEL)


def genotype_to_graph(genotype: Genotype) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]:
    """``(adjacency, ops)`` of the 22-node graph (the genotype must be valid)."""
    normal_inputs, reduce_inputs = (tuple(index for _, index in cell) for cell in genotype.cells())
    adjacency = _cell_rows(0, normal_inputs) + _cell_rows(1, reduce_inputs)
    return adjacency, cell_labels(genotype.normal) + cell_labels(genotype.reduce)


Graph = tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]


def graphs_from_arrays(inputs: np.ndarray, ops: np.ndarray) -> list[Graph]:
    """``(adjacency, ops)`` of each genotype of an integer batch (see ``integer_codes``)."""
    graphs = []
    for cell_inputs, cell_ops in zip(np.asarray(inputs).tolist(), np.asarray(ops).tolist()):
        adjacency = _cell_rows(0, tuple(cell_inputs[0])) + _cell_rows(1, tuple(cell_inputs[1]))
        names = (
            *INPUT_LABELS, *(OPERATIONS[o] for o in cell_ops[0]), OUTPUT_LABEL,
            *INPUT_LABELS, *(OPERATIONS[o] for o in cell_ops[1]), OUTPUT_LABEL,
        )  # fmt: skip
        graphs.append((adjacency, names))
    return graphs


def graph_to_genotype(
    adjacency: Sequence[Sequence[int]], ops: Sequence[str]
) -> tuple[Genotype | None, str | None]:
    """Reads a genotype back from a 22-node graph, strictly.

    Plain Python on the nested tuples: for 22 nodes that is faster than numpy.

    Args:
        adjacency: ``22 x 22`` 0/1 matrix (rows of ints, e.g. ``Architecture.adjacency``).
        ops: 22 node labels.

    Returns:
        ``(genotype, None)`` when the graph is exactly the encoding of a valid
        genotype, else ``(None, reason)`` with a one-line reason.
    """
    if len(adjacency) != GRAPH_NODES or len(ops) != GRAPH_NODES:
        return None, (
            f"has {len(ops)} nodes; a DARTS graph has {GRAPH_NODES} "
            f"(normal then reduction cell, {CELL_NODES} nodes each)"
        )
    cells = []
    for block, name in enumerate(("normal", "reduce")):
        cell, reason = _read_cell(adjacency, ops, block * CELL_NODES, name)
        if cell is None:
            return None, reason
        cells.append(cell)
    genotype = Genotype(cells[0], CONCAT, cells[1], CONCAT)
    expected = genotype_to_graph(genotype)[0]
    if tuple(map(tuple, adjacency)) != expected:
        return None, _stray_edges(
            adjacency, expected, "of its cells (every op node must feed its cell's output; no other edges, none between cells)"
        )
    return genotype, None


def _read_cell(
    adjacency: Sequence[Sequence[int]], ops: Sequence[str], offset: int, name: str
) -> tuple[Cell | None, str | None]:
    """The cell whose 11-node block starts at node ``offset``, or ``(None, reason)``.

    Reads each op node's input from its incoming edges within the block; the caller
    compares the whole matrix with the encoding afterwards (stray edges).
    """
    labels = tuple(ops[offset : offset + CELL_NODES])
    if labels[:2] != INPUT_LABELS or labels[-1] != OUTPUT_LABEL:
        return None, (
            f"{name} cell nodes are labelled {labels[0]!r}, {labels[1]!r} ... {labels[-1]!r}; "
            f"expected {INPUT_LABELS[0]!r}, {INPUT_LABELS[1]!r} ... {OUTPUT_LABEL!r}"
        )
    pairs = []
    for position in range(2 * STEPS):
        node = op_node(position)
        column = offset + node
        sources = tuple(i - offset for i in range(offset, column) if adjacency[i][column])
        index = _input_of_sources(sources, position)
        if index is None:
            return None, (
                f"{name} op node {node} has incoming edges from nodes {list(sources)}; expected exactly "
                f"c_k-2 [0], c_k-1 [1] or both op nodes of one earlier intermediate node"
            )
        pairs.append((labels[node], index))
    reason = cell_why_invalid(tuple(pairs))
    if reason is not None:
        return None, f"{name} cell: {reason}"
    return tuple(pairs), None


def cell_to_graph(cell: Cell) -> Graph:
    """``(adjacency, ops)`` of one cell's own 11-node graph (arch2vec's form; ``cell`` must be valid)."""
    return _single_cell_adjacency(tuple(index for _, index in cell)), cell_labels(cell)


@lru_cache(maxsize=None)
def _single_cell_adjacency(inputs: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(row[:CELL_NODES] for row in _cell_rows(0, inputs))


def graph_to_cell(adjacency: Sequence[Sequence[int]], ops: Sequence[str]) -> tuple[Cell | None, str | None]:
    """Reads one cell back from its 11-node graph, strictly (see :func:`graph_to_genotype`).

    Returns:
        ``(cell, None)`` when the graph is exactly the encoding of a valid cell,
        else ``(None, reason)`` with a one-line reason.
    """
    if len(adjacency) != CELL_NODES or len(ops) != CELL_NODES:
        return None, f"has {len(ops)} nodes; a DARTS cell graph has {CELL_NODES}"
    cell, reason = _read_cell(adjacency, ops, 0, "the")
    if cell is None:
        return None, reason
    expected = cell_to_graph(cell)[0]
    if tuple(map(tuple, adjacency)) != expected:
        return None, _stray_edges(adjacency, expected, "of its cell (every op node must feed the output; no other edges)")
    return cell, None


def _stray_edges(adjacency: Sequence[Sequence[int]], expected: Sequence[Sequence[int]], encoding: str) -> str:
    """The one-line reason naming the first pairs where ``adjacency`` differs from ``expected``."""
    nodes = range(len(expected))
    wrong = [(i, j) for i in nodes for j in nodes if bool(adjacency[i][j]) != bool(expected[i][j])]
    return f"edges {wrong[:6]}{' ...' if len(wrong) > 6 else ''} differ from the encoding {encoding}"


def _input_of_sources(sources: tuple[int, ...], position: int) -> int | None:
    """The cell node an op node reads, from its incoming edges, or ``None`` if they fit no input."""
    for index in range(len(INPUT_LABELS) + position // 2):
        if sources == input_sources(index):
            return index
    return None


def arch2vec_cell_is_valid(adjacency: np.ndarray, ops: Sequence[str]) -> bool:
    """arch2vec's validity of one decoded 11-node DARTS cell.

    The rule of ``is_valid_darts`` (github MSU-MLSys-Lab/arch2vec,
    ``utils/utils.py``): labels ``c_k-2``, ``c_k-1`` first and ``output``
    last, ops (``none`` allowed) in between; each op node of intermediate
    node ``k`` has some incoming edge from a node before its own node's op
    nodes (``adj[:2+2k, col] > 0``), and nodes 0..2 have no incoming edge from
    op nodes of later intermediate nodes (for node 3, the last, that is
    implied by the upper triangle). Other edges are not examined.
    """
    if len(ops) != CELL_NODES or ops[0] != INPUT_LABELS[0] or ops[1] != INPUT_LABELS[1] or ops[-1] != OUTPUT_LABEL:
        return False
    if any(op not in OPERATIONS and op != "none" for op in ops[2:-1]):
        return False
    for step in range(STEPS):
        for node in (op_node(2 * step), op_node(2 * step + 1)):
            if adjacency[: op_node(2 * step), node].sum() == 0:
                return False
            if step < STEPS - 1 and adjacency[op_node(2 * step + 2) :, node].sum() > 0:
                return False
    return True
