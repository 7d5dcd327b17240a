"""The GIN encoder: message passing is blind to which component a node sits in; node positions are not."""

from __future__ import annotations

import pytest
import torch

import archgen
from archgen.plugins.encoders.gin import GINEncoder, GINOptions
from archgen.plugins.encoders.loading import load_encoder
from archgen.registry import PluginChoice


def _two_identical_components() -> tuple[torch.Tensor, torch.Tensor]:
    """One graph of 6 nodes: the path 0->1->2 and its copy 3->4->5, same ops (like DARTS' two cells)."""
    adjacency = torch.zeros(1, 6, 6)
    for a, b in ((0, 1), (1, 2), (3, 4), (4, 5)):
        adjacency[0, a, b] = 1
    ops = torch.eye(3)[[0, 1, 2, 0, 1, 2]][None]
    return adjacency, ops


@pytest.mark.parametrize("option", ["position_features", "position_embedding"])
@pytest.mark.parametrize("enabled", [False, True])
def test_node_positions_are_what_tells_identical_components_apart(option, enabled):
    torch.manual_seed(0)
    encoder = GINEncoder(GINOptions(input_dim=3, hidden_dims=[8, 8], out_dim=4, max_nodes=6, **{option: enabled})).eval()
    adjacency, ops = _two_identical_components()
    with torch.no_grad():
        z = encoder(adjacency, ops)[0]
    # Without positions node i and node i + 3 have the same neighbourhood, hence the same embedding.
    assert torch.equal(z[:3], z[3:]) is (not enabled)


def test_position_features_need_the_node_count():
    with pytest.raises(ValueError, match="max_nodes"):
        GINEncoder(GINOptions(input_dim=3, position_features=True))


def test_load_encoder_fills_the_space_sizes():
    space = archgen.load("space", "darts")
    encoder = load_encoder(PluginChoice(name="gin", options={"hidden_dims": [8], "position_features": True}), space, out_dim=5)
    assert (encoder.options.input_dim, encoder.options.out_dim, encoder.options.max_nodes) == (10, 5, 22)
    # The first layer reads the op one-hot and the 22-wide position one-hot.
    assert encoder.mlps[0][0].in_features == 10 + 22


def test_position_embedding_needs_the_node_count():
    with pytest.raises(ValueError, match="position_embedding needs max_nodes"):
        GINEncoder(GINOptions(input_dim=3, position_embedding=True))


@pytest.mark.parametrize("gain", [1.0, 10.0])
def test_position_embedding_moves_gain_times_the_learning_rate_per_adam_step(gain):
    # Adam's first step moves every parameter with a nonzero gradient by lr (m̂ / sqrt(v̂) = ±1), so
    # the vector added to Z_e moves by gain * lr: the gain is a learning-rate multiplier, nothing else.
    torch.manual_seed(0)
    options = GINOptions(input_dim=3, hidden_dims=[8], out_dim=4, max_nodes=6, position_embedding=True, position_embedding_gain=gain)
    encoder = GINEncoder(options)
    adjacency, ops = _two_identical_components()
    before = gain * encoder.position_embedding.detach().clone()
    optimiser = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    encoder(adjacency, ops).pow(2).sum().backward()
    optimiser.step()
    moved = (gain * encoder.position_embedding.detach() - before).abs()
    assert torch.allclose(moved, torch.full_like(moved, gain * 1e-3), rtol=1e-3)


def test_position_embedding_starts_at_the_same_vectors_whatever_the_gain():
    vectors = []
    for gain in (1.0, 10.0):
        torch.manual_seed(0)
        options = GINOptions(input_dim=3, hidden_dims=[8], out_dim=4, max_nodes=6, position_embedding=True, position_embedding_gain=gain)
        vectors.append(gain * GINEncoder(options).position_embedding.detach())
    torch.testing.assert_close(vectors[0], vectors[1])


@pytest.mark.parametrize("position_embedding", [False, True])
def test_only_the_position_embedding_lets_the_inner_product_decoder_read_the_mbv3_chain(position_embedding):
    # Arch-VQ's decoder reads edges as σ(z_iᵀ z_j) (arch-vq.md eq. 4). MBV3's graph is one 22-node
    # chain; the GIN's vectors carry each node's neighbourhood of ops, so no training of the paper's
    # encoder brings them into the chain's geometry, while a vector per node index does within a few
    # hundred steps (at full size: benchmarks/arch_vq_positions.py).
    from archgen.plugins.generators.arch_vq.vqvae import edge_loss, edges_from_logits

    torch.set_num_threads(1)
    space = archgen.load("space", "mbv3")
    adjacency, ops = (t.float() for t in space.to_tensors(space.sample(600, seed=1)))
    torch.manual_seed(0)
    options = GINOptions(input_dim=ops.shape[-1], hidden_dims=[32, 32, 16], out_dim=16, max_nodes=22, position_embedding=position_embedding)
    encoder = GINEncoder(options)
    optimiser = torch.optim.Adam(encoder.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(300):
        batch = torch.randint(0, 500, (32,), generator=generator)
        z = encoder(adjacency[batch], ops[batch])
        loss = edge_loss(z @ z.transpose(1, 2), adjacency[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        z = encoder.eval()(adjacency[500:], ops[500:])
        exact = (edges_from_logits(z @ z.transpose(1, 2)) == adjacency[500:].to(torch.uint8)).flatten(1).all(1)
    if position_embedding:
        assert exact.float().mean().item() >= 0.9
    else:
        assert not exact.any()


def test_load_encoder_sizes_the_position_embedding_for_the_space():
    space = archgen.load("space", "mbv3")
    encoder = load_encoder(PluginChoice(name="gin", options={"hidden_dims": [8], "position_embedding": True}), space, out_dim=5)
    assert tuple(encoder.position_embedding.shape) == (22, 5)
