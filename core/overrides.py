"""Command-line flags over the registry: a section's keys and a plugin choice, checked as the file is.

``archgen search --budget 20 --searcher random`` and ``archgen predict --trials 3 --predictor gin``
both mean "the registry, with these values instead"; :func:`with_overrides` is that one rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pydantic
from pydantic import BaseModel

from archgen.config import PLUGIN_SECTIONS, RegistryConfig
from archgen.errors import ConfigError, choices_text
from archgen.registry import PluginChoice, same_plugin
from archgen.validation_messages import describe_validation_error


def with_overrides(
    config: RegistryConfig, *, plugins: Mapping[str, str | None] | None = None, **sections: Mapping[str, Any]
) -> RegistryConfig:
    """The registry with command-line values applied; a value of ``None`` leaves the file's.

    Args:
        config: The registry.
        plugins: ``{plugin section: name}``, e.g. ``{"searcher": "random"}`` (or ``"archgen:random"``).
            A plugin other than the registry's runs with its default options; the registry's own
            keeps its options.
        **sections: ``{settings section: {key: value}}``, e.g. ``search={"budget": 20}``; the
            section is validated whole, as the registry file is.

    Returns:
        A new :class:`RegistryConfig` (``config`` itself when nothing changes).

    Raises:
        ConfigError: For an unknown section, or a bad value, naming its flag (``--budget``) and the problem.
    """
    update: dict[str, Any] = {}
    for section, name in (plugins or {}).items():
        if section not in PLUGIN_SECTIONS:
            raise ConfigError(f"unknown plugin section {section!r}; expected one of {choices_text(PLUGIN_SECTIONS)}")
        current = getattr(config, section)
        # The file's own plugin (by any of its names, e.g. 'random' or 'archgen:random') keeps its options.
        if name is None or (current is not None and current.name == name):
            continue
        if current is not None and same_plugin(PLUGIN_SECTIONS[section], current.name, name):
            update[section] = current.model_copy(update={"name": name})
        else:
            update[section] = PluginChoice(name=name)
    for section, values in sections.items():
        model = _settings_model(section)
        given = {key: value for key, value in values.items() if value is not None}
        if not given:
            continue
        try:
            update[section] = model.model_validate({**getattr(config, section).model_dump(), **given})
        except pydantic.ValidationError as error:
            flags = ", ".join(f"--{key.replace('_', '-')}" for key in given)
            raise ConfigError(f"{flags}: {describe_validation_error(error, model=model)}") from None
    return config.model_copy(update=update) if update else config


def _settings_model(section: str) -> type[BaseModel]:
    settings = sorted(set(RegistryConfig.model_fields) - set(PLUGIN_SECTIONS))
    if section not in settings:
        raise ConfigError(f"unknown registry section {section!r}; expected one of {choices_text(settings)}")
    # Every settings section of the registry is a plain pydantic model (RunSection, SearchSection...).
    return cast(type[BaseModel], RegistryConfig.model_fields[section].annotation)
