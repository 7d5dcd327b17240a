"""Best-of-candidates sampling: any generator's draws, the best by a predictor toward a target.

Generator-agnostic (it needs only ``generator.sample``, the space and a fitted predictor), so the
``pnag`` generator's ``guidance`` sampling option and the ``pnag_guided`` searcher select the same
way from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from archgen.architecture import Architecture
from archgen.generation import SampleBatch
from archgen.plugin_outputs import check_predictions, check_sample_batch, handed_over

if TYPE_CHECKING:
    from archgen.protocols import Predictor, SearchSpace

Target = Literal["maximize", "minimize"] | float


def preference(scores: np.ndarray, target: Target) -> np.ndarray:
    """How good each score is for ``target`` (higher is better; NaN scores are worst).

    Args:
        scores: Predictions.
        target: ``"maximize"``, ``"minimize"`` or a value to approach.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if target == "maximize":
        value = scores.copy()
    elif target == "minimize":
        value = -scores
    else:
        value = -np.abs(scores - float(target))
    return np.where(np.isnan(value), -np.inf, value)


def member_scores(space: SearchSpace, predictor: Predictor, archs: list[Architecture | None]) -> np.ndarray:
    """The predictor's value of each architecture that is a member of the space; NaN for the rest.

    Args:
        space: The space.
        predictor: A fitted predictor of the space.
        archs: Decoded draws (``None`` where malformed).
    """
    members = [i for i, arch in enumerate(archs) if arch is not None and space.is_valid(arch)]
    scores = np.full(len(archs), np.nan)
    if members:
        predictions = predictor.predict(space, [archs[i] for i in members])
        scores[members] = check_predictions(predictions, len(members), plugin=handed_over("predictor", predictor))
    return scores


@dataclass(frozen=True)
class CandidateDraw:
    """``n * candidates`` draws and the one chosen per group.

    Attributes:
        drawn: Every draw; draw ``i * candidates + j`` is candidate ``j`` of sample ``i``.
        architectures: The draws as architectures (``None`` where malformed).
        scores: ``[n * candidates]`` predictions (NaN where the draw is not a member of the space).
        chosen: ``[n]`` the index of each group's chosen draw.
    """

    drawn: SampleBatch
    architectures: list[Architecture | None]
    scores: np.ndarray
    chosen: np.ndarray


def best_of_candidates(
    generator: Any, space: SearchSpace, predictor: Predictor, n: int, candidates: int, *, seed: int,
    target: Target = "maximize", sampling: dict[str, Any] | None = None,
) -> CandidateDraw:
    """One ``generator.sample`` of ``n * candidates`` draws; per group the member best by ``predictor`` for ``target``.

    A draw that is not a member of the space is chosen only when none of its group is; ties keep
    the first draw, so the choice is deterministic by seed.

    Args:
        generator: Anything whose ``sample(space, n, seed=..., **sampling)`` returns a SampleBatch.
        space: The space.
        predictor: A fitted predictor of the space.
        n: Groups (samples wanted).
        candidates: Draws per group (>= 1).
        seed: Seed of the draws.
        target: ``"maximize"``, ``"minimize"`` or a number.
        sampling: The generator's sampling options.
    """
    drawn = check_sample_batch(
        generator.sample(space, n * candidates, seed=seed, **(sampling or {})), space, n=n * candidates, seed=seed,
        plugin=handed_over("generator", generator),
    )
    archs = drawn.architectures(space)
    scores = member_scores(space, predictor, archs)
    # argmax keeps the first of equal values; a group with no member falls back to its first draw.
    chosen = np.arange(n) * candidates + preference(scores, target).reshape(n, candidates).argmax(1)
    return CandidateDraw(drawn, archs, scores, chosen)
