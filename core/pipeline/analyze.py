"""``archgen analyze``: one of the papers' analyses over a trained run, into ``<run>/analysis/``.

Each analysis (:mod:`archgen.analysis`) writes ``analysis/<name>.json`` (its figures, the options
and sampling it ran with) and a PNG or Markdown table beside it, atomically, on the staged run:
a failed or interrupted analysis leaves the run as it was.
"""

from __future__ import annotations

from typing import Any

import pydantic

from archgen.analysis import analysis_module
from archgen.analysis.inputs import AnalysisInputs
from archgen.errors import ConfigError
from archgen.pipeline.session import Session, require_trained
from archgen.validation_messages import describe_validation_error

#: The run's sub-folder the analyses write into.
FOLDER = "analysis"


def validate_options(name: str, options: dict[str, Any] | None) -> pydantic.BaseModel:
    """The analysis's ``Options`` from ``options`` (``--option KEY=VALUE`` pairs).

    Raises:
        ConfigError: For an unknown analysis, or a bad key or value, naming the accepted keys.
    """
    model = analysis_module(name).Options
    try:
        return model.model_validate(dict(options or {}))
    except pydantic.ValidationError as error:
        raise ConfigError(
            f"bad option for analysis {name!r}: {describe_validation_error(error)} (accepted: {sorted(model.model_fields)})"
        ) from None


def analyze(session: Session, name: str, options: pydantic.BaseModel, sampling: dict[str, Any] | None = None) -> dict[str, Any]:
    """Runs analysis ``name`` on the session's run; writes ``analysis/<name>.json`` and its figure.

    Args:
        session: The staged run.
        name: An :data:`archgen.analysis.ANALYSES` name.
        options: Validated by :func:`validate_options`.
        sampling: Overrides of the run's ``[evaluate.sampling]``.

    Returns:
        The result written to ``analysis/<name>.json``.
    """
    module = analysis_module(name)
    require_trained(session)
    inputs = AnalysisInputs(session.as_run(), session.runtime, session.dataset, sampling)
    inputs.sampling  # noqa: B018 - refuse bad sampling options before any model is loaded
    folder = session.run.path / FOLDER
    folder.mkdir(exist_ok=True)
    result = module.analyze(inputs, options, folder / module.FIGURE)
    result = {**result, "options": options.model_dump(mode="json"), "figure": f"{FOLDER}/{module.FIGURE}"}
    session.run.write_json(f"{FOLDER}/{name}.json", result)
    session.summary = {"analysis": name}
    return result
