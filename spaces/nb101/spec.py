"""Pruning and the dataset's domain check, as the official model spec does them.

Follows google-research/nasbench ``nasbench/lib/model_spec.py``
(``ModelSpec._prune``) and ``nasbench/api.py`` (``NASBench._check_spec``):
a vertex that is not both reachable from the input and able to reach the
output is deleted (the others keep their order); if fewer than two vertices
survive, the input does not reach the output and the spec is invalid. The
limits (at most 7 vertices and 9 edges, ``input`` first, ``output`` last,
the 3 operations between) are checked on the *pruned* spec only, so ops and
edges of pruned-away vertices are never examined -- exactly as the official
API answers ``is_valid``.
"""

from __future__ import annotations

from collections.abc import Sequence

from archgen.spaces.nb101.hashing import AVAILABLE_OPS

MAX_VERTICES = 7
MAX_EDGES = 9
INPUT = "input"
OUTPUT = "output"

Matrix = tuple[tuple[int, ...], ...]


def prune(adjacency: Sequence[Sequence[int]], ops: Sequence[str]) -> tuple[Matrix, tuple[str, ...]] | None:
    """The official ``ModelSpec._prune``.

    Args:
        adjacency: Square upper-triangular 0/1 matrix.
        ops: One op per vertex.

    Returns:
        ``(pruned adjacency, pruned ops)``, or ``None`` when the input does not
        reach the output (fewer than 2 vertices would survive).
    """
    n = len(ops)
    if n == 0:
        return None
    from_input = _reachable(adjacency, n, start=0, forward=True)
    to_output = _reachable(adjacency, n, start=n - 1, forward=False)
    kept = [v for v in range(n) if v in from_input and v in to_output]
    # The official test is len(extraneous) > n - 2, i.e. fewer than 2 survivors.
    if len(kept) < 2:
        return None
    matrix = tuple(tuple(int(adjacency[i][j]) for j in kept) for i in kept)
    return matrix, tuple(ops[v] for v in kept)


def _reachable(adjacency: Sequence[Sequence[int]], n: int, start: int, forward: bool) -> set[int]:
    seen = {start}
    frontier = [start]
    while frontier:
        top = frontier.pop()
        neighbours = range(top + 1, n) if forward else range(0, top)
        for v in neighbours:
            edge = adjacency[top][v] if forward else adjacency[v][top]
            if edge and v not in seen:
                seen.add(v)
                frontier.append(v)
    return seen


def domain_error(adjacency: Sequence[Sequence[int]], ops: Sequence[str]) -> str | None:
    """Why the official API would reject this spec, or ``None`` if it accepts it.

    The messages follow ``NASBench._check_spec``'s ``OutOfDomainError`` texts.

    Args:
        adjacency: Square upper-triangular 0/1 matrix.
        ops: One op per vertex.

    Returns:
        A one-line reason, or ``None`` for a spec inside the dataset's domain.
    """
    pruned = prune(adjacency, ops)
    if pruned is None:
        return "invalid spec: the input does not reach the output (graph is disconnected)"
    matrix, kept_ops = pruned
    if len(kept_ops) > MAX_VERTICES:
        return f"too many vertices after pruning: {len(kept_ops)} (max {MAX_VERTICES})"
    edges = sum(map(sum, matrix))
    if edges > MAX_EDGES:
        return f"too many edges after pruning: {edges} (max {MAX_EDGES})"
    if kept_ops[0] != INPUT:
        return f"first operation is {kept_ops[0]!r}; expected 'input'"
    if kept_ops[-1] != OUTPUT:
        return f"last operation is {kept_ops[-1]!r}; expected 'output'"
    for op in kept_ops[1:-1]:
        if op not in AVAILABLE_OPS:
            return f"unsupported op {op!r}; expected one of {list(AVAILABLE_OPS)}"
    return None
