"""``archgen analyze <run> reconstruction``: exact reconstruction, its twin-node ceiling, arch2vec's element-wise figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import archgen
from archgen.analysis.reconstruction import reconstruction_figures, twin_nodes
from archgen.cli.main import main
from archgen.plugins.generators.arch_vq.generator import ArchVQ

C3, MP = "conv3x3-bn-relu", "maxpool3x3"


def _nb101(edges, ops):
    n = len(ops) + 2
    bits = "".join("1" if (i, j) in edges else "0" for i in range(n) for j in range(n))
    return archgen.load("space", "nb101").from_string(f"{bits}|{','.join(('input', *ops, 'output'))}")


#: Two parallel conv3x3 branches input -> 1 -> output, input -> 2 -> output: nodes 1 and 2 are twins.
TWINS = _nb101({(0, 1), (0, 2), (1, 3), (2, 3)}, (C3, C3))
#: The same graph with different ops on the branches: no twins.
NO_TWINS = _nb101({(0, 1), (0, 2), (1, 3), (2, 3)}, (C3, MP))


def test_twin_nodes_need_the_same_op_and_the_same_neighbours_both_ways():
    space = archgen.load("space", "nb101")
    adjacency, ops = (t.numpy() for t in space.to_tensors([TWINS, NO_TWINS]))
    # NB101 pads 4-node cells to 7 nodes: the padding rows are twins too (zero op row, no edges).
    assert twin_nodes(adjacency, ops).tolist() == [True, True]
    assert twin_nodes(adjacency[:, :4, :4], ops[:, :4]).tolist() == [True, False]
    chain = _nb101({(0, 1), (1, 2), (2, 3)}, (C3, C3))  # same op, different neighbours
    chain_adjacency, chain_ops = (t.numpy()[:, :4] for t in space.to_tensors([chain]))
    assert twin_nodes(chain_adjacency[:, :, :4], chain_ops).tolist() == [False]


def test_the_decoder_always_joins_twins_so_they_never_come_back():
    """The ceiling's premise, on the real model at random initialisation: twins share a code, and
    the inner-product decoder's logit for the pair is ||z||^2 > 0 (arch-vq.md eq. 4) -- an edge."""
    space = archgen.load("space", "nb101")
    for seed in range(3):
        torch.manual_seed(seed)
        generator = archgen.load("generator", "arch_vq", **ArchVQ.TEST_OPTIONS).build(space)
        codes = generator.encode(space, [TWINS])
        assert codes[0, 1] == codes[0, 2]
        adjacency, _ = generator.decode_codes(codes)
        assert adjacency[0, 1, 2] == 1  # an edge the cell does not have


def test_figures_by_hand():
    adjacency = np.zeros((2, 3, 3), dtype=np.uint8)
    adjacency[:, 0, 1] = adjacency[:, 1, 2] = 1
    ops = np.eye(3)[[[0, 1, 2], [0, 1, 2]]]
    decoded = adjacency.copy()
    decoded[1, 0, 2] = 1  # one false edge in the second cell
    decoded_ops = np.array([[0, 1, 2], [0, 2, 2]])  # and one wrong op
    figures = reconstruction_figures(adjacency, ops, decoded, decoded_ops)
    assert figures["cells"] == 2 and figures["exact"] == 50.0
    assert figures["op_accuracy"] == pytest.approx(100 * 5 / 6)
    assert figures["adjacency_pair_accuracy"] == pytest.approx(100 * 5 / 6)  # 6 upper-triangle pairs, 1 wrong
    assert figures["edge_recall"] == 100.0 and figures["false_edge_rate"] == 50.0  # 1 of the 2 non-edges
    assert figures["cells_with_twin_nodes"] == 0.0 and figures["ceiling_position_blind"] == 100.0


def test_the_command_matches_the_generators_own_figure(run_copy):
    assert main(["analyze", str(run_copy), "reconstruction"]) == 0
    result = json.loads((run_copy / "analysis" / "reconstruction.json").read_text())
    row = result["per_seed"][0]
    training = json.loads((run_copy / "checkpoints" / "seed-0" / "training.json").read_text())
    assert result["split"] == "heldout" and row["cells"] > 0
    assert row["cells_with_twin_nodes"] == 0.0 and row["ceiling_position_blind"] == 100.0  # NB201's 8-node form has no twins
    assert row["exact_among_twin_free"] == row["exact"]
    # Training's last held-out figure is the same measurement of the same model.
    assert row["exact"] == pytest.approx(training["vqvae_final"]["validation_reconstruction"])
    assert "| 0 |" in (run_copy / "analysis" / "reconstruction.md").read_text()
