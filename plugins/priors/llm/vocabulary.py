"""The numeric vocabulary: one VQ code is one token.

Arch-LLM renders a code sequence as text, ``"81 19 44 283 8 4 232"``, and fine-tunes T5 on it.
T5's sentencepiece tokenizer would cut such text into pieces that do not respect codes
(``"283"`` may become ``"▁2"`` ``"83"`` or ``"▁28"`` ``"3"`` depending on the merges learnt from
English), so one code would cost a variable number of steps, the sequence length in tokens
would no longer be the code length, and a sampled piece could end mid-number. Here every code
has its own id, so the model emits exactly one token per code and a length check is exact.

Token ids::

    0 <pad>   1 </s>   2 <s>   3 generate:   4 fill:
    5 .. 5+K-1            the codes 0 .. K-1
    5+K .. 5+K+L-1        the sentinels [tok-0] .. [tok-(L-1)]

``<pad>`` doubles as T5's decoder start token and ``</s>`` is T5's end token, the ids T5 uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from archgen.errors import ConfigError, clipped

PAD, EOS, BOS, GENERATE, FILL = 0, 1, 2, 3, 4
SPECIALS = ("<pad>", "</s>", "<s>", "generate:", "fill:")
_SENTINEL = re.compile(r"\[tok-(\d+)\]")


@dataclass(frozen=True)
class CodeVocabulary:
    """Token ids of ``codebook_size`` codes and ``sentinels`` fill-in markers.

    Attributes:
        codebook_size: Number of codes K.
        sentinels: Number of sentinel tokens (the code length L: a fill can hide every code).
    """

    codebook_size: int
    sentinels: int

    @property
    def size(self) -> int:
        """Number of token ids: 5 specials, K codes, L sentinels."""
        return len(SPECIALS) + self.codebook_size + self.sentinels

    @property
    def first_code(self) -> int:
        return len(SPECIALS)

    @property
    def first_sentinel(self) -> int:
        return len(SPECIALS) + self.codebook_size

    def code_tokens(self, codes: np.ndarray) -> np.ndarray:
        """Token ids of code indices (any shape)."""
        return np.asarray(codes) + self.first_code

    def is_code(self, tokens: np.ndarray) -> np.ndarray:
        """Where ``tokens`` are code tokens."""
        tokens = np.asarray(tokens)
        return (tokens >= self.first_code) & (tokens < self.first_sentinel)

    def sentinel(self, index: int | np.ndarray) -> int | np.ndarray:
        """Token id of ``[tok-index]``."""
        return self.first_sentinel + index

    def token_text(self, token: int) -> str:
        """The text of one token id."""
        token = int(token)
        if 0 <= token < len(SPECIALS):
            return SPECIALS[token]
        if self.first_code <= token < self.first_sentinel:
            return str(token - self.first_code)
        if self.first_sentinel <= token < self.size:
            return f"[tok-{token - self.first_sentinel}]"
        raise ValueError(f"token id {token} is outside the vocabulary of {self.size}")

    def text(self, tokens: np.ndarray | list[int], *, stop_at_eos: bool = True) -> str:
        """Renders token ids as the paper's text (``"81 19 44 283"``), up to the first ``</s>``."""
        words = []
        for token in np.asarray(tokens).tolist():
            if stop_at_eos and token == EOS:
                break
            if token == PAD:
                continue
            words.append(self.token_text(token))
        return " ".join(words)

    def tokens(self, text: str) -> list[int]:
        """Parses text written by :meth:`text` (or by hand) back to token ids.

        Raises:
            ConfigError: For a word that is no token of this vocabulary.
        """
        ids = []
        for word in text.split():
            if word in SPECIALS:
                ids.append(SPECIALS.index(word))
            elif word.isdigit() and int(word) < self.codebook_size:
                ids.append(self.first_code + int(word))
            elif (match := _SENTINEL.fullmatch(word)) and int(match.group(1)) < self.sentinels:
                ids.append(self.first_sentinel + int(match.group(1)))
            else:
                raise ConfigError(
                    f"{clipped(word)} is not a token of this vocabulary: expected a code 0..{self.codebook_size - 1}, "
                    f"a sentinel [tok-0]..[tok-{self.sentinels - 1}] or one of {list(SPECIALS)}"
                )
        return ids
