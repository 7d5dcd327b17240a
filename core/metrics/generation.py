"""Validity, uniqueness and novelty of generated architectures, two ways.

*paper* protocol -- as the arch2vec / Arch-VQ evaluation code counts:
validity is the space's ops check (``paper_valid``; the adjacency is not
examined), uniqueness and novelty compare a hash of the decoded
``(adjacency, ops)`` tensors; uniqueness is over valid samples, novelty is
against the training split. The published NB201 figures are comparable
only under this protocol.

*strict* protocol: valid means ``space.is_valid``; unique and novel are
counted by ``space.canonical_key``. It also reports *held-out coverage*: the
share of the held-out split's canonical classes that appear among the valid
samples -- in a finite space a valid novel cell can only be a held-out one,
so this, not raw novelty, says whether the prior generalises.

All figures are percentages. Absolute uniqueness / novelty are
``validity * uniqueness / 100`` and ``validity * novelty / 100`` (arch-vq.md 4.2).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from archgen.architecture import Architecture
from archgen.generation import SampleBatch
from archgen.protocols import SearchSpace


def iid_uniqueness_ceiling(space_size: int, num_samples: int) -> float:
    """The highest expected absolute uniqueness (%) of ``num_samples`` i.i.d. draws from the space.

    The expected number of distinct items among ``n`` i.i.d. draws over ``N``
    items is largest for the uniform distribution: ``N (1 - (1 - 1/N)^n)``. Any
    generator whose valid samples are members of the space stays below it, so
    a paper-protocol figure above it counts decodes that are not members.

    Args:
        space_size: Number of distinct members (``space.size()``).
        num_samples: Samples drawn.
    """
    if space_size <= 0 or num_samples <= 0:
        return 0.0
    expected_distinct = -space_size * math.expm1(num_samples * math.log1p(-1.0 / space_size)) if space_size > 1 else 1.0
    return 100.0 * expected_distinct / num_samples


def tensor_hashes(adjacency: np.ndarray, op_indices: np.ndarray) -> np.ndarray:
    """One hashable bytes row per graph of ``(adjacency [B,N,N], ops [B,N])``, as a void array."""
    rows = np.concatenate(
        [adjacency.reshape(len(adjacency), -1).astype(np.int64), op_indices.reshape(len(op_indices), -1).astype(np.int64)], 1
    )
    rows = np.ascontiguousarray(rows)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


@dataclass(frozen=True)
class GenerationReference:
    """What samples are compared with: the training and held-out splits.

    Attributes:
        train_hashes: Tensor-form hashes of the training split (paper protocol).
        train_classes: Canonical keys of the training split (strict protocol).
        heldout_classes: Canonical keys of the held-out split.
    """

    train_hashes: frozenset[bytes]
    train_classes: frozenset[Hashable]
    heldout_classes: frozenset[Hashable]

    @classmethod
    def build(cls, space: SearchSpace, train: Sequence[Architecture], heldout: Sequence[Architecture]) -> GenerationReference:
        adjacency, ops = space.to_tensors(train)
        hashes = tensor_hashes(adjacency.numpy().astype(np.uint8), ops.argmax(-1).numpy())
        return cls(
            frozenset(h.tobytes() for h in hashes),
            frozenset(space.canonical_key(a) for a in train),
            frozenset(space.canonical_key(a) for a in heldout),
        )


def _rates(valid: int, unique: int, novel: int, total: int) -> dict[str, float]:
    validity = 100.0 * valid / total if total else 0.0
    uniqueness = 100.0 * unique / valid if valid else 0.0
    novelty = 100.0 * novel / valid if valid else 0.0
    return {
        "validity": validity,
        "uniqueness": uniqueness,
        "absolute_uniqueness": validity * uniqueness / 100.0,
        "novelty": novelty,
        "absolute_novelty": validity * novelty / 100.0,
    }


def paper_protocol(
    space: SearchSpace, batch: SampleBatch, archs: Sequence[Architecture | None], reference: GenerationReference
) -> dict[str, float]:
    """Figures as the arch2vec / Arch-VQ code counts them (see module docstring).

    Also reports ``off_topology_share_of_novel``: the percentage of the
    paper-novel samples that the strict check rejects (their decoded graph is
    not a member of the space), since the paper's novelty counts those.
    """
    # A space without its own paper check is held to the strict one.
    paper_valid = getattr(space, "paper_valid", None) or space.is_valid
    valid_rows = np.array([i for i, a in enumerate(archs) if a is not None and paper_valid(a)], dtype=np.int64)
    total = len(batch)
    if len(valid_rows) == 0:
        return {**_rates(0, 0, 0, total), "off_topology_share_of_novel": 0.0}
    hashes = tensor_hashes(batch.adjacency[valid_rows], batch.op_indices[valid_rows])
    unique = len(np.unique(hashes))
    novel_mask = np.array([h.tobytes() not in reference.train_hashes for h in hashes])
    off_topology = sum(not space.is_valid(archs[row]) for row in valid_rows[novel_mask])
    novel = int(novel_mask.sum())
    return {
        **_rates(len(valid_rows), unique, novel, total),
        "off_topology_share_of_novel": 100.0 * off_topology / novel if novel else 0.0,
    }


def strict_protocol(
    space: SearchSpace, archs: Sequence[Architecture | None], reference: GenerationReference
) -> dict[str, float]:
    """Figures with ``is_valid`` and ``canonical_key`` (see module docstring)."""
    keys: dict[Architecture, Hashable | None] = {}
    for arch in archs:
        if arch is not None and arch not in keys:
            keys[arch] = space.canonical_key(arch) if space.is_valid(arch) else None
    classes = [keys[a] for a in archs if a is not None and keys[a] is not None]
    seen = set(classes)
    novel = sum(c not in reference.train_classes for c in classes)
    heldout_only = reference.heldout_classes - reference.train_classes
    return {
        **_rates(len(classes), len(seen), novel, len(archs)),
        "heldout_coverage": 100.0 * len(seen & reference.heldout_classes) / max(len(reference.heldout_classes), 1),
        "heldout_only_coverage": 100.0 * len(seen & heldout_only) / len(heldout_only) if heldout_only else float("nan"),
    }


def evaluate_samples(
    space: SearchSpace, batch: SampleBatch, reference: GenerationReference
) -> dict[str, dict[str, float]]:
    """Both protocols for one sample batch, plus the well-formed share."""
    archs = batch.architectures(space)
    return {
        "paper": paper_protocol(space, batch, archs, reference),
        "strict": strict_protocol(space, archs, reference),
        "well_formed": 100.0 * float(batch.well_formed.mean()) if len(batch) else 0.0,
    }

