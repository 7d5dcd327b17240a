"""Transformer prior: cached decoding, malformed draws, filtering, and that it learns."""

import math

import torch

from archgen.plugins.priors.transformer import TransformerPrior, TransformerPriorOptions, nucleus


def _prior(**options):
    torch.manual_seed(0)
    defaults = {"vocab_size": 10, "seq_len": 4, "layers": 2, "heads": 2, "d_model": 16, "dropout": 0.0}
    return TransformerPrior(TransformerPriorOptions(**{**defaults, **options})).eval()


def test_cached_incremental_decoding_equals_the_full_forward():
    prior = _prior()
    tokens = torch.randint(0, 10, (3, 5))
    tokens[:, 0] = prior.sos
    full = prior(tokens)
    caches = prior.kv_caches(3)
    step_by_step = torch.cat([prior(tokens[:, i : i + 1], caches, offset=i) for i in range(5)], 1)
    assert torch.allclose(full, step_by_step, atol=1e-5)


def test_sampling_is_reproducible_and_shaped():
    prior = _prior()
    codes, ok = prior.sample(64, temperature=1.3, seed=7)
    again, ok_again = prior.sample(64, temperature=1.3, seed=7)
    assert codes.shape == (64, 4) and torch.equal(codes, again) and torch.equal(ok, ok_again)
    assert ((codes >= 0) & (codes < 10))[ok].all() and (codes[~ok] == -1).all()


def test_malformed_sequences_are_flagged_not_raised():
    prior = _prior()
    with torch.no_grad():
        prior.head.weight.zero_()
        prior.head.bias.fill_(-1e4)
        prior.head.bias[prior.eos] = 0.0  # EOS at every step: sequences end immediately
    codes, ok = prior.sample(20, seed=0)
    assert not ok.any() and (codes == -1).all()


def test_training_learns_a_deterministic_sequence():
    prior = _prior(lr=3e-3, batch_size=16)
    data = torch.tensor([[3, 1, 4, 1]] * 64)
    logs = prior.fit(data, epochs=60, seed=0)
    assert logs["loss"] < 0.05
    codes, ok = prior.sample(100, temperature=0.5, seed=1)
    assert ok.all() and (codes == torch.tensor([3, 1, 4, 1])).all()


def test_top_k_and_top_p_keep_only_the_head_of_the_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = nucleus(logits.clone(), 0.7)
    assert torch.isfinite(kept).tolist() == [[True, True, False, False]]
    prior = _prior(vocab_size=4, seq_len=2)
    codes, ok = prior.sample(200, top_k=1, seed=0)
    # top-k = 1 is greedy: every draw is the same sequence.
    assert len({tuple(row) for row in codes[ok].tolist()}) <= 1
    assert math.isclose(float(torch.softmax(kept, -1)[0, 0]), 0.5 / 0.8, rel_tol=1e-6)
