"""``registry.toml``: which plugins a run uses and how it runs.

The file is validated by pydantic with ``extra="forbid"`` at every level, so a
misspelled key is an error that names it. ``ARCHGEN_<SECTION>__<KEY>``
environment variables override the file (``ARCHGEN_RUN__DEVICE=cpu``).
Each plugin's own ``options`` table is validated by that plugin's ``Options``
model when the plugin is loaded (:func:`archgen.registry.load`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from archgen.errors import ConfigError
from archgen.registry import describe_validation_error

DEFAULT_REGISTRY = "registry.toml"


class PluginChoice(BaseModel):
    """A plugin chosen by entry-point name, with its own options table."""

    model_config = ConfigDict(extra="forbid")
    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class RunSection(BaseModel):
    """How a run is named, seeded and placed.

    Attributes:
        name: Run directory name under ``runs_dir``.
        runs_dir: Parent folder of run directories.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        seed: Seed of the first replicate; replicate ``k`` uses ``seed + k``.
        seeds: Number of replicates (independent trainings) to run.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = "default"
    runs_dir: Path = Path("runs")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    seed: int = 0
    seeds: int = Field(1, ge=1)


class DataSection(BaseModel):
    """Which architectures are learned, and how they are split.

    Attributes:
        source: ``"enumerate"`` (the whole space) or ``"sample"`` (``num_archs``
            unique architectures from ``space.sample``).
        num_archs: Size of the sampled set when ``source = "sample"``.
        holdout: Held-out share (the paper's 90/10 split is 0.1).
        split_seed: Seed of the split (fixed across replicates, as in the paper).
    """

    model_config = ConfigDict(extra="forbid")
    source: Literal["enumerate", "sample"] = "enumerate"
    num_archs: int | None = Field(None, ge=2)
    holdout: float = Field(0.1, gt=0.0, lt=1.0)
    split_seed: int = 0


class EvaluateSection(BaseModel):
    """How samples are drawn and scored.

    Attributes:
        num_samples: Architectures generated per replicate (the papers use 10,000).
        temperature: Sampling temperature.
        top_k: Keep only the k most likely tokens (``None`` = off).
        top_p: Nucleus sampling mass (``None`` = off).
    """

    model_config = ConfigDict(extra="forbid")
    num_samples: int = Field(10_000, ge=1)
    temperature: float = Field(1.0, gt=0.0)
    top_k: int | None = Field(None, ge=1)
    top_p: float | None = Field(None, gt=0.0, le=1.0)


class RegistryConfig(BaseSettings):
    """The whole of ``registry.toml``."""

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix="ARCHGEN_", env_nested_delimiter="__", toml_file=DEFAULT_REGISTRY
    )
    run: RunSection = Field(default_factory=RunSection)
    space: PluginChoice
    generator: PluginChoice
    data: DataSection = Field(default_factory=DataSection)
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; explicit init values (tests, --config-less use) beat both.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_config(path: str | os.PathLike[str] = DEFAULT_REGISTRY) -> RegistryConfig:
    """Reads and validates a registry file, with environment overrides applied.

    Args:
        path: The TOML file.

    Raises:
        ConfigError: One line naming the file and the bad key(s) or syntax error.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"registry file {str(file)!r} not found (pass --config PATH)")
    try:
        with file.open("rb") as handle:
            tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    # pydantic-settings reads the TOML path from the class config, so bind it in a subclass.
    bound = type("RegistryConfig", (RegistryConfig,), {"model_config": {**RegistryConfig.model_config, "toml_file": file}})
    try:
        return bound()
    except pydantic.ValidationError as error:
        raise ConfigError(f"{file}: {describe_validation_error(error)}") from None
