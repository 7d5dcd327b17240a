"""Batched token-by-token sampling from a Hugging Face model, free or constrained, and parsing of the result.

The loop is ours rather than ``model.generate``'s so that draws are reproducible from a
``torch.Generator`` (no global RNG), the logit filters are the same as the ``transformer``
prior's (:mod:`archgen.nn.token_sampling`), and constrained decoding is a mask per step:

* free: every token but ``<pad>`` and ``<s>`` may be drawn, so at a high temperature the model
  can write a sentinel, a prefix or ``</s>`` among the codes -- the "random strings and
  sequences of incorrect lengths" arch-llm.md section 5 complains of; such a draw is parsed
  as not well formed, with the reason;
* constrained: ``generate:`` may draw only codes for L steps and then ``</s>``; ``fill:``
  must write ``[tok-j]`` where the j-th sentinel goes, a code after it, and ``</s>`` after
  the last. Every draw is then well formed.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from archgen.nn import filter_logits, sample_tokens
from archgen.plugins.priors.llm.vocabulary import BOS, EOS, PAD, CodeVocabulary

#: Why a ``generate:`` draw is not a code sequence (index into :data:`REASONS`).
REASONS = ("ok", "too_short", "too_long", "non_code")

#: ``step(token or None) -> logits [n, V]``: None asks for the logits after the prompt.
Stepper = Callable[[torch.Tensor | None], torch.Tensor]


def stepper(network: Any, family: str, prompts: torch.Tensor) -> Stepper:
    """Incremental decoding of ``network`` after ``prompts`` (``[n, P]``, no padding), with a key/value cache."""
    # transformers 5 renamed the cache argument; 4.x only knows ``past_key_values``.
    name = "cache" if "cache" in inspect.signature(network.forward).parameters else "past_key_values"
    state: dict[str, Any] = {name: None}

    def remember(out: Any) -> torch.Tensor:
        cache = out.get("cache")
        state[name] = cache if cache is not None else out.get("past_key_values")
        return out.logits[:, -1]

    if family == "seq2seq":
        encoded = network.get_encoder()(input_ids=prompts)
        start = torch.full((prompts.shape[0], 1), network.config.decoder_start_token_id, dtype=torch.long, device=prompts.device)

        def step(token: torch.Tensor | None) -> torch.Tensor:
            ids = start if token is None else token
            return remember(network(encoder_outputs=encoded, decoder_input_ids=ids, use_cache=True, **state))

    else:

        def step(token: torch.Tensor | None) -> torch.Tensor:
            return remember(network(input_ids=prompts if token is None else token, use_cache=True, **state))

    return step


@torch.no_grad()
def draw_tokens(
    step: Stepper,
    n: int,
    steps: int,
    *,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    generator: torch.Generator,
    allowed: Callable[[int], torch.Tensor | None] = lambda _: None,
) -> torch.Tensor:
    """``[n, steps]`` tokens drawn one step at a time.

    Args:
        step: The model's :data:`Stepper`.
        n: Rows.
        steps: Tokens per row.
        temperature: Divides the logits.
        top_k: Keep the k most likely allowed tokens (None: off).
        top_p: Nucleus filter over the allowed tokens (None: off).
        generator: Source of the draws.
        allowed: ``allowed(i)`` is a ``[n, V]`` (or ``[V]``) bool mask of the tokens step ``i`` may
            draw, or None for any token but ``<pad>`` and ``<s>``.
    """
    drawn, token = [], None
    for i in range(steps):
        logits = step(token).float() / temperature
        mask = allowed(i)
        if mask is None:
            logits[:, [PAD, BOS]] = -math.inf
        else:
            logits = logits.masked_fill(~mask, -math.inf)
        token = sample_tokens(torch.softmax(filter_logits(logits, top_k, top_p), -1), generator)
        drawn.append(token)
    return torch.cat(drawn, 1)


def generate_constraint(vocab: CodeVocabulary, length: int, device: torch.device) -> Callable[[int], torch.Tensor]:
    """Allowed tokens of constrained ``generate:``: L codes, then ``</s>``."""
    codes = torch.zeros(vocab.size, dtype=torch.bool, device=device)
    codes[vocab.first_code : vocab.first_sentinel] = True
    end = torch.zeros(vocab.size, dtype=torch.bool, device=device)
    end[EOS] = True
    return lambda i: codes if i < length else end


def fill_constraint(vocab: CodeVocabulary, mask: torch.Tensor) -> Callable[[int], torch.Tensor]:
    """Allowed tokens of constrained ``fill:`` for ``[n, L]`` masks: ``[tok-j] code`` per hidden code, then ``</s>``."""
    hidden = mask.sum(1)
    n, device = mask.shape[0], mask.device

    def allowed(i: int) -> torch.Tensor:
        out = torch.zeros(n, vocab.size, dtype=torch.bool, device=device)
        j = i // 2
        inside = j < hidden
        if i % 2 == 0:
            if j < vocab.sentinels:
                out[inside, vocab.first_sentinel + j] = True
            out[hidden == j, EOS] = True
        else:
            out[inside, vocab.first_code : vocab.first_sentinel] = True
        out[~out.any(1), EOS] = True  # past the end: never read
        return out

    return allowed


def parse_generated(vocab: CodeVocabulary, tokens: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of ``generate:`` draws ``[n, L+1]``: exactly L code tokens, then ``</s>``.

    Returns:
        ``(codes [n, L] with -1 in malformed rows, well_formed [n], reason [n])``; ``reason``
        indexes :data:`REASONS`: an early ``</s>`` is too short, a code where ``</s>`` belongs
        too long, any other token among the codes a non-code.
    """
    tokens = np.asarray(tokens)
    is_code = vocab.is_code(tokens)
    first_other = np.where(is_code.all(1), tokens.shape[1], (~is_code).argmax(1))
    rows = np.arange(len(tokens))
    at = tokens[rows, np.minimum(first_other, tokens.shape[1] - 1)]
    reason = np.full(len(tokens), REASONS.index("non_code"))
    reason[(first_other < length) & (at == EOS)] = REASONS.index("too_short")
    reason[first_other > length] = REASONS.index("too_long")
    reason[(first_other == length) & (at == EOS)] = REASONS.index("ok")
    reason[(first_other == length) & (at != EOS)] = REASONS.index("non_code")
    well_formed = reason == 0
    codes = np.where(well_formed[:, None], tokens[:, :length] - vocab.first_code, -1)
    return codes.astype(np.int64), well_formed, reason


def parse_filled(vocab: CodeVocabulary, tokens: np.ndarray, codes: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Applies ``fill:`` answers ``[n, T]`` to ``codes [n, L]`` where ``mask``.

    A well-formed answer is ``[tok-0] c [tok-1] c ... </s>`` with exactly one code per hidden position.

    Returns:
        ``(codes [n, L] with -1 in malformed rows, well_formed [n])``.
    """
    tokens, codes, mask = np.asarray(tokens), np.asarray(codes), np.asarray(mask, dtype=bool)
    n, width = tokens.shape
    hidden = mask.sum(1)
    position = np.arange(width)[None]
    j = position // 2
    sentinel_slot = (position % 2 == 0) & (j < hidden[:, None])
    code_slot = (position % 2 == 1) & (j < hidden[:, None])
    end_slot = position == 2 * hidden[:, None]
    expected_sentinel = vocab.first_sentinel + j
    ok = np.where(sentinel_slot, tokens == expected_sentinel, True).all(1)
    ok &= np.where(code_slot, vocab.is_code(tokens), True).all(1)
    ok &= np.where(end_slot, tokens == EOS, False).any(1) if width else hidden == 0
    filled = codes.copy()
    for row in np.flatnonzero(ok):
        filled[row, mask[row]] = tokens[row, 1 : 2 * hidden[row] : 2] - vocab.first_code
    filled[~ok] = -1
    return filled.astype(np.int64), ok
