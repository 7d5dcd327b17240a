"""Parsing what the model wrote, and constrained decoding (no malformed draw at any temperature)."""

import numpy as np
import pytest
import torch

from archgen.plugins.priors.llm.decoding import REASONS, parse_filled, parse_generated
from archgen.plugins.priors.llm.vocabulary import CodeVocabulary

VOCAB = CodeVocabulary(10, 3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1 2 3 </s>", "ok"),
        ("1 2 </s> 3", "too_short"),
        ("1 2 3 4", "too_long"),
        ("1 [tok-0] 3 </s>", "non_code"),
        ("1 2 3 fill:", "non_code"),
        ("generate: 1 2 3", "non_code"),
    ],
)
def test_generated_text_is_judged_by_length_and_token_kind(text, reason):
    tokens = np.array([VOCAB.tokens(text)])
    codes, ok, why = parse_generated(VOCAB, tokens, 3)
    assert REASONS[why[0]] == reason and ok[0] == (reason == "ok")
    assert codes[0].tolist() == ([1, 2, 3] if reason == "ok" else [-1, -1, -1])


def test_fill_answers_must_name_each_sentinel_in_turn():
    codes = np.array([[1, 2, 3]] * 4)
    mask = np.array([[False, True, True]] * 4)
    answers = ["[tok-0] 7 [tok-1] 8 </s>", "[tok-1] 7 [tok-0] 8 </s>", "[tok-0] 7 </s> 8 </s>", "[tok-0] 7 [tok-1] 8 9"]
    tokens = np.array([VOCAB.tokens(a) + [0] * (7 - len(VOCAB.tokens(a))) for a in answers])
    filled, ok = parse_filled(VOCAB, tokens, codes, mask)
    assert ok.tolist() == [True, False, False, False]
    assert filled[0].tolist() == [1, 7, 8] and (filled[1:] == -1).all()


def _untrained(model="t5-small", config=None):
    import archgen

    torch.manual_seed(0)
    config = config or {"d_model": 16, "d_ff": 32, "d_kv": 8, "num_layers": 1, "num_heads": 2}
    return archgen.load("prior", "llm", vocab_size=10, seq_len=3, model=model, config=config)


@pytest.mark.parametrize("model", ["t5-small", "gpt2"])
def test_constrained_decoding_is_always_well_formed_where_free_decoding_is_not(model):
    prior = _untrained(model, None if model == "t5-small" else {"n_embd": 16, "n_layer": 1, "n_head": 2})
    free = prior.draw(300, seed=0, temperature=5.0)
    assert not free.well_formed.all()  # an untrained model writes sentinels and prefixes
    constrained = prior.draw(300, seed=0, temperature=5.0, constrained=True)
    assert constrained.well_formed.all() and (constrained.reason == REASONS.index("ok")).all()
    codes = np.random.default_rng(0).integers(0, 10, (300, 3))
    mask = np.random.default_rng(1).random((300, 3)) < 0.5
    filled = prior.draw_infill(codes, mask, seed=0, temperature=5.0, constrained=True)
    assert filled.well_formed.all()
    assert (filled.codes[~mask] == codes[~mask]).all()
    assert not prior.draw_infill(codes, mask, seed=0, temperature=5.0).well_formed.all()
