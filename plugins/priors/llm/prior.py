"""The ``llm`` prior: a Hugging Face T5 (or GPT-2-style causal LM) over code sequences as text.

arch-llm.md section 3.2: each architecture's code sequence becomes a sentence, and the
language model is fine-tuned with teacher forcing on two tasks mixed at random --
``generate:`` (write a whole sequence) and ``fill:`` (write the codes hidden behind
sentinels). Sampling prompts ``generate:``; :meth:`LLMPrior.infill` prompts ``fill:``.
One code is one token (see :mod:`archgen.plugins.priors.llm.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from archgen.errors import CheckpointError, ConfigError
from archgen.generation import TokenSamplingOptions, validate_sampling
from archgen.plugins.priors.llm import backbones, decoding, lora
from archgen.plugins.priors.llm.lora import LoRAOptions
from archgen.plugins.priors.llm.tasks import causal_prompts, fill_prompt, random_masks, training_batch
from archgen.plugins.priors.llm.vocabulary import EOS, FILL, GENERATE, CodeVocabulary
from archgen.runtime import Runtime
from archgen.training import Callback, train_epochs


@dataclass(frozen=True)
class Draw:
    """What the model wrote, parsed.

    Attributes:
        codes: ``[n, L]`` code indices, -1 in rows that are not well formed.
        well_formed: ``[n]`` whether the text was a code sequence of the right form.
        text: Per row, what the model wrote after its prompt, as the paper's text.
        reason: ``[n]`` for ``generate:`` draws, an index into
            :data:`archgen.plugins.priors.llm.decoding.REASONS` (0 = well formed); None for fills.
    """

    codes: np.ndarray
    well_formed: np.ndarray
    text: list[str]
    reason: np.ndarray | None = None


class LLMSamplingOptions(TokenSamplingOptions):
    """Sampling knobs of the ``llm`` prior.

    Attributes:
        constrained: Allow only code tokens, exactly L of them, then the end token (the
            fill task: each sentinel in turn, one code after it): every draw is well formed.
            Off by default, as the paper samples.
    """

    constrained: bool = False


class LLMPriorOptions(BaseModel):
    """Options of the ``llm`` prior.

    Attributes:
        vocab_size: Number of codes K (set by the generator from the quantizer).
        seq_len: Codes per sequence L (set by the generator from the space).
        model: A known architecture (``t5-small``, ``t5-base``, ``t5-large``, ``gpt2``,
            ``gpt2-medium``: built from its configuration with fresh weights) or a local
            Hugging Face checkpoint directory (loaded with ``from_pretrained``).
        config: Values replacing the named architecture's configuration (``d_model``,
            ``num_layers``, ``num_heads``, ``d_ff``, ``dropout_rate``... for T5; ``n_embd``,
            ``n_layer``, ``n_head``... for GPT-2).
        pretrained: Load a named model's pretrained weights from the local Hugging Face
            cache (``HF_HOME``) instead of starting fresh; nothing is downloaded.
        fill_fraction: Share of training examples given the ``fill:`` task (the rest ``generate:``).
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        batch_size: Sequences per step.
        lora: LoRA adapters (:class:`~archgen.plugins.priors.llm.lora.LoRAOptions`: ``rank``,
            ``alpha``, ``dropout``, ``target_modules``) trained in place of the whole model, through
            ``peft`` (``pip install 'archgen[lora]'``); None (default) fine-tunes every weight.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, protected_namespaces=())
    vocab_size: int = Field(0, ge=0, le=1_048_576)
    seq_len: int = Field(0, ge=0, le=4096)
    model: str = Field("t5-small", min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    pretrained: bool = False
    fill_fraction: float = Field(0.5, ge=0.0, le=1.0)
    lr: float = Field(5e-4, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    batch_size: int = Field(128, ge=1, le=10_000_000)
    lora: LoRAOptions | None = None

    @model_validator(mode="after")
    def _model_holds_the_codes(self) -> LLMPriorOptions:
        needed = CodeVocabulary(self.vocab_size, self.seq_len).size if self.vocab_size and self.seq_len else 0
        backbones.check_model_option(self.model, needed)
        asked = self.config.get("vocab_size")
        if needed and asked is not None and asked != needed:
            raise ConfigError(
                f"llm config vocab_size={asked!r} cannot be used: the vocabulary is the codes' own {needed} tokens "
                f"(5 specials + {self.vocab_size} codes + {self.seq_len} sentinels); drop the key"
            )
        if self.pretrained and backbones.is_path(self.model):
            raise ConfigError(f"pretrained = true applies to a model name; {self.model!r} is a path, which is always loaded")
        if self.lora is not None:
            lora.check_available()
        return self


class LLMPrior(nn.Module):
    """Arch-LLM's language-model prior over ``[M, L]`` code sequences.

    Args:
        options: :class:`LLMPriorOptions`; ``vocab_size`` and ``seq_len`` must be set.
    """

    Options: ClassVar[type[BaseModel]] = LLMPriorOptions
    SamplingOptions: ClassVar[type[BaseModel]] = LLMSamplingOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {  # tiny: archgen.testing kits
        "config": {"d_model": 16, "d_ff": 32, "d_kv": 8, "num_layers": 1, "num_heads": 2, "dropout_rate": 0.0},
        "lr": 1e-2,
        "batch_size": 32,
    }

    def __init__(self, options: LLMPriorOptions | None = None):
        super().__init__()
        self.options = o = options or LLMPriorOptions()
        if o.vocab_size <= 0 or o.seq_len <= 0:
            raise ValueError("LLMPrior needs vocab_size and seq_len > 0 (set by the generator)")
        self.vocab = CodeVocabulary(o.vocab_size, o.seq_len)
        self.family = backbones.family_of(o.model)
        self.network = backbones.build(o.model, o.config, self.vocab.size, pretrained=o.pretrained)
        if o.lora is not None:
            self.network = lora.attach(self.network, o.lora)

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Teacher-forcing loss of a :func:`~archgen.plugins.priors.llm.tasks.training_batch`."""
        return self.network(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss

    # -- training -----------------------------------------------------------------
    def fit(
        self,
        sequences: torch.Tensor,
        *,
        epochs: int = 10,
        seed: int = 0,
        runtime: Runtime | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> dict[str, float]:
        """Fine-tunes on ``[M, L]`` code sequences, each step a random mix of the two tasks.

        Args:
            sequences: Code indices, one row per architecture.
            epochs: Passes over the data.
            seed: Seeds the shuffling, the task of each example and its masks.
            runtime: Device, precision and rank (default: CPU, fp32, one process).
            callbacks: Called on rank 0 with ``("prior", epoch, logs)`` after each epoch.

        Returns:
            The last epoch's mean training ``loss``.
        """
        o = self.options
        runtime = runtime or Runtime(device=self.device)
        self.to(runtime.device)
        # With LoRA only the adapters train; the frozen base must not reach AdamW's weight decay.
        trainable = [p for p in self.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=o.lr, weight_decay=o.weight_decay)
        tasks = torch.Generator().manual_seed(seed)
        causal = self.family == "causal"

        def step(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            codes = batch[0].cpu()
            fill = torch.rand(len(codes), generator=tasks) < o.fill_fraction
            mask = random_masks(len(codes), o.seq_len, tasks)
            inputs = training_batch(self.vocab, codes, fill, mask, causal=causal)
            loss = model(**{k: v.to(runtime.device) for k, v in inputs.items()})
            return loss, {"loss": loss}

        result = train_epochs(
            self, optimizer, [sequences.to(runtime.device, torch.long)], step,
            stage="prior", epochs=epochs, batch_size=o.batch_size, seed=seed, runtime=runtime, callbacks=callbacks,
        )
        return result.logs

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        """``nn.Module.load_state_dict``, refusing a checkpoint trained with(out) LoRA adapters this prior lacks (has).

        Raises:
            CheckpointError: If the checkpoint's adapters do not match the ``lora`` option.
        """
        saved = any(lora.ADAPTER_KEY in key for key in state_dict)
        if saved != (self.options.lora is not None):
            raise CheckpointError(
                "llm prior checkpoint was trained "
                + ("with LoRA adapters; set the same [prior] lora option to load it" if saved else "without LoRA; remove the lora option to load it")
            )
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    # -- sampling -------------------------------------------------------------------
    @torch.no_grad()
    def draw(self, n: int, *, seed: int = 0, batch_size: int = 5000, **sampling: Any) -> Draw:
        """Prompts ``generate:`` ``n`` times and parses what the model wrote (L codes, then ``</s>``).

        Args:
            n: Sequences to draw.
            seed: Seed of the draws.
            batch_size: Rows decoded at once.
            **sampling: :class:`LLMSamplingOptions` (temperature, top_k, top_p, constrained).

        Raises:
            ConfigError: For sampling options that do not validate.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling)
        self.eval()
        length, device = self.options.seq_len, self.device
        generator = torch.Generator(device=device).manual_seed(seed)
        allowed = decoding.generate_constraint(self.vocab, length, device) if knobs.constrained else (lambda _: None)
        chunks = []
        for start in range(0, n, batch_size):
            rows = min(batch_size, n - start)
            prompts = self._prompts(torch.zeros(rows, length, dtype=torch.long, device=device), None)
            step = decoding.stepper(self.network, self.family, prompts)
            chunks.append(decoding.draw_tokens(step, rows, length + 1, **self._filters(knobs), generator=generator, allowed=allowed))
        tokens = torch.cat(chunks).cpu().numpy() if chunks else np.zeros((0, length + 1), dtype=np.int64)
        codes, well_formed, reason = decoding.parse_generated(self.vocab, tokens, length)
        return Draw(codes, well_formed, self.text(tokens), reason)

    def sample(self, n: int, *, seed: int = 0, **sampling: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences with the ``generate:`` prompt.

        Args:
            n: Sequences to draw.
            seed: Seed of the draws.
            **sampling: :class:`LLMSamplingOptions` (temperature, top_k, top_p, constrained).

        Returns:
            ``(codes [n, L], well_formed [n])``; codes of malformed rows are -1.

        Raises:
            ConfigError: For sampling options that do not validate.
        """
        drawn = self.draw(n, seed=seed, **sampling)
        return torch.from_numpy(drawn.codes), torch.from_numpy(drawn.well_formed)

    @torch.no_grad()
    def draw_infill(
        self, codes: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor, *, seed: int = 0, batch_size: int = 5000, **sampling: Any
    ) -> Draw:
        """Prompts ``fill:`` with ``codes`` hidden where ``mask`` is True and applies the answers.

        Args:
            codes: ``[B, L]`` code indices.
            mask: ``[B, L]`` bool, True where a code is to be re-drawn (a row with none comes back unchanged).
            seed: Seed of the draws.
            batch_size: Rows decoded at once.
            **sampling: :class:`LLMSamplingOptions`.

        Raises:
            ConfigError: For sampling options that do not validate, or codes and mask that do not fit.
        """
        knobs = validate_sampling(self.SamplingOptions, sampling)
        codes, mask = np.asarray(codes, dtype=np.int64), np.asarray(mask, dtype=bool)
        length = self.options.seq_len
        if codes.ndim != 2 or codes.shape[1] != length or mask.shape != codes.shape:
            raise ConfigError(f"infill needs codes and mask of shape [B, {length}], got {codes.shape} and {mask.shape}")
        if ((codes < 0) | (codes >= self.options.vocab_size)).any():
            raise ConfigError(f"infill codes must lie in 0..{self.options.vocab_size - 1}")
        self.eval()
        device = self.device
        generator = torch.Generator(device=device).manual_seed(seed)
        answers = []
        for start in range(0, len(codes), batch_size):
            rows_codes = torch.from_numpy(codes[start : start + batch_size]).to(device)
            rows_mask = torch.from_numpy(mask[start : start + batch_size]).to(device)
            step = decoding.stepper(self.network, self.family, self._prompts(rows_codes, rows_mask))
            allowed = decoding.fill_constraint(self.vocab, rows_mask) if knobs.constrained else (lambda _: None)
            # The longest answer here hides every masked code: 2 tokens each, then </s>.
            steps = 2 * int(rows_mask.sum(1).max()) + 1
            tokens = decoding.draw_tokens(step, len(rows_codes), steps, **self._filters(knobs), generator=generator, allowed=allowed)
            padded = np.zeros((len(rows_codes), 2 * length + 1), dtype=np.int64)
            padded[:, :steps] = tokens.cpu().numpy()
            answers.append(padded)
        tokens = np.concatenate(answers) if answers else np.zeros((0, 2 * length + 1), dtype=np.int64)
        filled, well_formed = decoding.parse_filled(self.vocab, tokens, codes, mask)
        return Draw(filled, well_formed, self.text(tokens))

    def infill(
        self, codes: np.ndarray | torch.Tensor, mask: np.ndarray | torch.Tensor, *, seed: int = 0, **sampling: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Re-draws the codes where ``mask`` is True, keeping the others (see :meth:`draw_infill`).

        Returns:
            ``(codes [B, L], well_formed [B])``; codes of rows whose answer was malformed are -1.
        """
        drawn = self.draw_infill(codes, mask, seed=seed, **sampling)
        return torch.from_numpy(drawn.codes), torch.from_numpy(drawn.well_formed)

    def text(self, tokens: np.ndarray) -> list[str]:
        """The paper's text of each row of drawn tokens (up to ``</s>``)."""
        return [self.vocab.text(row) for row in np.asarray(tokens)]

    def _prompts(self, codes: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        tokens = codes + self.vocab.first_code
        if self.family == "causal":
            return causal_prompts(self.vocab, tokens, mask)
        b = len(codes)
        if mask is None:
            return torch.tensor([GENERATE, EOS], device=codes.device).expand(b, 2).clone()
        head = torch.full((b, 1), FILL, dtype=torch.long, device=codes.device)
        tail = torch.full((b, 1), EOS, dtype=torch.long, device=codes.device)
        return torch.cat([head, fill_prompt(self.vocab, tokens, mask), tail], 1)

    @staticmethod
    def _filters(knobs: LLMSamplingOptions) -> dict[str, Any]:
        return {"temperature": knobs.temperature, "top_k": knobs.top_k, "top_p": knobs.top_p}
