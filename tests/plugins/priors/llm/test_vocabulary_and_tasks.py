"""The llm prior's numeric vocabulary and its two training tasks (arch-llm.md section 3.2)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.errors import ConfigError
from archgen.plugins.priors.llm.tasks import IGNORE, fill_answer, fill_prompt, random_masks, seq2seq_prompts, training_batch
from archgen.plugins.priors.llm.vocabulary import EOS, CodeVocabulary

VOCAB = CodeVocabulary(512, 7)
# arch-llm.md section 3.2's example: "fill: 81 36 71 [tok-0] 70 [tok-1] 150" -> "[tok-0] 36 [tok-1] 465".
PAPER_CODES = torch.tensor([[81, 36, 71, 36, 70, 465, 150]])
PAPER_MASK = torch.tensor([[False, False, False, True, False, True, False]])


def test_one_code_is_one_token_and_the_text_is_the_papers():
    tokens = VOCAB.code_tokens(np.array([81, 19, 44, 283, 8, 4, 232]))
    assert VOCAB.text(tokens) == "81 19 44 283 8 4 232"
    assert len(VOCAB.tokens("81 19 44 283 8 4 232")) == 7
    assert VOCAB.size == 5 + 512 + 7


def test_the_papers_fill_example_exactly():
    tokens = PAPER_CODES + VOCAB.first_code
    prompt = seq2seq_prompts(VOCAB, tokens, torch.tensor([True]), PAPER_MASK)[0]
    assert VOCAB.text(prompt, stop_at_eos=False) == "fill: 81 36 71 [tok-0] 70 [tok-1] 150 </s>"
    assert VOCAB.text(fill_answer(VOCAB, tokens, PAPER_MASK)[0]) == "[tok-0] 36 [tok-1] 465"
    generate = seq2seq_prompts(VOCAB, tokens, torch.tensor([False]), PAPER_MASK)[0]
    assert VOCAB.text(generate, stop_at_eos=False) == "generate: </s>"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 511), min_size=1, max_size=7), st.data())
def test_text_round_trips_any_sequence_of_codes_and_sentinels(codes, data):
    vocab = CodeVocabulary(512, 7)
    sentinels = data.draw(st.lists(st.integers(0, 6), max_size=3))
    tokens = [*vocab.code_tokens(np.array(codes)).tolist(), *(vocab.sentinel(s) for s in sentinels)]
    assert vocab.tokens(vocab.text(tokens)) == tokens


@pytest.mark.parametrize("word", ["512", "[tok-7]", "foo", "-1"])
def test_words_outside_the_vocabulary_are_refused_by_name(word):
    with pytest.raises(ConfigError, match=word.replace("[", r"\[").replace("]", r"\]")):
        VOCAB.tokens(f"1 {word}")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 12))
def test_every_fill_hides_between_one_and_all_codes_and_its_answer_restores_them(seed, length):
    vocab = CodeVocabulary(16, length)
    mask = random_masks(32, length, torch.Generator().manual_seed(seed))
    assert ((mask.sum(1) >= 1) & (mask.sum(1) <= length)).all()
    codes = torch.randint(0, 16, (32, length), generator=torch.Generator().manual_seed(seed))
    tokens = codes + vocab.first_code
    prompt, answer = fill_prompt(vocab, tokens, mask), fill_answer(vocab, tokens, mask)
    for row in range(32):
        hidden = int(mask[row].sum())
        assert answer[row, 2 * hidden] == EOS
        assert answer[row, 0 : 2 * hidden : 2].tolist() == [vocab.sentinel(j) for j in range(hidden)]
        restored = prompt[row].clone()
        restored[mask[row]] = answer[row, 1 : 2 * hidden : 2]
        assert torch.equal(restored, tokens[row])


def test_a_causal_batch_is_scored_on_the_answers_only():
    vocab = CodeVocabulary(16, 3)
    codes = torch.tensor([[1, 2, 3], [4, 5, 6]])
    mask = torch.tensor([[False, False, False], [False, True, False]])
    batch = training_batch(vocab, codes, torch.tensor([False, True]), mask, causal=True)
    texts = [vocab.text(row[row != 0], stop_at_eos=False) for row in batch["input_ids"]]
    assert texts == ["<s> generate: 1 2 3 </s>", "<s> fill: 4 [tok-0] 6 [tok-0] 5 </s>"]
    scored = [vocab.text(row[row != IGNORE], stop_at_eos=False) for row in batch["labels"]]
    assert scored == ["1 2 3 </s>", "[tok-0] 5 </s>"]
    assert batch["attention_mask"].sum(1).tolist() == [6, 8]
