"""``check_predictor``: the Predictor contract on a small labelled set."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from archgen.architecture import Architecture
from archgen.errors import ArchgenError
from archgen.plugin_outputs import as_assertion, check_predictions, check_statistics
from archgen.protocols import Predictor, SearchSpace, missing_members
from archgen.runtime import Runtime


def check_predictor(
    predictor_factory: Callable[[], Any],
    space: SearchSpace,
    archs: Sequence[Architecture],
    targets: np.ndarray,
    *,
    runtime: Runtime | None = None,
) -> dict[str, Any]:
    """Asserts the Predictor contract on predictors made by ``predictor_factory``.

    Checked: the protocol's members and a pydantic ``Options`` model
    (``extra="forbid"``); ``predict`` before ``fit`` raises an
    :class:`~archgen.errors.ArchgenError` or ``RuntimeError`` with a message
    (not an accidental ``AttributeError``, nor made-up numbers); ``fit``
    returns JSON-serialisable statistics; ``predict`` gives one finite float
    per architecture, the same answer for a row whatever batch it comes in,
    and the same predictions from two instances fitted with the same seed.

    Args:
        predictor_factory: Builds a fresh, unfitted predictor, e.g.
            ``lambda: archgen.load("predictor", "mine", **MyPredictor.TEST_OPTIONS)``.
        space: The space of ``archs``.
        archs: A small labelled set (a few hundred at most); predictions are
            made on it too.
        targets: ``[len(archs)]`` float targets.
        runtime: Passed to ``fit`` (default: CPU, one thread).

    Returns:
        The statistics ``fit`` returned.

    Raises:
        AssertionError: Naming the broken part of the contract.
    """
    archs = list(archs)
    targets = np.asarray(targets, dtype=np.float64)
    assert targets.shape == (len(archs),), f"check_predictor needs one target per architecture, got {targets.shape}"
    predictor = predictor_factory()
    name = type(predictor).__name__
    missing = missing_members(predictor, Predictor)
    assert not missing, f"{name} lacks members of the Predictor protocol: {', '.join(missing)}"
    model = getattr(type(predictor), "Options", None)
    assert isinstance(model, type) and issubclass(model, BaseModel), f"{name}.Options must be a pydantic BaseModel class"
    assert model.model_config.get("extra") == "forbid", f"{name}.Options must set extra='forbid'"

    try:
        early = predictor.predict(space, archs[:4])
    except (ArchgenError, RuntimeError) as error:
        assert str(error).strip(), f"{name}.predict() before fit() raised {type(error).__name__} without a message"
    except Exception as error:  # noqa: BLE001 - the wrong exception type is the finding
        raise AssertionError(
            f"{name}.predict() before fit() raised {type(error).__name__} ({error}); expected an ArchgenError or "
            "RuntimeError saying it is not fitted"
        ) from None
    else:
        raise AssertionError(f"{name}.predict() before fit() returned {early!r}; it must raise (not fitted)")

    fitted = predictor.fit(space, archs, targets, runtime=runtime, seed=0)
    with as_assertion():
        stats = check_statistics(fitted, plugin=f"{name}.fit()")

    predictions = _predict(name, predictor, space, archs)
    assert np.array_equal(predictions, _predict(name, predictor, space, archs)), (
        f"{name}.predict() gave different answers for the same architectures twice"
    )
    head = _predict(name, predictor, space, archs[:3])
    assert np.allclose(head, predictions[:3], rtol=1e-5, atol=1e-6), (
        f"{name}.predict() depends on the rest of the batch: {head.tolist()} alone vs {predictions[:3].tolist()} in the full batch"
    )
    twin = predictor_factory()
    twin.fit(space, archs, targets, runtime=runtime, seed=0)
    assert np.allclose(_predict(name, twin, space, archs), predictions, rtol=1e-5, atol=1e-6), (
        f"{name}: two predictors fitted with seed 0 predict differently (seed every random draw)"
    )
    return stats


def _predict(name: str, predictor: Any, space: SearchSpace, archs: list[Architecture]) -> np.ndarray:
    """Predictions checked by :func:`archgen.plugin_outputs.check_predictions`, as ``archgen predict`` checks them."""
    with as_assertion():
        return check_predictions(predictor.predict(space, archs), len(archs), plugin=f"{name}.predict()")
