"""Which samples are novel: the per-sample form of the metrics' novelty, under either protocol.

:mod:`archgen.metrics.generation` counts novel samples; the analyses need to know *which* ones
(their codes, their nearest training graph). The rules are the metrics' own: *paper* -- valid by the
space's paper rule and no training graph shares the sample's NAS-Bench-101 isomorphism fingerprint;
*strict* -- a member of the space whose canonical key no training architecture has.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from archgen.generation import SampleBatch
from archgen.metrics import GenerationReference, isomorphism_classes
from archgen.metrics.graph_hash import exact_keys, refinement_profiles
from archgen.protocols import ChecksPaperValidity, SearchSpace

Protocol = Literal["paper", "strict"]


def novel_rows(space: SearchSpace, batch: SampleBatch, reference: GenerationReference, protocol: Protocol) -> np.ndarray:
    """``[n]`` bool: the samples that are valid and novel under ``protocol`` (malformed draws are not).

    Args:
        space: The space sampled.
        batch: The samples.
        reference: The run's split.
        protocol: ``"paper"`` or ``"strict"`` (see the module docstring).
    """
    novel = np.zeros(len(batch), dtype=bool)
    rows = np.flatnonzero(batch.well_formed)
    if not len(rows):
        return novel
    adjacency = np.triu(batch.adjacency[rows] != 0, k=1).astype(np.uint8)
    labels = np.asarray(batch.op_indices[rows], dtype=np.int64)
    _, first, inverse = np.unique(exact_keys(adjacency, labels), return_index=True, return_inverse=True)
    adjacency, labels = adjacency[first], labels[first]
    archs = SampleBatch(adjacency, labels, np.ones(len(first), dtype=bool)).architectures(space)
    if protocol == "strict":
        distinct_novel = np.array(
            [space.is_valid(a) and space.canonical_key(a) not in reference.train_classes for a in archs], dtype=bool
        )
    else:
        paper_valid = space.paper_valid if isinstance(space, ChecksPaperValidity) else space.is_valid
        valid = np.array([paper_valid(a) for a in archs], dtype=bool)
        distinct_novel = np.zeros(len(archs), dtype=bool)
        if valid.any():
            candidates = np.isin(reference.train_profiles, refinement_profiles(adjacency[valid], labels[valid]))
            classes = isomorphism_classes(
                np.concatenate([reference.train_adjacency[candidates], adjacency[valid]]),
                np.concatenate([reference.train_labels[candidates], labels[valid]]),
            )
            split = int(candidates.sum())
            distinct_novel[valid] = ~np.isin(classes[split:], classes[:split])
    novel[rows] = distinct_novel[np.asarray(inverse).reshape(-1)]
    return novel
