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


# -- held-out NLL, early stopping and the fast kernels (issue 26) ---------------------------------

def _fit_logs(epochs, **options):
    prior = _prior(lr=3e-3, batch_size=16, **options)
    data = torch.tensor([[3, 1, 4, 1]] * 64)
    logs = []
    result = prior.fit(data, epochs=epochs, seed=0, callbacks=[lambda stage, epoch, figures: logs.append(figures)])
    return prior, result, logs


def test_without_a_held_out_share_the_prior_trains_as_before():
    # The defaults are today's behaviour: every sequence trains, no held-out figure, every epoch runs.
    defaults = TransformerPriorOptions(vocab_size=10, seq_len=4)
    assert (defaults.validation_fraction, defaults.early_stopping_patience, defaults.fast_kernels) == (0.0, None, False)
    _, result, logs = _fit_logs(5)
    assert len(logs) == 5 and result["epochs_run"] == 5 and all("validation_nll" not in f for f in logs)


def test_the_held_out_split_is_a_fixed_share_drawn_by_the_seed():
    prior = _prior(validation_fraction=0.25)
    sequences = torch.arange(40).reshape(20, 2)
    train, held = prior._held_out_split(sequences, seed=3)
    again, held_again = prior._held_out_split(sequences, seed=3)
    assert len(held) == 5 and len(train) == 15 and torch.equal(held, held_again) and torch.equal(train, again)
    assert sorted(torch.cat([train, held])[:, 0].tolist()) == sequences[:, 0].tolist()


def test_held_out_nll_is_logged_every_epoch():
    _, result, logs = _fit_logs(4, validation_fraction=0.25)
    assert [("validation_nll" in f) for f in logs] == [True] * 4
    assert result["validation_nll"] == logs[-1]["validation_nll"]
    assert result["best_validation_nll"] == min(f["validation_nll"] for f in logs)


def test_early_stopping_stops_when_held_out_nll_stops_improving_and_keeps_the_best_epoch(monkeypatch):
    # Held-out NLL 3, 2, 1, then never better: patience 2 stops after epoch 5, weights of epoch 3.
    prior = _prior(lr=3e-3, batch_size=16, validation_fraction=0.25, early_stopping_patience=2)
    curve = iter([3.0, 2.0, 1.0, 1.5, 1.0, 0.5, 0.1])
    snapshots = []
    original = prior.loss

    def scripted_loss(codes):
        snapshots.append(prior.head.bias.detach().clone())
        original(codes)
        return torch.tensor(next(curve))

    monkeypatch.setattr(prior, "loss", scripted_loss)
    logs = []
    result = prior.fit(torch.tensor([[3, 1, 4, 1]] * 64), epochs=7, seed=0, callbacks=[lambda s, e, f: logs.append(f)])
    assert [f["validation_nll"] for f in logs] == [3.0, 2.0, 1.0, 1.5, 1.0]
    assert result["epochs_run"] == 5 and result["best_epoch"] == 3 and result["best_validation_nll"] == 1.0
    assert torch.equal(prior.head.bias, snapshots[2]) and not torch.equal(prior.head.bias, snapshots[4])


def test_early_stopping_needs_a_held_out_share():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="validation_fraction"):
        TransformerPriorOptions(vocab_size=10, seq_len=4, early_stopping_patience=3)


def test_fast_kernels_compute_the_same_loss_and_gradients():
    codes = torch.randint(0, 10, (8, 4))
    losses, grads = [], []
    for fast in (False, True):
        prior = _prior(fast_kernels=fast).train()
        loss = prior.loss(codes)
        loss.backward()
        losses.append(loss.detach())
        grads.append(torch.cat([p.grad.flatten() for p in prior.parameters()]))
    assert torch.allclose(losses[0], losses[1], atol=1e-6) and torch.allclose(grads[0], grads[1], atol=1e-5)


def test_fast_kernels_learn_like_the_default():
    prior, result, _ = _fit_logs(60, fast_kernels=True)
    assert result["loss"] < 0.05
    codes, ok = prior.sample(50, temperature=0.5, seed=1)
    assert ok.all() and (codes == torch.tensor([3, 1, 4, 1])).all()
