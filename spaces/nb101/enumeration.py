"""Every unique NAS-Bench-101 cell, vectorised over adjacency masks and labelings.

The official generator (google-research/nasbench
``nasbench/scripts/generate_graphs.py``) walks, for ``V = 2..7`` vertices,
every bitmask of the ``V(V-1)/2`` upper-triangle entries in increasing order
(bit ``x + y(y-1)/2`` is the edge ``x -> y``, ``graph_util.gen_is_edge_fn``),
keeps the *full* DAGs (every vertex but the output has an out-edge, every
vertex but the input an in-edge: ``graph_util.is_full_dag``) with at most 9
edges, tries every labelling of the ``V - 2`` interior vertices in
``itertools.product`` order, and keeps the first graph seen for each
``hash_module`` fingerprint. It verified that equal fingerprints meant
isomorphic graphs, and got 423,624 cells.

:func:`enumerate_cells` visits the same graphs in the same order but
replaces the per-graph MD5 refinement with an exact canonical form computed
for all graphs at once: the lexicographically smallest code of the
adjacency over all permutations of the interior vertices (input and output
are the unique source and sink of a full DAG, so an isomorphism fixes them),
then, among the permutations reaching it (the automorphisms), the smallest
code of the labels. Two labelled graphs get the same form exactly when they
are isomorphic. Since the official hash is an isomorphism invariant that the
release checked to be collision-free on this space, "first graph per
canonical form" and "first graph per official hash" pick the same
representatives -- the benchmark and the tests check both facts (equal
representatives for small ``V``, the published total of 423,624).

:func:`enumerate_cells_reference` is that plain official procedure, kept as
the baseline.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from archgen.spaces.nb101.hashing import AVAILABLE_OPS, hash_module

MAX_VERTICES = 7
MAX_EDGES = 9
NUM_OPS = len(AVAILABLE_OPS)


@dataclass(frozen=True)
class CellArrays:
    """Cells in a compact columnar form.

    Attributes:
        num_vertices: ``[N]`` vertex count of each cell (2..7).
        edge_bits: ``[N]`` adjacency as the official bitmask (bit
            ``x + y(y-1)/2`` set for an edge ``x -> y``).
        labeling: ``[N]`` interior labels as one integer, the index of the
            labelling in ``itertools.product(range(3), repeat=V-2)`` order
            (first interior vertex most significant); label ``k`` is
            ``AVAILABLE_OPS[k]``.
    """

    num_vertices: np.ndarray
    edge_bits: np.ndarray
    labeling: np.ndarray

    def __len__(self) -> int:
        return len(self.num_vertices)

    def counts_by_vertices(self) -> dict[int, int]:
        """Number of cells for each vertex count."""
        values, counts = np.unique(self.num_vertices, return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts)}

    def adjacency(self, index: int) -> tuple[tuple[int, ...], ...]:
        """The adjacency matrix of cell ``index``."""
        return bits_to_matrix(int(self.edge_bits[index]), int(self.num_vertices[index]))

    def ops(self, index: int) -> tuple[str, ...]:
        """The op names of cell ``index``, ``input`` and ``output`` included."""
        return labeling_to_ops(int(self.labeling[index]), int(self.num_vertices[index]))


def edge_bit(x: int, y: int) -> int:
    """Bit index of the edge ``x -> y`` (``x < y``) in the official bitmask."""
    return x + y * (y - 1) // 2


@functools.lru_cache(maxsize=16384)  # ~6,500 distinct masks; enumerate() asks for each many times
def bits_to_matrix(bits: int, num_vertices: int) -> tuple[tuple[int, ...], ...]:
    """The adjacency matrix that ``graph_util.gen_is_edge_fn(bits)`` describes."""
    return tuple(
        tuple(int(x < y and (bits >> edge_bit(x, y)) & 1) for y in range(num_vertices)) for x in range(num_vertices)
    )


@functools.lru_cache(maxsize=1024)
def labeling_to_ops(labeling: int, num_vertices: int) -> tuple[str, ...]:
    """Op names for a labelling index (``itertools.product`` order)."""
    interior = num_vertices - 2
    digits = [(labeling // NUM_OPS ** (interior - 1 - k)) % NUM_OPS for k in range(interior)]
    return ("input", *(AVAILABLE_OPS[d] for d in digits), "output")


def enumerate_cells(max_vertices: int = MAX_VERTICES, max_edges: int = MAX_EDGES) -> CellArrays:
    """Every unique cell, in the official generator's first-seen order.

    Args:
        max_vertices: Largest vertex count (the release uses 7).
        max_edges: Largest edge count (the release uses 9).

    Returns:
        The cells, ordered by vertex count, then bitmask, then labelling.
    """
    parts = [_cells_with(v, max_edges) for v in range(2, max_vertices + 1)]
    return CellArrays(
        num_vertices=np.concatenate([np.full(len(p[0]), v, dtype=np.int8) for v, p in zip(range(2, max_vertices + 1), parts)]),
        edge_bits=np.concatenate([p[0] for p in parts]).astype(np.int32),
        labeling=np.concatenate([p[1] for p in parts]).astype(np.int16),
    )


def full_dag_masks(num_vertices: int, max_edges: int = MAX_EDGES) -> np.ndarray:
    """Bitmasks of the full DAGs with at most ``max_edges`` edges, ascending.

    Args:
        num_vertices: Vertex count ``V``.
        max_edges: Largest edge count.

    Returns:
        ``int64`` bitmasks.
    """
    v = num_vertices
    bits = np.arange(1 << (v * (v - 1) // 2), dtype=np.int64)
    keep = np.bitwise_count(bits) <= max_edges
    for x in range(v - 1):  # every vertex but the output needs an out-edge
        row = sum(1 << edge_bit(x, y) for y in range(x + 1, v))
        keep &= (bits & row) != 0
    for y in range(1, v):  # every vertex but the input needs an in-edge
        column = sum(1 << edge_bit(x, y) for x in range(y))
        keep &= (bits & column) != 0
    return bits[keep]


def _cells_with(v: int, max_edges: int) -> tuple[np.ndarray, np.ndarray]:
    """Representatives ``(bitmasks, labelings)`` of the unique cells with ``v`` vertices."""
    masks = full_dag_masks(v, max_edges)
    interior = v - 2
    num_labelings = NUM_OPS**interior
    if len(masks) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Every relabelling q of the interior vertices (q[old] = new; 0 and v-1 fixed).
    perms = np.array([(0, *p, v - 1) for p in itertools.permutations(range(1, v - 1))], dtype=np.int64)
    edges = [(x, y) for y in range(v) for x in range(y)]
    present = np.stack([(masks >> edge_bit(x, y)) & 1 for x, y in edges], axis=1)  # [A, E]
    # Code of the relabelled adjacency: bit (q[x] * v + q[y]) for each edge x -> y.
    positions = np.stack([perms[:, x] * v + perms[:, y] for x, y in edges], axis=1)  # [P, E]
    codes = np.zeros((len(masks), len(perms)), dtype=np.int64)
    for e in range(len(edges)):
        codes |= present[:, e : e + 1] << positions[None, :, e]
    best = codes.min(axis=1)
    automorphic = codes == best[:, None]  # the relabellings reaching the canonical adjacency
    # Label code of every labelling under every relabelling: label of old vertex u lands on q[u].
    labelings = np.array(list(itertools.product(range(NUM_OPS), repeat=interior)), dtype=np.int64).reshape(
        num_labelings, interior
    )
    weights = NUM_OPS ** (perms[:, 1:-1] - 1)  # [P, interior]: weight of the new position of each old vertex
    label_codes = labelings @ weights.T  # [L, P]
    # Minimum over each adjacency's automorphisms; most graphs have only the identity-like one.
    order = np.argsort(~automorphic, axis=1, kind="stable")
    count = automorphic.sum(axis=1)
    canonical_labels = label_codes[:, order[:, 0]].T  # [A, L]
    for rank in range(1, int(count.max())):
        chosen = np.where(rank < count, order[:, rank], order[:, 0])
        np.minimum(canonical_labels, label_codes[:, chosen].T, out=canonical_labels)
    _, adjacency_class = np.unique(best, return_inverse=True)
    keys = (adjacency_class.reshape(-1, 1) * num_labelings + canonical_labels).ravel()
    # np.unique's return_index is the first occurrence in the generator's order.
    _, first = np.unique(keys, return_index=True)
    first.sort()
    return masks[first // num_labelings], first % num_labelings


def enumerate_cells_reference(max_vertices: int = MAX_VERTICES, max_edges: int = MAX_EDGES) -> CellArrays:
    """The plain official procedure: one graph at a time, one MD5 hash per labelling.

    Mirrors ``generate_graphs.py``: build each bitmask's matrix, skip graphs that
    are not full DAGs or have too many edges, hash every labelling with
    :func:`hash_module`, keep the first graph per fingerprint. Slow (minutes
    for ``V = 7``); the baseline of ``benchmarks/nb101_enumeration.py`` and
    the oracle of the tests for small ``V``.

    Args:
        max_vertices: Largest vertex count.
        max_edges: Largest edge count.

    Returns:
        The cells in first-seen order.
    """
    buckets: dict[str, tuple[int, int, int]] = {}
    for v in range(2, max_vertices + 1):
        for bits in range(1 << (v * (v - 1) // 2)):
            matrix = np.fromfunction(
                np.vectorize(lambda x, y, b=bits: int(x < y and (b >> (x + y * (y - 1) // 2)) % 2 == 1)),
                (v, v),
                dtype=np.int64,
            )
            rows_empty = np.all(matrix[: v - 1, :] == 0, axis=1).any()
            columns_empty = np.all(matrix[:, 1:] == 0, axis=0).any()
            if rows_empty or columns_empty or int(matrix.sum()) > max_edges:
                continue
            rows = matrix.tolist()
            for index, labels in enumerate(itertools.product(range(NUM_OPS), repeat=v - 2)):
                fingerprint = hash_module(rows, [-1, *labels, -2])
                if fingerprint not in buckets:
                    buckets[fingerprint] = (v, bits, index)
    cells = np.array(list(buckets.values()), dtype=np.int64).reshape(-1, 3)
    return CellArrays(cells[:, 0].astype(np.int8), cells[:, 1].astype(np.int32), cells[:, 2].astype(np.int16))
