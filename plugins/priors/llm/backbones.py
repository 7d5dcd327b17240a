"""Which language model the ``llm`` prior wraps: a named architecture or a local checkpoint.

No model hub is assumed reachable. A *name* (``"t5-small"``, ``"gpt2"``...) builds that
architecture from its published configuration with fresh weights -- or, with
``pretrained = true``, loads its weights from the local Hugging Face cache only. A *path*
(anything with a path separator, or an existing directory) is loaded with
``from_pretrained``. The checks that need no model (does the path exist, is it a model
family we drive, is its vocabulary big enough) read ``config.json`` alone, so they run while
the options are validated, before ``transformers`` is imported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from archgen.errors import ConfigError, choices_text, clipped
from archgen.plugins.priors.llm.vocabulary import BOS, EOS, PAD

#: The model families the prior drives, by Hugging Face ``model_type``: how each decodes.
FAMILIES: dict[str, str] = {"t5": "seq2seq", "gpt2": "causal"}

#: Published configurations of the names a user may give without a local copy
#: (Raffel et al. 2020 Table 14's T5 sizes; Radford et al. 2019's GPT-2 sizes).
NAMED: dict[str, tuple[str, dict[str, Any]]] = {
    "t5-small": ("t5", {"d_model": 512, "d_ff": 2048, "d_kv": 64, "num_layers": 6, "num_heads": 8}),
    "t5-base": ("t5", {"d_model": 768, "d_ff": 3072, "d_kv": 64, "num_layers": 12, "num_heads": 12}),
    "t5-large": ("t5", {"d_model": 1024, "d_ff": 4096, "d_kv": 64, "num_layers": 24, "num_heads": 16}),
    "gpt2": ("gpt2", {"n_embd": 768, "n_layer": 12, "n_head": 12}),
    "gpt2-medium": ("gpt2", {"n_embd": 1024, "n_layer": 24, "n_head": 16}),
}


def is_path(model: str) -> bool:
    """Whether ``model`` names a local directory rather than a known architecture."""
    return os.sep in model or "/" in model or model.startswith((".", "~")) or Path(model).is_dir()


def check_model_option(model: str, vocabulary_size: int) -> None:
    """Validates ``model`` without importing ``transformers``.

    Args:
        model: A name of :data:`NAMED` or a local checkpoint directory.
        vocabulary_size: Tokens the codes need (0: not known yet, skip that check).

    Raises:
        ConfigError: For an unknown name, a path that does not exist or holds no model,
            a model family the prior cannot drive, or a vocabulary too small for the codes.
    """
    if not is_path(model):
        if model not in NAMED:
            raise ConfigError(f"unknown llm model {clipped(model)}; give a local checkpoint directory or one of {choices_text(NAMED)}")
        return
    directory = Path(model).expanduser()
    if not directory.is_dir():
        raise ConfigError(f"llm model path {str(directory)!r} does not exist (a Hugging Face checkpoint directory with config.json)")
    config = _read_config(directory)
    family = config.get("model_type")
    if family not in FAMILIES:
        raise ConfigError(
            f"llm model {str(directory)!r} is a {family!r} checkpoint; the llm prior drives {choices_text(FAMILIES)}"
        )
    size = config.get("vocab_size")
    if vocabulary_size and isinstance(size, int) and size < vocabulary_size:
        raise ConfigError(
            f"llm model {str(directory)!r} has a vocabulary of {size} tokens, too few for the {vocabulary_size} the codes "
            "need (5 specials + K codes + L sentinels); give a model with a larger vocabulary"
        )


def _read_config(directory: Path) -> dict[str, Any]:
    path = directory / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"llm model path {str(directory)!r} holds no config.json (not a Hugging Face checkpoint)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"llm model {str(path)!r} is unreadable ({type(error).__name__})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"llm model {str(path)!r} is not a JSON object")
    return config


def family_of(model: str) -> str:
    """``"seq2seq"`` or ``"causal"`` for a validated ``model`` option."""
    if is_path(model):
        return FAMILIES[_read_config(Path(model).expanduser())["model_type"]]
    return FAMILIES[NAMED[model][0]]


def build(model: str, overrides: dict[str, Any], vocabulary_size: int, *, pretrained: bool = False) -> Any:
    """The Hugging Face model the prior trains, sized for ``vocabulary_size`` token ids.

    Args:
        model: A validated ``model`` option (see :func:`check_model_option`).
        overrides: Configuration values replacing the named architecture's (``d_model``,
            ``num_layers``, ``dropout_rate``...); for a local checkpoint, only dropout-like keys apply.
        vocabulary_size: Token ids of the code vocabulary; a checkpoint's embeddings are cut to it.
        pretrained: Load a named model's weights from the local Hugging Face cache.

    Raises:
        ConfigError: If ``transformers`` is missing, an override is not a field of the
            configuration, or no cached copy of a pretrained name exists.
    """
    transformers = _transformers()
    if is_path(model) or pretrained:
        source = str(Path(model).expanduser()) if is_path(model) else model
        family = family_of(model)
        cls = transformers.T5ForConditionalGeneration if family == "seq2seq" else transformers.GPT2LMHeadModel
        try:
            network = cls.from_pretrained(source, local_files_only=True, **overrides)
        except OSError as error:
            first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            raise ConfigError(f"llm model {clipped(source)} could not be loaded locally: {first}") from None
        if network.config.model_type not in FAMILIES:
            raise ConfigError(f"llm model {clipped(source)} is a {network.config.model_type!r} model; expected {choices_text(FAMILIES)}")
        # Keep the first ids: T5 and our vocabulary agree on <pad> 0 and </s> 1.
        network.resize_token_embeddings(vocabulary_size)
        _set_special_ids(network.config)
        return network
    family, published = NAMED[model]
    values = {**published, **overrides, "vocab_size": vocabulary_size, **SPECIAL_IDS}
    if family == "t5":
        values.setdefault("num_decoder_layers", values["num_layers"])
        config_cls, cls = transformers.T5Config, transformers.T5ForConditionalGeneration
    else:
        config_cls, cls = transformers.GPT2Config, transformers.GPT2LMHeadModel
    known = set(config_cls.__init__.__code__.co_varnames) | set(config_cls().to_dict())
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"llm config keys {unknown} are not fields of {config_cls.__name__} (e.g. {sorted(published)})")
    return cls(config_cls(**values))


#: Our vocabulary's ids in the model configuration (T5 starts decoding from <pad>).
SPECIAL_IDS = {"pad_token_id": PAD, "eos_token_id": EOS, "bos_token_id": BOS, "decoder_start_token_id": PAD}


def _set_special_ids(config: Any) -> None:
    for key, value in SPECIAL_IDS.items():
        setattr(config, key, value)


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise ConfigError("the llm prior needs Hugging Face transformers: pip install 'archgen[llm]'") from None
    return transformers
