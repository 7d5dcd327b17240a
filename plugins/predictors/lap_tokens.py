"""Laplacian-eigenvector tokens of graphs (TokenGT, Kim et al. 2022; as used by TART, arXiv:2501.02007).

A graph of ``n`` nodes and ``m`` edges becomes ``1 + n + m`` tokens of width ``df + 2 dp + 4``
(TART's ``(N + M) x (df + 2dp + 4)`` plus one graph token to read the prediction from):

* node ``i``:  ``[x_i, P_i, P_i, type]``;
* edge ``u -> v``: ``[0, P_u, P_v, type]``;
* the graph token: ``[0, 0, 0, type]``;

where ``x_i`` is the node's op compressed to ``df = 1`` number (its index in the space's vocabulary
scaled to [0, 1], as TART compresses its one-hot features to one number) or, with
``features="onehot"``, the uncompressed ``df = K`` one-hot the paper names as a possible loss of
information (tart.md, open questions); ``P`` holds the first
``dp = 3`` eigenvectors (smallest eigenvalues) of the symmetric normalised Laplacian
``I - D^-1/2 A D^-1/2`` of the undirected graph, and ``type`` is a one-hot of
(node, edge, graph, padding). Direction survives in the order ``P_u, P_v``.

Everything is batched: one ``torch.linalg.eigh`` call over the padded ``[B, N, N]`` Laplacians,
with no Python loop per graph. Padding nodes get the diagonal value :data:`PAD_EIGENVALUE`, above
every normalised-Laplacian eigenvalue (they lie in [0, 2]), so each graph's own eigenpairs come
first and are exactly those of its unpadded Laplacian (the matrix is block diagonal). Eigenvectors
are defined up to sign; :func:`flip_signs` draws random signs while training, as TokenGT does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: Diagonal entry of padding nodes: above the normalised Laplacian's spectrum [0, 2].
PAD_EIGENVALUE = 3.0

#: Columns of the type one-hot.
TYPES = ("node", "edge", "graph", "padding")


def token_width(dp: int, df: int = 1) -> int:
    """``df + 2 dp + 4`` (TART: ``df = 1``)."""
    return df + 2 * dp + len(TYPES)


@dataclass(frozen=True)
class LapTokens:
    """A padded batch of token sequences.

    Attributes:
        tokens: ``[B, T, df + 2 dp + 4]``; token 0 is the graph token, then the ``N`` node slots,
            then the edge slots (real edges first, in row-major order of the adjacency).
        mask: ``[B, T]`` True for real tokens.
        dp: Eigenvector dimensions.
        df: Node feature columns (1, or the vocabulary size for one-hot features).
    """

    tokens: torch.Tensor
    mask: torch.Tensor
    dp: int
    df: int = 1


def normalised_laplacian(adjacency: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    """``I - D^-1/2 A D^-1/2`` of the undirected graphs, padding nodes on the diagonal at :data:`PAD_EIGENVALUE`.

    Args:
        adjacency: ``[B, N, N]`` (any nonzero entry is an edge; direction and self-loops are ignored).
        node_mask: ``[B, N]`` True for real nodes.

    Returns:
        ``[B, N, N]`` symmetric matrices in ``adjacency``'s floating dtype (float32 for integer input).
    """
    dtype = adjacency.dtype if adjacency.is_floating_point() else torch.float32
    n = adjacency.shape[-1]
    real = node_mask.to(dtype)
    linked = ((adjacency != 0) | (adjacency.transpose(1, 2) != 0)).to(dtype)
    linked = linked * (1 - torch.eye(n, dtype=dtype, device=adjacency.device)) * real[:, :, None] * real[:, None, :]
    # An isolated node has degree 0: clamping keeps its row at the identity, as TokenGT does.
    inv_sqrt = linked.sum(-1).clamp(min=1).rsqrt()
    diagonal = real + (1 - real) * PAD_EIGENVALUE
    return torch.diag_embed(diagonal) - inv_sqrt[:, :, None] * linked * inv_sqrt[:, None, :]


def laplacian_eigenvectors(adjacency: torch.Tensor, node_mask: torch.Tensor, dp: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``dp`` eigenpairs of each graph's normalised Laplacian, in one batched ``eigh``.

    Returns:
        ``(eigenvalues [B, dp], eigenvectors [B, N, dp])``, ascending; for a graph with fewer than
        ``dp`` nodes the missing columns are zero (and their eigenvalues NaN), as TokenGT pads them.
    """
    values, vectors = torch.linalg.eigh(normalised_laplacian(adjacency, node_mask))
    batch, n = node_mask.shape
    if dp > n:
        vectors = torch.cat([vectors, vectors.new_zeros(batch, n, dp - n)], -1)
        values = torch.cat([values, values.new_full((batch, dp - n), float("nan"))], -1)
    values, vectors = values[:, :dp], vectors[:, :, :dp]
    exists = torch.arange(dp, device=node_mask.device)[None, :] < node_mask.sum(-1, keepdim=True)
    # Padding rows are zero already (block-diagonal matrix); columns past the graph's size are not.
    return values.masked_fill(~exists, float("nan")), vectors * exists[:, None, :].to(vectors.dtype)


def tokenize(
    adjacency: torch.Tensor,
    ops: torch.Tensor,
    dp: int = 3,
    generator: torch.Generator | None = None,
    features: str = "index",
) -> LapTokens:
    """LAP tokens of a padded graph batch.

    Args:
        adjacency: ``[B, N, N]``; ``adjacency[b, u, v] != 0`` is an edge ``u -> v``.
        ops: ``[B, N, K]`` one-hot ops (all-zero rows are padding) or ``[B, N]`` op indices with
            ``-1`` for padding.
        dp: Eigenvector dimensions.
        generator: When given, every eigenvector's sign is flipped at random (training augmentation).
        features: ``"index"`` (TART's ``df = 1``: op index scaled to [0, 1]) or ``"onehot"``
            (``df = K``; needs one-hot ``ops``).

    Returns:
        The :class:`LapTokens`.

    Raises:
        ValueError: For another ``features``, or ``"onehot"`` with index ``ops``.
    """
    if features not in ("index", "onehot"):
        raise ValueError(f"unknown features {features!r}; choose 'index' or 'onehot'")
    if features == "onehot" and ops.dim() != 3:
        raise ValueError("features='onehot' needs one-hot ops [B, N, K]")
    if ops.dim() == 3:
        node_mask = ops.sum(-1) > 0
        index = ops.argmax(-1)
        vocabulary = ops.shape[-1]
    else:
        node_mask = ops >= 0
        index = ops.clamp(min=0)
        vocabulary = int(index.max()) + 1 if index.numel() else 1
    dtype = adjacency.dtype if adjacency.is_floating_point() else torch.float32
    batch, n = node_mask.shape
    _, vectors = laplacian_eigenvectors(adjacency.to(dtype), node_mask, dp)
    if generator is not None:
        signs = torch.randint(0, 2, (batch, 1, dp), generator=generator).to(vectors) * 2 - 1
        vectors = vectors * signs

    df = vocabulary if features == "onehot" else 1
    width = token_width(dp, df)
    device = adjacency.device
    # Node slots.
    nodes = torch.zeros(batch, n, width, dtype=dtype, device=device)
    if features == "onehot":
        nodes[..., :df] = ops.to(dtype)
    else:
        nodes[..., 0] = (index.to(dtype) / max(vocabulary - 1, 1)) * node_mask
    nodes[..., df : df + dp] = vectors
    nodes[..., df + dp : df + 2 * dp] = vectors
    nodes[..., df + 2 * dp] = node_mask.to(dtype)
    nodes[..., df + 2 * dp + 3] = (~node_mask).to(dtype)

    # Edge slots: every directed pair, real edges moved to the front by a stable sort, then cut
    # at the batch's largest edge count.
    is_edge = (adjacency != 0) & ~torch.eye(n, dtype=torch.bool, device=device)
    is_edge = is_edge & node_mask[:, :, None] & node_mask[:, None, :]
    flat = is_edge.reshape(batch, n * n)
    counts = flat.sum(-1)
    m = int(counts.max()) if batch else 0
    order = torch.sort((~flat).to(torch.int8), dim=-1, stable=True).indices[:, :m]
    source, target = order // n, order % n
    edge_mask = torch.arange(m, device=device)[None, :] < counts[:, None]
    gather = lambda nodes_index: torch.gather(vectors, 1, nodes_index[..., None].expand(-1, -1, dp))  # noqa: E731
    edges = torch.zeros(batch, m, width, dtype=dtype, device=device)
    edges[..., df : df + dp] = gather(source) * edge_mask[..., None]
    edges[..., df + dp : df + 2 * dp] = gather(target) * edge_mask[..., None]
    edges[..., df + 2 * dp + 1] = edge_mask.to(dtype)
    edges[..., df + 2 * dp + 3] = (~edge_mask).to(dtype)

    graph = torch.zeros(batch, 1, width, dtype=dtype, device=device)
    graph[..., df + 2 * dp + 2] = 1
    tokens = torch.cat([graph, nodes, edges], 1)
    mask = torch.cat([torch.ones(batch, 1, dtype=torch.bool, device=device), node_mask, edge_mask], 1)
    return LapTokens(tokens, mask, dp, df)


def flip_signs(tokens: torch.Tensor, dp: int, generator: torch.Generator, df: int = 1) -> torch.Tensor:
    """The same tokens with every graph's eigenvector ``k`` multiplied by a random sign (both halves)."""
    signs = torch.randint(0, 2, (tokens.shape[0], 1, dp), generator=generator).to(tokens) * 2 - 1
    flipped = tokens.clone()
    flipped[..., df : df + dp] = tokens[..., df : df + dp] * signs
    flipped[..., df + dp : df + 2 * dp] = tokens[..., df + dp : df + 2 * dp] * signs
    return flipped


def tokenize_one(adjacency: np.ndarray, ops: np.ndarray, dp: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The plain per-graph reference: one unpadded graph, NumPy ``eigh``, explicit loops.

    Args:
        adjacency: ``[n, n]`` of the real nodes only.
        ops: ``[n]`` node features: the op index scaled to [0, 1] (``index / (K - 1)``), or
            ``[n, df]`` rows (one-hot ops).

    Returns:
        ``(tokens [1 + n + m, df + 2 dp + 4], eigenvalues [min(n, dp)])``, edges in row-major order.
    """
    n = len(ops)
    none = np.zeros(np.shape(ops)[1] if np.ndim(ops) == 2 else 1)
    linked = np.zeros((n, n))
    for u in range(n):
        for v in range(n):
            if u != v and (adjacency[u, v] or adjacency[v, u]):
                linked[u, v] = 1.0
    degree = np.maximum(linked.sum(1), 1.0)
    laplacian = np.eye(n) - linked / np.sqrt(degree[:, None] * degree[None, :])
    values, vectors = np.linalg.eigh(laplacian)
    k = min(n, dp)
    positions = np.zeros((n, dp))
    positions[:, :k] = vectors[:, :k]
    rows = [np.r_[none, np.zeros(2 * dp), [0, 0, 1, 0]]]
    for i in range(n):
        rows.append(np.r_[ops[i], positions[i], positions[i], [1, 0, 0, 0]])
    for u in range(n):
        for v in range(n):
            if u != v and adjacency[u, v]:
                rows.append(np.r_[none, positions[u], positions[v], [0, 1, 0, 0]])
    return np.array(rows), values[:k]
