"""``lstm``: the sequence it reads from a trained Arch-VQ run, its last-real-node readout, its one-line errors."""

import json
import shutil

import numpy as np
import pytest
import torch

import archgen
from archgen.cli.main import main
from archgen.errors import ConfigError
from archgen.plugins.generators.arch_vq.generator import ArchVQ
from archgen.plugins.predictors.lstm import LSTMPredictor, _LSTMRegressor, load_run_generator
from archgen.testing import check_predictor


@pytest.fixture(scope="module")
def space():
    return archgen.load("space", "nb201")


def _train_tiny_run(root, quantizer=None):
    """A tiny Arch-VQ run of NB201 (200 sampled cells, the generator's TEST_OPTIONS), made by 'archgen train'."""
    options = {**ArchVQ.TEST_OPTIONS, **({"quantizer": quantizer} if quantizer else {})}
    registry = root / "registry.toml"
    registry.write_text(
        "[run]\nname = \"tiny\"\nruns_dir = " + json.dumps(str(root / "runs")) + "\ndevice = \"cpu\"\nseed = 0\n"
        "[space]\nname = \"nb201\"\n"
        "[data]\nsource = \"sample\"\nnum_archs = 200\n"
        "[generator]\nname = \"arch_vq\"\n[generator.options]\n"
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in options.items() if not isinstance(value, dict))
        + "".join(
            f"[generator.options.{key}]\nname = {json.dumps(value['name'])}\n[generator.options.{key}.options]\n"
            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in value["options"].items())
            for key, value in options.items()
            if isinstance(value, dict)
        )
    )
    assert main(["train", "--config", str(registry)]) == 0
    return root / "runs" / "tiny"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return _train_tiny_run(tmp_path_factory.mktemp("lstm-run"))


@pytest.fixture(scope="module")
def arch2vec_run_dir(tmp_path_factory):
    """The same with the Gaussian "quantizer": an arch2vec-style VAE."""
    return _train_tiny_run(tmp_path_factory.mktemp("lstm-arch2vec"), {"name": "gaussian", "options": {"codebook_size": 16, "dim": 8}})


def _targets(archs):
    return np.array([arch.ops.count("nor_conv_3x3") + 0.5 * arch.ops.count("nor_conv_1x1") for arch in archs])


def test_codes_input_is_the_codebook_vector_of_each_nodes_code(space, run_dir):
    archs = space.sample(30, seed=2)
    predictor = archgen.load("predictor", "lstm", input="codes", run_dir=str(run_dir))
    sequence = predictor.sequences(space, archs)
    generator = load_run_generator(run_dir, 0, space)
    codes = torch.as_tensor(generator.encode(space, archs))
    codebook = generator.vqvae.quantizer.embedding
    assert sequence.shape == (30, space.max_nodes, codebook.shape[1])
    # Node i of architecture b reads exactly row codes[b, i] of the codebook, in node order.
    assert torch.equal(sequence, codebook[codes])


def test_embeddings_input_is_the_continuous_encoder_output(space, run_dir):
    archs = space.sample(30, seed=3)
    embeddings = archgen.load("predictor", "lstm", input="embeddings", run_dir=str(run_dir)).sequences(space, archs)
    generator = load_run_generator(run_dir, 0, space)
    codes = torch.as_tensor(generator.encode(space, archs))
    # An EMA quantizer has no mean: the sequence is z_e, whose nearest codes are the run's codes,
    # and which is not itself a codebook vector.
    assert torch.equal(generator.vqvae.quantizer.nearest(embeddings), codes)
    assert not torch.allclose(embeddings, generator.vqvae.quantizer.lookup(codes))


def test_embeddings_of_an_arch2vec_run_are_the_posterior_means(space, arch2vec_run_dir):
    archs = space.sample(30, seed=5)
    embeddings = archgen.load("predictor", "lstm", input="embeddings", run_dir=str(arch2vec_run_dir)).sequences(space, archs)
    generator = load_run_generator(arch2vec_run_dir, 0, space)
    adjacency, ops = space.to_tensors(archs)
    quantizer = generator.vqvae.quantizer
    z_e = generator.vqvae.encoder(adjacency.float(), ops.float())
    # mu = to_mu(z_e): the mean arch2vec's predictor reads, not z_e and not a sample.
    assert torch.equal(embeddings, quantizer.to_mu(z_e).detach())
    assert not torch.allclose(embeddings, z_e)


def test_codes_predictor_passes_the_kit(space, run_dir):
    archs = space.sample(80, seed=4)
    check_predictor(
        lambda: archgen.load("predictor", "lstm", input="codes", run_dir=str(run_dir), hidden=8, epochs=3), space, archs, _targets(archs)
    )


def test_the_readout_is_the_state_at_the_last_real_node():
    torch.manual_seed(0)
    model = _LSTMRegressor(5, 8, 1)
    sequence = torch.randn(3, 6, 5)
    lengths = torch.tensor([6, 4, 2])
    batched = model(sequence, lengths)
    garbage = sequence.clone()
    garbage[1, 4:] = 99.0
    garbage[2, 2:] = -7.0
    # What follows a graph's last real node (padding) changes nothing; each row equals its unpadded run.
    assert torch.equal(model(garbage, lengths), batched)
    for b, n in enumerate(lengths.tolist()):
        assert torch.allclose(model(sequence[b : b + 1, :n], torch.tensor([n])), batched[b : b + 1], atol=1e-6)


def test_ops_input_needs_no_run_and_sees_ops_and_adjacency(space):
    archs = space.sample(3, seed=0)
    sequence = LSTMPredictor(LSTMPredictor.Options(input="ops")).sequences(space, archs)
    adjacency, ops = space.to_tensors(archs)
    assert torch.equal(sequence, torch.cat([ops.float(), adjacency.float()], -1))


def test_run_inputs_without_a_run_are_a_one_line_error(space):
    archs = space.sample(4, seed=0)
    predictor = archgen.load("predictor", "lstm", input="codes", epochs=1)
    with pytest.raises(ConfigError, match="lstm input 'codes' needs run_dir") as caught:
        predictor.fit(space, archs, np.arange(4.0))
    assert "\n" not in str(caught.value)


def test_a_run_of_another_space_is_a_one_line_error(space, run_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    config = json.loads((other / "config.json").read_text())
    config["space"] = {"name": "nb101", "options": {}}
    (other / "config.json").write_text(json.dumps(config))
    predictor = archgen.load("predictor", "lstm", run_dir=str(other), epochs=1)
    with pytest.raises(ConfigError, match="is a run of space 'nb101', not 'nb201'") as caught:
        predictor.fit(space, space.sample(4, seed=0), np.arange(4.0))
    assert "\n" not in str(caught.value)


def test_an_untrained_seed_is_a_one_line_error(space, run_dir):
    predictor = archgen.load("predictor", "lstm", run_dir=str(run_dir), run_seed=7, epochs=1)
    with pytest.raises(ConfigError, match=r"run_seed 7 is not a trained seed .* choose one of \[0\]"):
        predictor.fit(space, space.sample(4, seed=0), np.arange(4.0))
