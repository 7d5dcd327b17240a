"""PNAG's observed support: the decode restricted to what training showed (docs/pnag.md, decision 31)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import archgen
from archgen.errors import CheckpointError, ConfigError
from archgen.plugins.generators.pnag.autoencoder import PositionDecoder
from archgen.plugins.generators.pnag.generator import PNAG
from archgen.plugins.generators.pnag.support import ObservedSupport

# Two-stage training of a few seconds; enough that unrestricted samples leave NB201 now and then.
TINY = {**PNAG.TEST_OPTIONS, "scales": [3, 5, 8], "vae_epochs": 4, "transformer_epochs": 2}


@pytest.fixture(scope="module")
def trained(nb201, tmp_path_factory):
    torch.set_num_threads(1)
    generator = archgen.load("generator", "pnag", **TINY)
    generator.fit(nb201, nb201.sample(120, seed=0), seed=0)
    directory = tmp_path_factory.mktemp("pnag-support")
    generator.save(directory)
    return generator, directory


def test_the_support_of_nb201_cells_is_their_fixed_graph_and_per_node_operations(nb201):
    # NB-201's cell (Dong & Yang 2020, Fig. 1): every cell is the same 8-node DAG; node 0 is the
    # input, node 7 the output, the six edge-nodes between take any of the five operations.
    support = ObservedSupport.of(nb201, nb201.sample(500, seed=3))
    adjacency, _ = nb201.to_arrays(nb201.sample(1, seed=0))
    assert (support.edges >= 0).all() and np.array_equal(support.edges.numpy(), adjacency[0])
    vocabulary = list(nb201.op_vocabulary)
    seen = [{vocabulary[k] for k in np.flatnonzero(row[:-1])} for row in support.ops.numpy()]
    assert seen[0] == {"input"} and seen[-1] == {"output"}
    assert all(s == {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"} for s in seen[1:-1])
    assert not support.ops[:, -1].any()  # no NB201 node is ever absent


def test_zero_padded_nodes_and_free_edges_stay_free():
    # NB101 cells have 2-7 nodes and varying edges: absent nodes are seen, and only edges no cell has are fixed.
    space = archgen.load("space", "nb101")
    archs = space.sample(300, seed=0)
    support = ObservedSupport.of(space, archs)
    adjacency, ops = space.to_arrays(archs)
    assert support.ops[:, -1].any()
    free = (support.edges == -1).numpy()
    assert np.array_equal(free, adjacency.any(0) & ~adjacency.all(0))
    assert np.array_equal(support.edges.numpy()[~free], adjacency[0][~free])
    with pytest.raises(ValueError, match="at least one"):
        ObservedSupport.of(space, [])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_the_restricted_decode_keeps_the_support_and_changes_nothing_inside_it(nb201, seed):
    torch.manual_seed(seed)
    decoder = PositionDecoder(channels=4, hidden=8, num_ops=len(nb201.op_vocabulary))
    support = ObservedSupport.of(nb201, nb201.sample(200, seed=1))
    feature = torch.randn(64, 4, 8, 8) * 3
    free_adjacency, free_ops = decoder.graphs(feature)
    adjacency, ops = decoder.graphs(feature, support)
    index = torch.where(ops < 0, len(nb201.op_vocabulary), ops)
    assert support.ops[torch.arange(8).expand_as(index), index].all()
    fixed = support.edges >= 0
    assert (adjacency[:, fixed] == support.edges[fixed].to(torch.uint8)).all()
    inside = support.ops[torch.arange(8).expand_as(free_ops), torch.where(free_ops < 0, len(nb201.op_vocabulary), free_ops)]
    assert torch.equal(ops[inside], free_ops[inside])  # an allowed argmax is kept
    assert torch.equal(adjacency[:, ~fixed], free_adjacency[:, ~fixed])


def test_observed_sampling_draws_the_same_codes_and_decodes_them_inside_the_support(nb201, trained):
    generator, _ = trained
    free = generator.sample(nb201, 400, seed=4)
    kept = generator.sample(nb201, 400, seed=4, support="observed")
    assert kept.tokens == free.tokens and kept.sampling["support"] == "observed" and "support" not in free.sampling
    # On NB201 the support is the space's own rule, so every restricted decode is a cell.
    assert all(a is not None and nb201.is_valid(a) for a in kept.architectures(nb201))
    assert sum(a is None or not nb201.is_valid(a) for a in free.architectures(nb201)) > 0
    again = generator.sample(nb201, 400, seed=4, support="observed")
    assert np.array_equal(again.op_indices, kept.op_indices)


def test_the_support_travels_with_the_checkpoint(nb201, trained, tmp_path):
    generator, directory = trained
    restored = archgen.load("generator", "pnag", **TINY).load(directory, nb201)
    assert torch.equal(restored.support.ops, generator.support.ops) and torch.equal(restored.support.edges, generator.support.edges)
    assert np.array_equal(restored.sample(nb201, 50, seed=1, support="observed").op_indices,
                          generator.sample(nb201, 50, seed=1, support="observed").op_indices)
    # A checkpoint written before the support was recorded still loads; "observed" then says what to do.
    for name in ("autoencoder", "transformer"):
        payload = torch.load(directory / f"{name}.pt", weights_only=True)
        payload["meta"].pop("support")
        torch.save(payload, tmp_path / f"{name}.pt")
    older = archgen.load("generator", "pnag", **TINY).load(tmp_path, nb201)
    assert older.support is None and older.sample(nb201, 5, seed=0).tokens == generator.sample(nb201, 5, seed=0).tokens
    with pytest.raises(ConfigError, match="support = 'observed' needs the training support.*observe_support"):
        older.sample(nb201, 5, seed=0, support="observed")
    older.observe_support(nb201, nb201.sample(120, seed=0))
    assert older.sample(nb201, 5, seed=0, support="observed").op_indices.tolist() == \
        generator.sample(nb201, 5, seed=0, support="observed").op_indices.tolist()
    payload = torch.load(directory / "autoencoder.pt", weights_only=True)
    payload["meta"]["support"] = {"ops": [[1, 0]], "edges": [[0]]}
    torch.save(payload, tmp_path / "autoencoder.pt")
    with pytest.raises(CheckpointError, match=r"autoencoder.pt': observed support has shapes \(1, 2\) / \(1, 1\), not \(8, 8\) / \(8, 8\)"):
        archgen.load("generator", "pnag", **TINY).load(tmp_path, nb201)


def test_guided_draws_honour_the_support(nb201, trained):
    generator, _ = trained

    class ConvCount:
        def predict(self, space, archs):
            return np.array([arch.ops.count("nor_conv_3x3") for arch in archs], dtype=float)

    batch, scores = generator.steered_sample(nb201, 40, seed=2, predictor=ConvCount(), candidates=3,
                                             sampling={"support": "observed"})
    assert all(nb201.is_valid(a) for a in batch.architectures(nb201)) and np.isfinite(scores).all()
    with pytest.raises(ConfigError, match="support"):
        generator.sample(nb201, 2, seed=0, support="seen")
