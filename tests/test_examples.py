"""The example registries validate, plugin options included."""

from pathlib import Path

import pytest

from archgen.config import load_config
from archgen.registry import validate_options

EXAMPLES = sorted(Path("examples").glob("*.toml")) + [Path("registry.toml")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_registry_is_valid(path):
    config = load_config(path)
    validate_options("space", config.space.name, config.space.options)
    options = validate_options("generator", config.generator.name, config.generator.options)
    for slot in ("encoder", "quantizer", "prior"):
        choice = getattr(options, slot, None)  # arch_llm nests its choices one level deeper
        if choice is not None:
            validate_options(slot, choice.name, choice.options)
