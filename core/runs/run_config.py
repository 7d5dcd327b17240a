"""A run's ``config.json``: its typed shape (:class:`RunConfig`), read checked and written as before.

``config.json`` is the registry resolved for one run: every plugin choice with its
validated options, the data, evaluate, predict and search sections, and the seeds of
the replicates. Runs of archgen 0.1 (no ``format`` key) are migrated on reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from archgen.config import DataSection, EvaluateSection, PredictSection, RunSection, SearchSection
from archgen.errors import RunConfigError
from archgen.registry import PluginChoice
from archgen.validation_messages import describe_validation_error
from archgen.runs.layout import RunDirectory

FORMAT = "archgen.run-config/2"


class RunConfig(BaseModel):
    """A run's resolved configuration, as :func:`archgen.pipeline.session.resolve_config` writes it."""

    model_config = ConfigDict(extra="forbid")
    format: str = FORMAT
    run: RunSection
    space: PluginChoice
    generator: PluginChoice | None = None
    predictor: PluginChoice | None = None
    searcher: PluginChoice | None = None
    data: DataSection
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)
    predict: PredictSection = Field(default_factory=PredictSection)
    search: SearchSection = Field(default_factory=SearchSection)
    #: The replicates' seeds, planned when the run is created (their checkpoints: ``checkpoints/seed-<s>/``).
    seeds_trained: list[int] = Field(min_length=1)
    data_sizes: dict[str, int] = Field(default_factory=dict)
    #: How a sampled data set was seeded (archgen.pipeline.dataset.CURRENT_DATA_STREAM); absent = 1.
    data_stream: int = Field(1, ge=1, le=2)
    environment: dict[str, str] = Field(default_factory=dict)

    @staticmethod
    def migrate(raw: Any) -> Any:
        """Brings a configuration written by archgen 0.1 to the current shape.

        0.1 kept the sampling knobs (``temperature``, ``top_k``, ``top_p``) directly
        in ``[evaluate]``; they now live in ``[evaluate.sampling]``, validated by the
        generator.
        """
        if not isinstance(raw, dict) or "format" in raw:
            return raw
        migrated = dict(raw)
        evaluate = dict(migrated.get("evaluate") or {})
        sampling = {k: evaluate.pop(k) for k in ("temperature", "top_k", "top_p") if k in evaluate}
        evaluate.setdefault("sampling", sampling)
        migrated["evaluate"] = evaluate
        migrated["format"] = FORMAT
        return migrated

    def to_json(self) -> dict[str, Any]:
        """The JSON form with every default filled in (what the hooks receive)."""
        return self.model_dump(mode="json")


def parse_run_config(raw: Any, where: str) -> RunConfig:
    """Validates the JSON of a ``config.json`` (migrating a 0.1 one).

    Args:
        raw: The parsed JSON.
        where: How to name the file in errors.

    Raises:
        RunConfigError: If it is not a JSON object of archgen's sections, naming the first bad key.
    """
    try:
        return RunConfig.model_validate(RunConfig.migrate(raw))
    except pydantic.ValidationError as error:
        raise RunConfigError(
            f"{where} is not an archgen run configuration ({describe_validation_error(error)}); "
            "re-create the run with 'archgen train'"
        ) from None
    except (TypeError, AttributeError):
        raise RunConfigError(f"{where} is not an archgen run configuration (not a JSON object of sections)") from None


def read_run_config(directory: RunDirectory) -> RunConfig:
    """The checked configuration of the run at ``directory``.

    Raises:
        RunNotFoundError: If ``config.json`` is missing.
        RunConfigError: If it is corrupt or of the wrong shape.
    """
    return parse_run_config(directory.read_config(), directory.describe(directory.config_file))


def write_run_config(directory: RunDirectory, config: RunConfig) -> Path:
    """Writes ``config.json`` atomically, with exactly the keys the configuration was given.

    Keys never set (``data_sizes`` and ``data_stream`` before training) stay out of the file,
    as they always have: a reader takes their absence as the old default.
    """
    return directory.write_json("config.json", config.model_dump(mode="json", exclude_unset=True))
