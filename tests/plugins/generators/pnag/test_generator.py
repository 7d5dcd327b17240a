"""The pnag generator: the slot contract, learning, sub-architectures, option and checkpoint errors."""

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import CheckpointError, ConfigError
from archgen.plugins.generators.pnag.generator import PNAG
from archgen.testing import check_generator

# Larger learning rates than the paper's so 160 cells train in seconds; scales [3, 5, 8] keep it short.
TINY = {
    **PNAG.TEST_OPTIONS,
    "scales": [3, 5, 8],
    "encoder": {"name": "gin", "options": {"hidden_dims": [32, 32]}},
    "channels": 8, "codebook_size": 64, "node_dim": 32, "decoder_hidden": 32,
    "vae_epochs": 80, "vae_lr": 3e-3, "transformer_epochs": 60, "batch_size": 32,
}


@pytest.fixture(scope="module")
def trained(nb201, tmp_path_factory):
    torch.set_num_threads(1)
    archs = nb201.sample(160, seed=0)
    generator = archgen.load("generator", "pnag", **TINY)
    stats = generator.fit(nb201, archs, seed=0)
    directory = tmp_path_factory.mktemp("pnag")
    generator.save(directory)
    return archs, generator, stats, directory


def test_pnag_passes_the_generator_kit(nb201):
    stats = check_generator(lambda: archgen.load("generator", "pnag", **PNAG.TEST_OPTIONS), nb201, nb201.sample(120, seed=1))
    assert stats["scales"] == [3, 4, 5, 6, 7, 8] and stats["sequence_length"] == sum(n * (n + 1) // 2 for n in range(3, 9))


def test_it_learns_to_reconstruct_and_to_sample_cells(nb201, trained):
    archs, generator, stats, _ = trained
    assert stats["train_reconstruction"] >= 90.0
    batch = generator.sample(nb201, 300, seed=0)
    valid = [a for a in batch.architectures(nb201) if nb201.is_valid(a)]
    # An untrained decoder yields almost no NB201 cell (8 fixed ops positions, 28 fixed edges).
    assert len(valid) >= 100


def test_tokens_are_the_codes_that_decode_to_the_sample(nb201, trained):
    _, generator, _, _ = trained
    batch = generator.sample(nb201, 20, seed=3, temperature=1.5, top_p=0.9)
    adjacency, ops = generator.decode_codes(np.array(batch.tokens))
    assert np.array_equal(adjacency, batch.adjacency) and np.array_equal(ops, batch.op_indices)
    assert batch.sampling == {"temperature": 1.5, "top_k": None, "top_p": 0.9}


def test_each_scale_decodes_to_a_sub_architecture_of_its_size(nb201, trained):
    archs, generator, _, _ = trained
    codes = generator.encode(nb201, archs[:10])
    pieces = generator.sub_architectures(codes)
    assert [p[0].shape for p in pieces] == [(10, 3, 3), (10, 5, 5), (10, 8, 8)]
    assert all(np.array_equal(np.triu(a, 1), a) for a, _ in pieces)
    final = generator.decode_codes(codes)
    assert np.array_equal(pieces[-1][0], final[0]) and np.array_equal(pieces[-1][1], final[1])


def test_checkpoint_round_trip_and_mismatched_scales(nb201, trained):
    _, generator, _, directory = trained
    restored = archgen.load("generator", "pnag", **TINY).load(directory, nb201)
    assert restored.sample(nb201, 50, seed=7).tokens == generator.sample(nb201, 50, seed=7).tokens
    with pytest.raises(CheckpointError, match=r"made for scales=\[3, 5, 8\], not \[3, 4, 5, 6, 7, 8\]"):
        archgen.load("generator", "pnag", **{**TINY, "scales": None}).load(directory, nb201)


def test_scales_must_end_at_the_spaces_node_count(nb201):
    generator = archgen.load("generator", "pnag", **{**PNAG.TEST_OPTIONS, "scales": [3, 5]})
    with pytest.raises(ConfigError, match=r"pnag scales \[3, 5\] must end at the max_nodes 8 of space 'nb201'"):
        generator.fit(nb201, nb201.sample(10, seed=0))


@pytest.mark.parametrize(
    ("options", "message"),
    [({"scales": [5, 3]}, "strictly increasing"), ({"scc_steps": -1}, "scc_steps"), ({"d_model": 30, "heads": 4}, "divisible")],
)
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        archgen.load("generator", "pnag", **options)


def test_zero_padded_space_round_trips_absent_nodes():
    # NB101 cells have 2-7 nodes, zero-padded to 7: absent nodes are the decoder's extra class, read back as -1.
    space = archgen.load("space", "nb101")
    archs = space.sample(150, seed=0)
    options = {**TINY, "scales": [3, 7], "vae_epochs": 150, "transformer_epochs": 2}
    generator = archgen.load("generator", "pnag", **options)
    generator.fit(space, archs, seed=0)
    _, target_ops = space.to_arrays(archs)
    assert (target_ops == -1).any()
    adjacency, ops = generator.reconstruct(space, archs)
    same = (adjacency == space.to_arrays(archs)[0]).all((1, 2)) & (ops == target_ops).all(1)
    assert generator.reconstruction_accuracy(space, archs) == pytest.approx(100.0 * same.mean())
    assert same.mean() >= 0.5
    batch = generator.sample(space, 40, seed=0)
    assert len(batch.architectures(space)) == 40


@pytest.mark.parametrize("name", archgen.names("space"))
def test_the_same_code_trains_and_samples_on_every_installed_space(name):
    # No per-space code: sizes come from max_nodes and op_vocabulary, graphs from to_tensors/from_tensors.
    space = archgen.load("space", name)
    archs = space.sample(60, seed=0)
    n = space.max_nodes
    options = {**PNAG.TEST_OPTIONS, "scales": [3, n], "vae_epochs": 2, "transformer_epochs": 1}
    generator = archgen.load("generator", "pnag", **options)
    stats = generator.fit(space, archs, seed=0)
    assert stats["sequence_length"] == 6 + n * (n + 1) // 2
    batch = generator.sample(space, 8, seed=0)
    assert batch.adjacency.shape == (8, n, n) and batch.well_formed.all()
    assert len(batch.architectures(space)) == 8


def test_partial_reconstructions_approach_e_scale_by_scale(nb201, trained):
    # Residual MSQ with SCC on every step: each finer scale brings ê_t closer to e.
    archs, generator, stats, _ = trained
    deviations = stats["scale_deviations"]
    assert len(deviations) == 3 and deviations == generator.scale_deviations(nb201, archs)
    assert deviations[0] > deviations[1] > deviations[2]


def test_attention_dropout_option_reaches_every_block():
    space = archgen.load("space", "nb201")
    pnag = archgen.load("generator", "pnag", dropout=0.2, attention_dropout=0.0, layers=3).build(space)
    assert [(block.attention_dropout, block.dropout.p) for block in pnag.transformer.blocks] == [(0.0, 0.2)] * 3


@pytest.mark.parametrize("workers", [0, -1, "many"])
def test_sample_workers_must_be_positive_or_auto(workers):
    with pytest.raises(ConfigError, match="sample_workers"):
        archgen.load("generator", "pnag", sample_workers=workers)


def test_sequential_scales_pass_the_kit_and_round_trip(nb201, tmp_path):
    options = {**PNAG.TEST_OPTIONS, "scales": [3, 5, 8], "sequential_scales": 1}
    stats = check_generator(lambda: archgen.load("generator", "pnag", **options), nb201, nb201.sample(120, seed=1))
    assert stats["sequence_length"] == 6 + 15 + 36
    generator = archgen.load("generator", "pnag", **options)
    generator.fit(nb201, nb201.sample(60, seed=2), seed=0)
    generator.save(tmp_path)
    restored = archgen.load("generator", "pnag", **options).load(tmp_path, nb201)
    assert restored.sample(nb201, 20, seed=3).tokens == generator.sample(nb201, 20, seed=3).tokens
    # A parallel model has no previous-token table: the sequential checkpoint is not its shape.
    with pytest.raises(CheckpointError):
        archgen.load("generator", "pnag", **{**options, "sequential_scales": 0}).load(tmp_path, nb201)


def test_sequential_scales_beyond_the_scales_are_a_config_error(nb201):
    generator = archgen.load("generator", "pnag", **{**PNAG.TEST_OPTIONS, "scales": [3, 5, 8], "sequential_scales": 4})
    with pytest.raises(ConfigError, match=r"pnag sequential_scales = 4 must be 0\.\.3: the scales are \[3, 5, 8\]"):
        generator.build(nb201)
