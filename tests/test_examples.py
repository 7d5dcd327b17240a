"""The example registries validate, plugin options included."""

from pathlib import Path

import pytest

from archgen.config import load_config
from archgen.registry import validate_options

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIGS = sorted((ROOT / "examples").glob("**/*.toml"))
EXAMPLES = EXAMPLE_CONFIGS + [ROOT / "registry.toml"]


def test_examples_are_found():
    # Located from this file, not the working directory, so a run from another folder still tests them.
    assert EXAMPLE_CONFIGS, f"no example configs under {ROOT / 'examples'}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_example_registry_is_valid(path):
    config = load_config(path)
    validate_options("space", config.space.name, config.space.options)
    # validate_options walks the nested plugin choices (encoder, quantizer, prior...) too.
    named = {slot: getattr(config, slot) for slot in ("generator", "predictor", "searcher")}
    assert any(named.values()), f"{path} names no generator, predictor or searcher"
    for slot, choice in named.items():
        if choice is not None:
            validate_options(slot, choice.name, choice.options)
