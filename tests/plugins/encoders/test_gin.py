"""The GIN encoder: message passing is blind to which component a node sits in; position features are not."""

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


@pytest.mark.parametrize("position_features", [False, True])
def test_position_features_are_what_tells_identical_components_apart(position_features):
    torch.manual_seed(0)
    encoder = GINEncoder(GINOptions(input_dim=3, hidden_dims=[8, 8], out_dim=4, max_nodes=6, position_features=position_features)).eval()
    adjacency, ops = _two_identical_components()
    with torch.no_grad():
        z = encoder(adjacency, ops)[0]
    # Without positions node i and node i + 3 have the same neighbourhood, hence the same embedding.
    assert torch.equal(z[:3], z[3:]) is (not position_features)


def test_position_features_need_the_node_count():
    with pytest.raises(ValueError, match="max_nodes"):
        GINEncoder(GINOptions(input_dim=3, position_features=True))


def test_load_encoder_fills_the_space_sizes():
    space = archgen.load("space", "darts")
    encoder = load_encoder(PluginChoice(name="gin", options={"hidden_dims": [8], "position_features": True}), space, out_dim=5)
    assert (encoder.options.input_dim, encoder.options.out_dim, encoder.options.max_nodes) == (10, 5, 22)
    # The first layer reads the op one-hot and the 22-wide position one-hot.
    assert encoder.mlps[0][0].in_features == 10 + 22
