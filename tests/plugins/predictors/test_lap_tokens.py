"""The batched LAP tokenizer against the plain per-graph reference, and the spectrum it rests on."""

import numpy as np
import pytest
import torch

import archgen
from archgen.plugins.predictors.lap_tokens import (
    PAD_EIGENVALUE,
    flip_signs,
    laplacian_eigenvectors,
    normalised_laplacian,
    token_width,
    tokenize,
    tokenize_one,
)

DP = 3


def _random_dags(count: int, max_nodes: int, vocabulary: int, seed: int):
    """Padded DAG batches of mixed sizes (2..max_nodes nodes), one-hot ops, padding at the end."""
    rng = np.random.default_rng(seed)
    adjacency = np.zeros((count, max_nodes, max_nodes))
    ops = np.zeros((count, max_nodes, vocabulary))
    sizes = rng.integers(2, max_nodes + 1, size=count)
    for b, n in enumerate(sizes):
        adjacency[b, :n, :n] = np.triu(rng.random((n, n)) < 0.4, 1)
        ops[b, np.arange(n), rng.integers(0, vocabulary, size=n)] = 1
    return torch.from_numpy(adjacency), torch.from_numpy(ops), sizes


def test_path_graph_spectrum_is_0_1_2():
    # The normalised Laplacian of the path on 3 vertices has eigenvalues 0, 1, 2
    # (Chung, Spectral Graph Theory, 1997, section 1.2: a bipartite graph has 2 in its spectrum).
    adjacency = torch.tensor([[[0, 1, 0], [0, 0, 1], [0, 0, 0]]], dtype=torch.float64)
    values, vectors = laplacian_eigenvectors(adjacency, torch.ones(1, 3, dtype=torch.bool), 3)
    assert values[0].tolist() == pytest.approx([0.0, 1.0, 2.0], abs=1e-12)
    # The 0-eigenvector is proportional to D^1/2 1 = (1, sqrt 2, 1).
    assert (vectors[0, :, 0].abs() / vectors[0, 0, 0].abs()).tolist() == pytest.approx([1.0, 2**0.5, 1.0])


def test_padding_nodes_sit_above_the_spectrum_and_leave_each_graph_alone():
    adjacency, ops, sizes = _random_dags(20, 7, 4, seed=1)
    mask = ops.sum(-1) > 0
    laplacian = normalised_laplacian(adjacency, mask)
    full = torch.linalg.eigvalsh(laplacian)
    for b, n in enumerate(sizes):
        block = torch.linalg.eigvalsh(laplacian[b, :n, :n])
        assert torch.allclose(full[b, :n], block, atol=1e-10)
        assert (full[b, n:] == PAD_EIGENVALUE).all()
        assert float(block.max()) <= 2 + 1e-10


def test_batched_tokens_equal_the_per_graph_reference():
    adjacency, ops, sizes = _random_dags(40, 9, 5, seed=2)
    lap = tokenize(adjacency, ops, DP)
    assert lap.tokens.shape[-1] == token_width(DP) == 11  # TART: df + 2 dp + 4 with df = 1, dp = 3
    for b, n in enumerate(sizes):
        a = adjacency[b, :n, :n].numpy()
        index = ops[b, :n].argmax(-1).numpy() / (ops.shape[-1] - 1)
        reference, values = tokenize_one(a, index, DP)
        ours = lap.tokens[b][lap.mask[b]].numpy()
        assert ours.shape == reference.shape
        positions = slice(1, 1 + 2 * DP)
        # Features and type identifiers are exact.
        assert np.array_equal(np.delete(ours, np.r_[1 : 1 + 2 * DP], axis=1), np.delete(reference, np.r_[1 : 1 + 2 * DP], axis=1))
        # Eigenvectors are unique up to sign (and to rotation inside a repeated eigenvalue): each of ours
        # is an eigenvector of this graph's Laplacian with the reference eigenvalue, and where that
        # eigenvalue is simple, it equals the reference up to sign.
        laplacian = normalised_laplacian(adjacency[b : b + 1, :n, :n], torch.ones(1, n, dtype=torch.bool))[0].numpy()
        spectrum = np.linalg.eigvalsh(laplacian)
        ours_p, ref_p = ours[1 : 1 + n, 1 : 1 + DP], reference[1 : 1 + n, 1 : 1 + DP]
        for k in range(min(n, DP)):
            v = ours_p[:, k]
            assert np.allclose(laplacian @ v, values[k] * v, atol=1e-9) and np.isclose(np.linalg.norm(v), 1.0)
            if np.sum(np.isclose(spectrum, values[k], atol=1e-8)) == 1:
                assert np.allclose(np.abs(v), np.abs(ref_p[:, k]), atol=1e-9)
        # Edge tokens carry exactly the endpoints' position rows, in row-major edge order.
        edges = np.argwhere(a != 0)
        assert np.allclose(ours[1 + n :, positions], np.c_[ours_p[edges[:, 0]], ours_p[edges[:, 1]]], atol=0)


def test_columns_past_a_small_graph_are_zero():
    adjacency = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    ops = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])  # two real nodes, one padding node
    lap = tokenize(adjacency, ops, dp=3)
    node_rows = lap.tokens[0, 1:3]
    assert (node_rows[:, 1 + 2] == 0).all() and (node_rows[:, 1 + 3 + 2] == 0).all()
    assert lap.mask[0].tolist() == [True, True, True, False, True]
    assert (lap.tokens[0, 3, 1 : 1 + 6] == 0).all()  # the padding node has no position


def test_sign_flips_change_only_signs_of_whole_eigenvectors():
    adjacency, ops, _ = _random_dags(16, 6, 3, seed=3)
    lap = tokenize(adjacency, ops, DP)
    flipped = flip_signs(lap.tokens, DP, torch.Generator().manual_seed(0))
    assert torch.equal(flipped[..., 0], lap.tokens[..., 0]) and torch.equal(flipped[..., 1 + 2 * DP :], lap.tokens[..., 1 + 2 * DP :])
    ratio = torch.where(lap.tokens[..., 1:1 + DP].abs() > 1e-6, flipped[..., 1:1 + DP] / lap.tokens[..., 1:1 + DP], torch.nan)
    for b in range(len(ratio)):
        for k in range(DP):
            seen = ratio[b, :, k][~ratio[b, :, k].isnan()].unique()
            assert len(seen) <= 1 and set(seen.tolist()) <= {-1.0, 1.0}
    # The same generator seed gives the same flips; the tokenizer's own flip draws the same way.
    again = flip_signs(lap.tokens, DP, torch.Generator().manual_seed(0))
    assert torch.equal(flipped, again)
    assert not torch.equal(flipped, lap.tokens)


def test_nb201_cells_tokenize_to_19_tokens():
    space = archgen.load("space", "nb201")
    adjacency, ops = space.to_tensors(space.sample(5, seed=0))
    lap = tokenize(adjacency.float(), ops.float())
    # 1 graph token + 8 nodes + the fixed cell's 10 node-form edges.
    assert lap.tokens.shape == (5, 19, 11) and bool(lap.mask.all())


def test_onehot_features_keep_the_whole_op_and_shift_nothing_else():
    adjacency, ops, sizes = _random_dags(12, 7, 5, seed=4)
    index = tokenize(adjacency, ops, DP)
    onehot = tokenize(adjacency, ops, DP, features="onehot")
    assert onehot.df == 5 and onehot.tokens.shape[-1] == token_width(DP, 5) == 5 + 2 * DP + 4
    assert torch.equal(onehot.mask, index.mask)
    # Node slots carry the one-hot rows exactly; edge and graph tokens have no features.
    n = ops.shape[1]
    assert torch.equal(onehot.tokens[:, 1 : 1 + n, :5], ops)
    assert (onehot.tokens[:, 0, :5] == 0).all() and (onehot.tokens[:, 1 + n :, :5] == 0).all()
    # Positions and type identifiers are the index tokenization's, moved right by df - 1 = 4 columns.
    assert torch.equal(onehot.tokens[..., 5:], index.tokens[..., 1:])
    # The per-graph reference agrees with one-hot rows as the node features.
    for b, size in enumerate(sizes[:3]):
        reference, _ = tokenize_one(adjacency[b, :size, :size].numpy(), ops[b, :size].numpy(), DP)
        ours = onehot.tokens[b][onehot.mask[b]].numpy()
        assert np.array_equal(ours[:, :5], reference[:, :5]) and np.array_equal(ours[:, -4:], reference[:, -4:])
    # Sign flips with df = 5 touch only the eigenvector columns.
    flipped = flip_signs(onehot.tokens, DP, torch.Generator().manual_seed(0), df=5)
    assert torch.equal(flipped[..., :5], onehot.tokens[..., :5]) and torch.equal(flipped[..., 5 + 2 * DP :], onehot.tokens[..., 5 + 2 * DP :])
    assert torch.equal(flipped[..., 5 : 5 + 2 * DP].abs(), onehot.tokens[..., 5 : 5 + 2 * DP].abs())


def test_unknown_features_are_refused():
    adjacency, ops, _ = _random_dags(2, 4, 3, seed=0)
    with pytest.raises(ValueError, match="unknown features 'bits'"):
        tokenize(adjacency, ops, DP, features="bits")
    with pytest.raises(ValueError, match="needs one-hot ops"):
        tokenize(adjacency, ops.argmax(-1), DP, features="onehot")
