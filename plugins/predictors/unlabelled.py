"""The space's architectures without labels, as a predictor sees them: pre-training and pseudo-labels draw on them.

Every member of a benchmark space is known before a single one is trained: NAS-Bench-201's 15,625
cells cost nothing to list, only their accuracies do. Both ways of using that here -- pre-training
the encoder (:mod:`~archgen.plugins.predictors.pretraining`) and labelling the space with the
ensemble's own predictions (:mod:`~archgen.plugins.predictors.self_training`) -- take their
architectures from :func:`unlabelled_architectures`.
"""

from __future__ import annotations

from archgen.architecture import Architecture
from archgen.plugins.predictors.canonical_forms import CanonicalForms, finite_size
from archgen.protocols import SearchSpace


def unlabelled_architectures(space: SearchSpace, max_archs: int, seed: int, forms: CanonicalForms | None) -> list[Architecture]:
    """The space listed whole when it has at most ``max_archs`` members, else ``max_archs`` sampled.

    Args:
        space: The space.
        max_archs: The largest space listed whole, and the sample's size otherwise.
        seed: Seed of the sample.
        forms: The predictor's canonical forms (its ``canonical_inputs``), if it uses them: each
            class's representative then appears once, as the predictor will see it.
    """
    size = finite_size(space)
    if size is not None and size <= max_archs:
        archs = list(space.enumerate())
    else:
        archs = list(space.sample(max_archs, seed=seed))
    if forms is None:
        return archs
    distinct: dict[str, Architecture] = {}
    for arch in forms(archs):
        distinct.setdefault(space.to_string(arch), arch)
    return list(distinct.values())


__all__ = ["unlabelled_architectures"]
