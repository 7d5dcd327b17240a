"""One-line messages for pydantic validation errors, for every config, option and flag archgen checks.

Its own module (not :mod:`archgen.registry`, where it began) so that modules which validate
options -- :mod:`archgen.generation` among them -- need not import the plugin registry, which
imports the protocols that name them back.
"""

from __future__ import annotations

import typing
from typing import Any

import pydantic
from pydantic import BaseModel


def describe_validation_error(
    error: pydantic.ValidationError | list[Any], *, model: type[BaseModel] | None = None
) -> str:
    """Condenses a pydantic error into one line: ``key.path: message; ...``.

    Args:
        error: The error, or some of its ``errors()`` items.
        model: The model that was validated; when given, an unknown key's message
            lists the keys its table accepts.

    Returns:
        One line; offending inputs are shown clipped to about 80 characters.
    """
    items = error.errors() if isinstance(error, pydantic.ValidationError) else error
    parts = []
    for item in items:
        where = ".".join(str(p) for p in item["loc"]) or "<root>"
        if item["type"] == "extra_forbidden":
            message = "unknown key (not allowed)"
            accepted = _accepted_keys(model, item["loc"][:-1]) if model is not None else None
            if accepted:
                message = f"unknown key; accepted keys: {{{', '.join(accepted)}}}"
        else:
            message = item["msg"]
            if "input" in item and not isinstance(item["input"], dict):
                text = repr(item["input"])
                message += f" (got {text if len(text) <= 80 else text[:77] + '...'})"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _accepted_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The field names of the table at ``loc`` inside ``model``, or ``None`` past a free-form dict."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return None
        current = _model_in(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields is not None else None


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``Model``, ``Model | None`` or ``Annotated[Model, ...]``, else ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [_model_in(arg) for arg in typing.get_args(annotation)]
    models = [m for m in models if m is not None]
    return models[0] if len(models) == 1 else None
