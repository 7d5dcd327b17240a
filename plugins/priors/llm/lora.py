"""Optional LoRA adapters (Hu et al. 2021, through Hugging Face ``peft``) for the ``llm`` prior.

arch-llm.md fine-tunes a pretrained T5; LoRA trains small low-rank updates of chosen linear
layers instead of every weight, which matters when the start is pretrained (``pretrained =
true`` or a local checkpoint) and large. With a fresh start (the default here, no hub being
reachable) the frozen base is random, so full fine-tuning is the better choice there.

The adapters are injected into the model in place (``peft.inject_adapter_in_model``), so the
prior keeps driving the plain Hugging Face model -- decoding, the key/value cache and the
prior's ``state_dict`` all work unchanged. ``peft`` is imported only when ``lora`` is set.

Checkpoints hold the base weights and the adapters, unmerged: with a fresh base the adapters
alone would be meaningless, and merging them would round the sum ``W + (alpha / r) B A`` so
that a reloaded prior would not draw exactly the same samples. A LoRA checkpoint therefore
loads only into a prior with the same ``lora`` option.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archgen.errors import ConfigError, choices_text

#: The marker peft puts in the names of adapter weights (``...q.lora_A.default.weight``).
ADAPTER_KEY = ".lora_"


class LoRAOptions(BaseModel):
    """LoRA on the ``llm`` prior's linear layers.

    Attributes:
        rank: Rank r of each update ``B A``.
        alpha: Scale numerator: the update is ``(alpha / rank) B A``.
        dropout: Dropout on the adapter's input.
        target_modules: Names of the linear layers to adapt (module-name suffixes, e.g.
            ``["q", "v"]`` in T5, ``["c_attn"]`` in GPT-2); None takes peft's default for the
            model family (those two).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    rank: int = Field(8, ge=1, le=4096)
    alpha: float = Field(16.0, gt=0.0)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    target_modules: list[str] | None = Field(None, min_length=1)


def check_available() -> None:
    """Raises a one-line :class:`ConfigError` when ``peft`` is not installed (without importing it)."""
    if importlib.util.find_spec("peft") is None:
        raise ConfigError("llm lora needs Hugging Face peft, which is not installed: pip install 'archgen[lora]'")


def attach(network: Any, options: LoRAOptions) -> Any:
    """Injects LoRA adapters into ``network`` in place and freezes everything else.

    Args:
        network: A Hugging Face T5 or GPT-2 model.
        options: The adapters' shape.

    Returns:
        ``network`` itself, now with only the adapter weights requiring gradients.

    Raises:
        ConfigError: If ``peft`` is missing, or a target module is not a layer of the model.
    """
    check_available()
    import peft

    config = peft.LoraConfig(
        r=options.rank, lora_alpha=options.alpha, lora_dropout=options.dropout, target_modules=options.target_modules
    )
    try:
        adapted = peft.inject_adapter_in_model(config, network)
    except ValueError:  # peft signals an unmatched target as a ValueError (NoMatchingPeftModuleError in recent peft)
        if options.target_modules is None:
            raise
        # peft's own message is several lines; name the layers that can be adapted instead.
        layers = sorted({name.rsplit(".", 1)[-1] for name, module in network.named_modules() if _is_linear(module)})
        raise ConfigError(
            f"llm lora target_modules {options.target_modules!r} do not all name layers of the model; "
            f"choose among {choices_text(layers)}"
        ) from None
    # Frozen base, trainable adapters: peft marks them so already; said again so it cannot drift.
    for name, parameter in adapted.named_parameters():
        parameter.requires_grad_(ADAPTER_KEY in name)
    return adapted


def _is_linear(module: Any) -> bool:
    import torch

    # GPT-2's projections are transformers' Conv1D, a transposed linear layer.
    return isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D"
