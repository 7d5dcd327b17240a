"""The llm prior: the slot kit for T5 and GPT-2, what it learns, local checkpoints and bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError
from archgen.plugins.priors.llm.prior import LLMPrior
from archgen.testing import check_prior, tiny_code_sequences

GPT2_TINY = {"n_embd": 16, "n_layer": 1, "n_head": 2, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}


def _options(model="t5-small"):
    options = dict(LLMPrior.TEST_OPTIONS)
    if model == "gpt2":
        options["config"] = GPT2_TINY
    return {**options, "model": model}


@pytest.mark.parametrize("model", ["t5-small", "gpt2"])
def test_the_prior_kit_passes(model):
    sequences = tiny_code_sequences(8, 4)
    factory = lambda: archgen.load("prior", "llm", vocab_size=8, seq_len=4, **_options(model))  # noqa: E731
    check_prior(factory, sequences, vocab_size=8, training={"epochs": 20})
    check_prior(factory, sequences, vocab_size=8, training={"epochs": 20}, sampling={"constrained": True, "temperature": 2.0})


@pytest.mark.parametrize("model", ["t5-small", "gpt2"])
def test_it_learns_both_tasks_on_a_deterministic_set(model):
    torch.manual_seed(0)
    prior = archgen.load("prior", "llm", vocab_size=6, seq_len=4, **_options(model))
    data = torch.tensor([[3, 1, 4, 1], [2, 5, 0, 5]] * 32)
    prior.fit(data, epochs=120, seed=0)
    codes, ok = prior.sample(100, seed=1, temperature=0.3)
    rows = {tuple(r) for r in codes[ok].tolist()}
    assert ok.float().mean() >= 0.95 and rows <= {(3, 1, 4, 1), (2, 5, 0, 5)}
    # Hiding the two middle codes of each training row: fill: must put the right ones back.
    known = np.array([[3, 0, 0, 1], [2, 0, 0, 5]])
    mask = np.array([[False, True, True, False]] * 2)
    filled, ok = prior.infill(known, mask, seed=0, temperature=0.3)
    assert ok.all() and filled.tolist() == [[3, 1, 4, 1], [2, 5, 0, 5]]


def test_a_local_checkpoint_directory_is_loaded(tmp_path):
    import transformers

    config = transformers.T5Config(vocab_size=40, d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2)
    torch.manual_seed(3)
    transformers.T5ForConditionalGeneration(config).save_pretrained(tmp_path)
    prior = archgen.load("prior", "llm", vocab_size=8, seq_len=4, model=str(tmp_path))
    saved = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path)
    # Same weights, embeddings cut to the 5 + 8 + 4 token ids the codes need.
    assert prior.network.get_input_embeddings().weight.shape[0] == 17
    assert torch.equal(prior.network.get_input_embeddings().weight, saved.get_input_embeddings().weight[:17])
    assert torch.equal(prior.network.encoder.block[0].layer[0].SelfAttention.q.weight, saved.encoder.block[0].layer[0].SelfAttention.q.weight)


def _refusal(**options):
    with pytest.raises(ConfigError) as caught:
        archgen.load("prior", "llm", vocab_size=8, seq_len=4, **{**LLMPrior.TEST_OPTIONS, **options})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_model_path_that_does_not_exist_is_one_line(tmp_path):
    assert "does not exist" in _refusal(model=str(tmp_path / "nowhere"))


def test_a_vocabulary_too_small_for_the_codes_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5", "vocab_size": 10}))
    assert "vocabulary of 10 tokens, too few for the 17" in _refusal(model=str(tmp_path))
    assert "vocab_size=10 cannot be used" in _refusal(config={"vocab_size": 10})


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 30522}))
    assert "'bert' checkpoint" in _refusal(model=str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no config.json" in _refusal(model=str(empty))


def test_unknown_names_and_config_keys_are_refused():
    assert "t5-small" in _refusal(model="t5-nano")
    assert "no_such_key" in _refusal(config={"no_such_key": 1})


def test_transformers_is_imported_by_the_llm_prior_only():
    script = (
        "import sys, archgen\n"
        "from archgen.cli import main\n"
        "import archgen.plugins.priors.llm.prior, archgen.plugins.generators.arch_llm.generator\n"
        "archgen.load('generator', 'arch_vq')\n"
        "assert 'transformers' not in sys.modules, 'imported too early'\n"
        "archgen.load('prior', 'llm', vocab_size=4, seq_len=2, config={'d_model': 8, 'd_ff': 8, 'd_kv': 4, 'num_layers': 1, 'num_heads': 2})\n"
        "assert 'transformers' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
