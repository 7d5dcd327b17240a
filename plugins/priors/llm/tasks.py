"""Arch-LLM's two training tasks as token batches (arch-llm.md section 3.2).

* ``generate:`` -- input ``generate:``, target the whole sequence ``81 19 44 283 8 4 232``;
* ``fill:`` -- a random number of codes at random positions replaced by sentinels, input
  ``fill: 81 36 71 [tok-0] 70 [tok-1] 150``, target the sentinels and the codes they hide,
  ``[tok-0] 36 [tok-1] 465``.

Both are trained with teacher forcing. An encoder-decoder (T5) reads the prompt and decodes
the answer; a causal LM reads ``<s> prompt answer`` and is scored on the answer only.
"""

from __future__ import annotations

import torch

from archgen.plugins.priors.llm.vocabulary import BOS, EOS, FILL, GENERATE, PAD, CodeVocabulary

#: Label of a position the loss ignores (Hugging Face's convention).
IGNORE = -100


def random_masks(batch: int, length: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
    """``[batch, length]`` masks: each row hides a uniform number 1..length of codes at uniform positions."""
    counts = torch.randint(1, length + 1, (batch, 1), generator=generator, device=device)
    ranks = torch.rand(batch, length, generator=generator, device=device).argsort(1).argsort(1)
    return ranks < counts


def fill_prompt(vocab: CodeVocabulary, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The masked sequence: code tokens where ``mask`` is False, ``[tok-j]`` for the j-th hidden code."""
    order = mask.long().cumsum(1) - 1
    return torch.where(mask, vocab.first_sentinel + order, tokens)


def fill_answer(vocab: CodeVocabulary, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, 2L+1]`` answers ``[tok-0] c [tok-1] c ... </s>``, padded with ``<pad>``."""
    b, length = tokens.shape
    answer = torch.full((b, 2 * length + 1), PAD, dtype=torch.long, device=tokens.device)
    order = mask.long().cumsum(1) - 1
    rows, positions = mask.nonzero(as_tuple=True)
    slot = 2 * order[rows, positions]
    answer[rows, slot] = vocab.first_sentinel + order[rows, positions]
    answer[rows, slot + 1] = tokens[rows, positions]
    answer[torch.arange(b, device=tokens.device), 2 * mask.sum(1)] = EOS
    return answer


def seq2seq_prompts(vocab: CodeVocabulary, tokens: torch.Tensor, fill: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Encoder inputs ``[B, L+2]``: ``generate: </s>`` or ``fill: <masked> </s>``, padded with ``<pad>``."""
    b, length = tokens.shape
    prompts = torch.full((b, length + 2), PAD, dtype=torch.long, device=tokens.device)
    prompts[:, 0] = torch.where(fill, FILL, GENERATE)
    prompts[fill, 1 : length + 1] = fill_prompt(vocab, tokens[fill], mask[fill])
    prompts[fill, length + 1] = EOS
    prompts[~fill, 1] = EOS
    return prompts


def causal_prompts(vocab: CodeVocabulary, tokens: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Causal-LM prompts: ``<s> generate:`` (``mask`` None) or ``<s> fill: <masked>``, one length per call."""
    b = tokens.shape[0]
    head = torch.tensor([BOS, GENERATE if mask is None else FILL], device=tokens.device).expand(b, 2)
    return head.clone() if mask is None else torch.cat([head, fill_prompt(vocab, tokens, mask)], 1)


def training_batch(
    vocab: CodeVocabulary, codes: torch.Tensor, fill: torch.Tensor, mask: torch.Tensor, *, causal: bool
) -> dict[str, torch.Tensor]:
    """Teacher-forcing inputs for a mix of ``generate:`` rows and ``fill:`` rows (where ``fill``).

    Args:
        vocab: The vocabulary.
        codes: ``[B, L]`` code indices.
        fill: ``[B]`` True for ``fill:`` rows.
        mask: ``[B, L]`` hidden codes of the ``fill:`` rows (ignored elsewhere).
        causal: Build a causal LM's ``<s> prompt answer`` rows instead of encoder-decoder pairs.

    Returns:
        ``input_ids``, ``attention_mask`` and ``labels`` (``-100`` where no loss is taken).
    """
    tokens = codes + vocab.first_code
    b, length = tokens.shape
    answers = torch.cat([tokens, torch.full((b, length + 1), PAD, dtype=torch.long, device=tokens.device)], 1)
    answers[:, length] = EOS
    if fill.any():
        answers[fill] = fill_answer(vocab, tokens[fill], mask[fill])
    answer_lengths = (answers != PAD).sum(1)
    answers = answers[:, : int(answer_lengths.max())]
    if not causal:
        prompts = seq2seq_prompts(vocab, tokens, fill, mask)
        labels = answers.masked_fill(answers == PAD, IGNORE)
        return {"input_ids": prompts, "attention_mask": (prompts != PAD).long(), "labels": labels}
    # A causal row is <s> prefix [masked codes] answer, right-padded: generate rows are shorter.
    rows = []
    for i in range(b):
        prompt = causal_prompts(vocab, tokens[i : i + 1], mask[i : i + 1] if fill[i] else None)[0]
        rows.append((prompt, answers[i, : int(answer_lengths[i])]))
    width = max(len(p) + len(a) for p, a in rows)
    input_ids = torch.full((b, width), PAD, dtype=torch.long, device=tokens.device)
    labels = torch.full((b, width), IGNORE, dtype=torch.long, device=tokens.device)
    for i, (prompt, answer) in enumerate(rows):
        input_ids[i, : len(prompt) + len(answer)] = torch.cat([prompt, answer])
        labels[i, len(prompt) : len(prompt) + len(answer)] = answer
    return {"input_ids": input_ids, "attention_mask": (input_ids != PAD).long(), "labels": labels}
