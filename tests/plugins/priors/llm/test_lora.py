"""The llm prior's optional LoRA adapters (Hu et al. 2021, arXiv:2106.09685, through peft).

Only the adapters train, the base stays bit-identical, the adapted prior learns, and its
checkpoint (base + unmerged adapters) reloads to the same samples. Skipped without peft.
"""

import pytest
import torch

import archgen
from archgen.errors import CheckpointError, ConfigError
from archgen.plugins.priors.llm import lora
from archgen.plugins.priors.llm.prior import LLMPrior

pytest.importorskip("transformers")

DATA = torch.tensor([[3, 1, 4, 1], [2, 5, 0, 5]] * 32)
TRAINING_ROWS = {(3, 1, 4, 1), (2, 5, 0, 5)}
#: Every linear layer of a T5 block: with the base frozen (its random embeddings included) the
#: tiny test model needs adapters beyond peft's default q and v to learn two rows quickly.
ALL_T5_LINEARS = ["q", "k", "v", "o", "wi", "wo"]


def _prior(seed=0, **lora_options):
    torch.manual_seed(seed)
    return archgen.load("prior", "llm", vocab_size=6, seq_len=4, **{**LLMPrior.TEST_OPTIONS, "lora": lora_options})


def test_only_the_adapters_train_and_the_base_stays_bit_identical():
    pytest.importorskip("peft")
    rank = 4
    prior = _prior(rank=rank, alpha=8)
    trainable = {name: p for name, p in prior.named_parameters() if p.requires_grad}
    # TEST_OPTIONS: d_model 16, heads 2 x d_kv 8 = 16. peft's T5 default adapts q and v of the
    # encoder's self-attention and the decoder's self- and cross-attention: 6 Linear(16, 16),
    # each adapter A [r, 16] + B [16, r] (Hu et al. section 4.1).
    assert len(trainable) == 12 and all(lora.ADAPTER_KEY in name for name in trainable)
    assert sum(p.numel() for p in trainable.values()) == 6 * rank * (16 + 16)
    base = {name: p.detach().clone() for name, p in prior.named_parameters() if not p.requires_grad}
    adapters = {name: p.detach().clone() for name, p in trainable.items()}
    prior.fit(DATA, epochs=2, seed=0)
    after = dict(prior.named_parameters())
    assert all(torch.equal(after[name], value) for name, value in base.items())
    # LoRA starts B at zero, so every B must have moved for the update to be non-zero.
    moved = [name for name, value in adapters.items() if not torch.equal(after[name], value)]
    assert sorted(moved) == sorted(adapters)


def test_a_lora_prior_learns_the_training_rows():
    pytest.importorskip("peft")
    prior = _prior(rank=8, alpha=16, target_modules=ALL_T5_LINEARS)
    # Constrained draws are always well formed; whether they are the training rows is what was learnt.
    before, _ = prior.sample(200, seed=1, temperature=0.3, constrained=True)
    prior.fit(DATA, epochs=60, seed=0)
    after, ok = prior.sample(200, seed=1, temperature=0.3, constrained=True)
    hits = lambda codes: sum(tuple(row) in TRAINING_ROWS for row in codes.tolist())  # noqa: E731
    assert hits(before) <= 10  # the random base: 2 rows of 6**4 = 1,296
    assert ok.all() and hits(after) >= 180


def test_a_lora_checkpoint_reloads_to_the_same_samples(tmp_path):
    pytest.importorskip("peft")
    options = {"rank": 4, "alpha": 8, "target_modules": ALL_T5_LINEARS}
    prior = _prior(**options)
    prior.fit(DATA, epochs=3, seed=0)
    state = prior.state_dict()
    # Unmerged: the base layer and its adapters are both in the checkpoint.
    assert any(".q.base_layer." in key for key in state) and any(".q.lora_A." in key for key in state)
    # As arch_vq saves a prior: tensors only, read back with weights_only.
    path = tmp_path / "prior.pt"
    torch.save({k: v.cpu() for k, v in state.items()}, path)
    reloaded = _prior(seed=99, **options)  # other random weights until loaded
    reloaded.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    for sampling in ({"temperature": 1.0}, {"temperature": 2.0, "constrained": True}):
        codes, ok = prior.sample(300, seed=7, **sampling)
        again, ok_again = reloaded.sample(300, seed=7, **sampling)
        assert torch.equal(codes, again) and torch.equal(ok, ok_again)


def test_a_checkpoint_with_other_adapters_is_refused():
    pytest.importorskip("peft")
    adapted = _prior(rank=4).state_dict()
    plain = archgen.load("prior", "llm", vocab_size=6, seq_len=4, **LLMPrior.TEST_OPTIONS)
    with pytest.raises(CheckpointError, match="with LoRA adapters; set the same"):
        plain.load_state_dict(adapted)
    with pytest.raises(CheckpointError, match="without LoRA; remove the lora option"):
        _prior(rank=4).load_state_dict(plain.state_dict())


def test_a_target_module_the_model_lacks_is_one_line():
    pytest.importorskip("peft")
    with pytest.raises(ConfigError) as caught:
        _prior(target_modules=["qq"])
    assert str(caught.value) == (
        "llm lora target_modules ['qq'] do not all name layers of the model; "
        "choose among {k, lm_head, o, q, v, wi, wo}"
    )


def test_lora_without_peft_names_the_extra(monkeypatch):
    real = lora.importlib.util.find_spec
    monkeypatch.setattr(lora.importlib.util, "find_spec", lambda name, *a: None if name == "peft" else real(name, *a))
    with pytest.raises(ConfigError) as caught:
        _prior(rank=4)
    # The registry prefixes the plugin and lists its keys; the line is still one line.
    message = str(caught.value)
    assert "\n" not in message and "llm lora needs Hugging Face peft, which is not installed: pip install 'archgen[lora]'" in message


def test_lora_options_are_validated():
    with pytest.raises(ConfigError):
        _prior(rank=0)
    with pytest.raises(ConfigError):
        _prior(rank=4, scale=2)
