"""Self-training: the fitted ensemble labels unlabelled architectures, and a new ensemble learns from both (issue 29).

With 156 labels, a predictor sees 156 of NAS-Bench-201's 6,466 networks; the rest of the space is
known but unlabelled. Self-training (SemiNAS, Luo et al. 2020; "noisy student" in vision) fits the
ensemble on the labels, has it predict a sample of the unlabelled architectures, and trains a fresh
ensemble on the labels plus those pseudo-labels, the latter down-weighted (``weight``) in both the
MSE and the ranking loss. The averaged teacher is smoother than any one member, and the students
learn that smoothness over the whole space instead of over the labelled cells alone.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.architecture import Architecture
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.unlabelled import unlabelled_architectures
from archgen.protocols import SearchSpace


class SelfTrainingOptions(BaseModel):
    """Pseudo-labelling rounds after the labelled fit (``rounds = 0``: none).

    Attributes:
        rounds: Times the ensemble labels a fresh sample and is replaced by students trained on it.
        pseudo_labels: Unlabelled architectures pseudo-labelled per round (fewer when the pool is smaller).
        weight: Loss weight of a pseudo-labelled architecture, a labelled one weighing 1 (in the
            ranking loss a pair weighs the product of its two weights).
        epochs: Passes of each student over labels and pseudo-labels together (``None``: the
            predictor's ``epochs``).
        max_archs: The pool: the space listed whole when it has at most this many members, else
            this many sampled.
        seed: Seed of the pool's sample and of each round's draw from it.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    rounds: int = Field(0, ge=0, le=100)
    pseudo_labels: int = Field(1000, ge=1, le=10_000_000)
    weight: float = Field(0.5, gt=0.0, le=1000.0)
    epochs: int | None = Field(None, ge=1, le=100_000)
    max_archs: int = Field(100_000, ge=2, le=10_000_000)
    seed: int = Field(0, ge=0)


def pseudo_label_draws(
    space: SearchSpace,
    labelled: list[Architecture],
    options: SelfTrainingOptions,
    forms: CanonicalForms | None,
) -> list[list[Architecture]]:
    """One draw of unlabelled architectures per round, none of them written as a labelled one is.

    Args:
        space: The space.
        labelled: The fitted architectures as the predictor sees them (after ``forms``).
        options: The self-training options.
        forms: The predictor's canonical forms, if it uses them.

    Returns:
        ``rounds`` lists of up to ``pseudo_labels`` distinct architectures each.
    """
    if options.rounds == 0:
        return []
    seen = {space.to_string(arch) for arch in labelled}
    pool = [arch for arch in unlabelled_architectures(space, options.max_archs, options.seed, forms) if space.to_string(arch) not in seen]
    rng = np.random.default_rng(options.seed)
    size = min(options.pseudo_labels, len(pool))
    return [[pool[i] for i in rng.choice(len(pool), size=size, replace=False)] for _ in range(options.rounds)]


__all__ = ["SelfTrainingOptions", "pseudo_label_draws"]
