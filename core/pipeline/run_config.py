"""The shape of a run's ``config.json``, checked whenever a run is opened."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archgen.config import DataSection, EvaluateSection, PredictSection, RunSection, SearchSection
from archgen.registry import PluginChoice


class RunConfig(BaseModel):
    """A run's resolved configuration, as :func:`archgen.pipeline.session.resolve_config` writes it."""

    model_config = ConfigDict(extra="forbid")
    format: str = "archgen.run-config/2"
    run: RunSection
    space: PluginChoice
    generator: PluginChoice | None = None
    predictor: PluginChoice | None = None
    searcher: PluginChoice | None = None
    data: DataSection
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)
    predict: PredictSection = Field(default_factory=PredictSection)
    search: SearchSection = Field(default_factory=SearchSection)
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
        migrated["format"] = "archgen.run-config/2"
        return migrated
