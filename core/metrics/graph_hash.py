"""NAS-Bench-101's isomorphism-invariant graph hash, and the same equivalence for whole batches.

:func:`hash_module` is ``graph_util.hash_module`` of google-research/nasbench
(``nasbench/lib/graph_util.py``) bit for bit. NAS-Bench-101 keys its dataset
by it, and arch2vec (``models/pretraining_nasbench{101,201}.py``,
``models/pretraining_darts.py``) counts unique decodes by it. It is a
Weisfeiler-Lehman refinement: each vertex starts from the MD5 of the text
``"(out_degree, in_degree, label)"``, then ``V`` times takes the MD5 of its
sorted in-neighbour hashes, ``|``, its sorted out-neighbour hashes, ``|``,
its own hash; the fingerprint is the MD5 of ``str(sorted(hashes))``.

Hashing every graph with pure-Python MD5 is slow for the metrics (10,000
samples against a training split of 14,000; timings in
docs/results/performance.md). Counting needs
only *which graphs share a fingerprint*, and that :func:`isomorphism_classes`
computes exactly, vectorised: the same refinement with integer colours
numbered jointly over the batch instead of MD5 strings. Each MD5 input above
is an injective encoding of (own hash, multiset of in-neighbour hashes,
multiset of out-neighbour hashes) -- hashes have a fixed length, so joining
the sorted ones loses nothing -- hence two vertices anywhere in the batch get
equal MD5 hashes after ``t`` rounds exactly when they get equal colours
(barring an MD5 collision), and two graphs get equal fingerprints exactly when
their final colour multisets agree. The refinement can stop as soon as a round
splits no colour class: the colour of a vertex includes its previous colour,
so the partition only ever refines, and once it is stable the remaining rounds
only rename colours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

#: Graphs per step of :func:`refinement_profiles` (bounds its memory on large training splits).
_CHUNK = 4096


def _md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def hash_module(adjacency: Sequence[Sequence[int]], labels: Sequence[int]) -> str:
    """The official ``graph_util.hash_module`` fingerprint.

    Args:
        adjacency: Square 0/1 matrix (rows of ints); any vertex order.
        labels: One int label per vertex (NAS-Bench-101 uses ``-1`` for the
            input, ``-2`` for the output, else an index into its ``available_ops``).

    Returns:
        The 32-character hex MD5 fingerprint, invariant under relabelling the
        vertices together with their labels.
    """
    n = len(labels)
    rows = [[int(v) for v in row] for row in adjacency]
    in_degree = [sum(rows[w][v] for w in range(n)) for v in range(n)]
    out_degree = [sum(rows[v]) for v in range(n)]
    # str() of a tuple of Python ints, exactly as the official zip(...) produces.
    hashes = [_md5_hex(str((out_degree[v], in_degree[v], int(labels[v])))) for v in range(n)]
    in_neighbours = [[w for w in range(n) if rows[w][v]] for v in range(n)]
    out_neighbours = [[w for w in range(n) if rows[v][w]] for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5_hex(
                "".join(sorted(hashes[w] for w in in_neighbours[v]))
                + "|"
                + "".join(sorted(hashes[w] for w in out_neighbours[v]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5_hex(str(sorted(hashes)))


def exact_keys(adjacency: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One opaque key per graph, equal exactly when adjacency and labels are equal entry for entry.

    Args:
        adjacency: ``[B, N, N]`` 0/1 matrices.
        labels: ``[B, N]`` integer labels.

    Returns:
        A ``[B]`` numpy void array (usable with ``np.unique`` and ``np.isin``).
    """
    adjacency, labels = np.asarray(adjacency), np.asarray(labels, dtype=np.int64)
    b, n = labels.shape
    rows = np.concatenate([(adjacency.reshape(b, n * n) != 0).astype(np.int64), labels], axis=1)
    return _void_rows(rows)


def refinement_profiles(adjacency: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A key per graph, equal for any two graphs that share a :func:`hash_module` fingerprint.

    The multiset, over vertices, of a fixed 64-bit hash of the vertex's
    second-round signature: its ``(out_degree, in_degree, label)`` and the
    sorted ones of its in- and out-neighbours. Equal fingerprints imply equal
    multisets of signatures, hence equal keys; a hash collision only makes
    two different graphs look alike, so the key is a safe filter (the converse
    does not hold). Unlike :func:`isomorphism_classes` it does not depend on the
    rest of the batch, so it can be stored and compared later.

    Args:
        adjacency: ``[B, N, N]`` 0/1 matrices.
        labels: ``[B, N]`` integer labels (within the int32 range).

    Returns:
        A ``[B]`` numpy void array.
    """
    present = np.asarray(adjacency) != 0
    labels = np.asarray(labels, dtype=np.int64)
    b, n = labels.shape
    profiles = np.zeros((b, n), dtype=np.uint64)
    # In chunks: the [chunk, N, 2N + 1] signatures of a large training split would not fit at once.
    for start in range(0, b, _CHUNK):
        part, part_labels = present[start : start + _CHUNK], labels[start : start + _CHUNK]
        degrees = part.sum(2).astype(np.int64) * (n + 1) + part.sum(1)
        first = (degrees << 32) | (part_labels & 0xFFFFFFFF)
        neighbours = np.broadcast_to(first[:, None, :], (len(part), n, n))
        ins = np.sort(np.where(part.transpose(0, 2, 1), neighbours, -1), axis=2)
        outs = np.sort(np.where(part, neighbours, -1), axis=2)
        profiles[start : start + _CHUNK] = np.sort(_row_keys(np.concatenate([first[:, :, None], ins, outs], axis=2)), axis=1)
    return _void_rows(profiles)


def isomorphism_classes(adjacency: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Numbers the graphs of a batch so that equal numbers mean equal :func:`hash_module` fingerprints.

    Exact, not an approximation (see the module docstring): graphs ``i`` and
    ``j`` get the same number if and only if
    ``hash_module(adjacency[i], labels[i]) == hash_module(adjacency[j], labels[j])``
    (up to MD5 collisions). The numbers themselves mean nothing outside this call.

    Args:
        adjacency: ``[B, N, N]`` 0/1 matrices (any directed graph; self loops count as in the official code).
        labels: ``[B, N]`` integer labels.

    Returns:
        ``[B]`` int64 class numbers in ``0 .. classes - 1``.
    """
    present = np.asarray(adjacency) != 0
    labels = np.asarray(labels, dtype=np.int64)
    if present.ndim != 3 or present.shape[1] != present.shape[2] or labels.shape != present.shape[:2]:
        raise ValueError(f"expected adjacency [B, N, N] and labels [B, N], got {present.shape} and {labels.shape}")
    b, n, _ = present.shape
    if b == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.stack([present.sum(2), present.sum(1), labels], axis=-1).reshape(b * n, 3)
    colours, count = _renumber(first)  # int32 colours from here on: half the memory of the signatures
    colours = colours.reshape(b, n)
    incoming = present.transpose(0, 2, 1)  # incoming[g, v, w]: edge w -> v
    for _ in range(n):
        neighbours = np.broadcast_to(colours[:, None, :], (b, n, n))
        # Non-neighbours read as -1 and sort first, so equal rows mean equal neighbour multisets.
        ins = np.sort(np.where(incoming, neighbours, -1), axis=2)
        outs = np.sort(np.where(present, neighbours, -1), axis=2)
        signature = np.concatenate([colours[:, :, None], ins, outs], axis=2).reshape(b * n, 2 * n + 1)
        colours, refined = _renumber(signature)
        colours = colours.reshape(b, n)
        if refined == count:
            break
        count = refined
    return _renumber(np.sort(colours, axis=1))[0].astype(np.int64)


def _renumber(rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense numbers for the distinct rows of a 2-D integer array, and how many there are.

    Rows are sorted by a 64-bit multiplicative hash (one integer sort, far
    faster than sorting whole rows) and neighbours with equal hashes are
    compared in full; a collision falls back to sorting the rows themselves,
    so the numbering is exact either way.
    """
    keys = _row_keys(rows)
    order = np.argsort(keys, kind="stable")
    keys, ordered = keys[order], rows[order]
    starts = np.empty(len(keys), dtype=bool)
    starts[:1] = True
    starts[1:] = keys[1:] != keys[:-1]
    if (~starts[1:] & (ordered[1:] != ordered[:-1]).any(axis=1)).any():
        unique, inverse = np.unique(_void_rows(rows), return_inverse=True)
        return inverse.reshape(-1).astype(np.int32), len(unique)
    numbers = np.cumsum(starts, dtype=np.int64) - 1
    inverse = np.empty(len(keys), dtype=np.int32)
    inverse[order] = numbers
    return inverse, int(numbers[-1]) + 1 if len(numbers) else 0


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """A 64-bit multiplicative hash of each row (last axis) of an integer array, column by column."""
    weights = _row_weights(rows.shape[-1])
    keys = np.zeros(rows.shape[:-1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column, weight in zip(np.moveaxis(rows, -1, 0), weights):
            keys += column.astype(np.uint64) * weight
    return keys


def _row_weights(width: int) -> np.ndarray:
    # Fixed odd 64-bit multipliers: any choice is exact (collisions are checked), these are just well mixed.
    return np.random.default_rng(0x9E3779B97F4A7C15).integers(0, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def _void_rows(rows: np.ndarray) -> np.ndarray:
    rows = np.ascontiguousarray(rows)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


__all__ = ["exact_keys", "hash_module", "isomorphism_classes", "refinement_profiles"]
