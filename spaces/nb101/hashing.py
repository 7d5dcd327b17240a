"""The official NAS-Bench-101 module hash, bit for bit.

The dataset keys every cell by ``hash_module`` of google-research/nasbench
(``nasbench/lib/graph_util.py``), applied by ``ModelSpec.hash_spec``
(``nasbench/lib/model_spec.py``) to the *pruned* spec with the labels
``[-1] + [available_ops.index(op) for op in ops[1:-1]] + [-2]``. It is a
Weisfeiler-Lehman style refinement: each vertex starts from the MD5 of the
text ``"(out_degree, in_degree, label)"``, then ``V`` times takes the MD5 of
its sorted in-neighbour hashes, ``|``, its sorted out-neighbour hashes,
``|``, its own hash; the fingerprint is the MD5 of ``str(sorted(hashes))``.
Every string built here must equal the official one byte for byte, hence
the plain-Python formatting of ints and lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

#: ``config['available_ops']`` of the release, in its order: the hash labels are indices into it.
AVAILABLE_OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")

#: Labels the official code gives the input and the output vertex.
INPUT_LABEL = -1
OUTPUT_LABEL = -2


def _md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def hash_module(adjacency: Sequence[Sequence[int]], labels: Sequence[int]) -> str:
    """The official ``graph_util.hash_module`` fingerprint.

    Args:
        adjacency: Square 0/1 matrix (rows of ints); any vertex order.
        labels: One int label per vertex (``-1`` input, ``-2`` output, else an
            index into :data:`AVAILABLE_OPS`).

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


def labels_of(ops: Sequence[str]) -> list[int]:
    """The official integer labelling of a pruned spec's ops.

    Args:
        ops: Op names, first ``input`` and last ``output``.

    Returns:
        ``[-1] + [AVAILABLE_OPS.index(op) for op in ops[1:-1]] + [-2]``.

    Raises:
        ValueError: If an interior op is not in :data:`AVAILABLE_OPS`.
    """
    return [INPUT_LABEL] + [AVAILABLE_OPS.index(op) for op in ops[1:-1]] + [OUTPUT_LABEL]
