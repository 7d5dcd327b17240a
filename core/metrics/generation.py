"""Validity, uniqueness and novelty of generated architectures, two ways.

*paper* protocol -- arch2vec's counting (github MSU-MLSys-Lab/arch2vec,
``models/pretraining_nasbench{101,201}.py``, ``models/pretraining_darts.py``),
with Arch-VQ's novelty:

* validity is the space's own paper rule, ``space.paper_valid(arch)`` (NB201:
  arch2vec's ``is_valid_nasbench201``, an ops check that skips position 1 and
  ignores the adjacency; NB101: the official ``nasbench.is_valid`` of the 7-row
  decode; DARTS: arch2vec's ``is_valid_darts``, which reads the adjacency;
  MBV3: the generic ops check :class:`archgen.space_base.GraphSpaceBase` applies
  to a space that sets ``paper_ops_check = True``; any other space, or one
  without ``paper_valid``, is held to ``is_valid``);
* uniqueness is the number of distinct ``graph_util.hash_module`` fingerprints
  of the decoded ``(adjacency, ops)`` -- NAS-Bench-101's isomorphism-invariant
  hash, :mod:`archgen.metrics.graph_hash` -- among the valid samples, over the
  number of valid samples;
* novelty (Arch-VQ after D-VAE: the share of valid samples not in the training
  set) is the share of valid samples whose fingerprint no training
  architecture has.

The graph hashed is the decode as it stands (padded to ``max_nodes``, not
pruned), labelled with its op indices; ``-1`` (an all-zero padding row) is a
label of its own. Labels are one-to-one with the one-hot rows arch2vec hashes,
so the fingerprints fall into the same classes. The published figures are
comparable only under this protocol.

*strict* protocol: valid means ``space.is_valid``; unique and novel are
counted by ``space.canonical_key``. It also reports *held-out coverage*: the
share of the held-out split's canonical classes that appear among the valid
samples -- in a finite space a valid novel cell can only be a held-out one,
so this, not raw novelty, says whether the prior generalises.

All figures are percentages. Absolute uniqueness / novelty are
``validity * uniqueness / 100`` and ``validity * novelty / 100`` (arch-vq.md 4.2).
docs/metrics.md says where each space's rule comes from.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from archgen.architecture import Architecture
from archgen.generation import SampleBatch
from archgen.metrics.graph_hash import exact_keys, isomorphism_classes, refinement_profiles
from archgen.protocols import ChecksPaperValidity, SearchSpace


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


@dataclass(frozen=True, eq=False)
class GenerationReference:
    """What samples are compared with: the training and held-out splits.

    Attributes:
        train_adjacency: ``[T, N, N]`` uint8: the distinct training graphs in the
            space's padded array form (paper protocol).
        train_labels: ``[T, N]`` int64 op indices of those graphs (``-1``: zero padding).
        train_profiles: :func:`~archgen.metrics.graph_hash.refinement_profiles`
            of those graphs, to pick the few a sample could share a fingerprint with.
        train_classes: Canonical keys of the training split (strict protocol).
        heldout_classes: Canonical keys of the held-out split.
    """

    train_adjacency: np.ndarray
    train_labels: np.ndarray
    train_profiles: np.ndarray
    train_classes: frozenset[Hashable]
    heldout_classes: frozenset[Hashable]

    @classmethod
    def build(cls, space: SearchSpace, train: Sequence[Architecture], heldout: Sequence[Architecture]) -> GenerationReference:
        """The reference of a run's split.

        Args:
            space: The space of the run.
            train: The training split.
            heldout: The held-out split.
        """
        graphs = SampleBatch.from_architectures(space, list(train))
        adjacency, labels = _graphs(graphs.adjacency, graphs.op_indices)
        _, first = np.unique(exact_keys(adjacency, labels), return_index=True)
        adjacency, labels = adjacency[first], labels[first]
        return cls(
            adjacency,
            labels,
            refinement_profiles(adjacency, labels),
            frozenset(space.canonical_key(a) for a in train),
            frozenset(space.canonical_key(a) for a in heldout),
        )


def _graphs(adjacency: np.ndarray, op_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The graphs as arch2vec hashes a decode: the strict upper triangle (``triu(1)``), op indices as labels."""
    return np.triu(np.asarray(adjacency) != 0, k=1).astype(np.uint8), np.asarray(op_indices, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class DistinctSamples:
    """A sample batch's well-formed graphs, each distinct one once, with how often it was drawn.

    Both protocols judge, decode and hash each distinct graph once and count
    it with its multiplicity.

    Attributes:
        adjacency: ``[D, N, N]`` uint8 strict upper triangles of the distinct graphs.
        labels: ``[D, N]`` int64 op indices (``-1``: zero padding).
        archs: The ``D`` decoded architectures (``SampleBatch.architectures``).
        counts: ``[D]`` how many samples drew each.
        total: Size of the batch, malformed draws included.
        space: The space the graphs were decoded in.
    """

    adjacency: np.ndarray
    labels: np.ndarray
    archs: list[Architecture]
    counts: np.ndarray
    total: int
    space: SearchSpace

    @classmethod
    def of(cls, space: SearchSpace, batch: SampleBatch) -> DistinctSamples:
        """Deduplicates ``batch`` by exact (upper-triangle adjacency, op indices) and decodes each once."""
        rows = np.flatnonzero(batch.well_formed)
        adjacency, labels = _graphs(batch.adjacency[rows], batch.op_indices[rows])
        _, first, counts = np.unique(exact_keys(adjacency, labels), return_index=True, return_counts=True)
        adjacency, labels = adjacency[first], labels[first]
        archs = SampleBatch(adjacency, labels, np.ones(len(first), dtype=bool)).architectures(space)
        return cls(adjacency, labels, archs, counts.astype(np.int64), len(batch), space)

    @cached_property
    def members(self) -> np.ndarray:
        """``[D]`` whether each distinct graph is a member of the space (``is_valid``), judged once for both protocols."""
        return np.fromiter((self.space.is_valid(arch) for arch in self.archs), dtype=bool, count=len(self.archs))


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


def paper_protocol(space: SearchSpace, samples: DistinctSamples, reference: GenerationReference) -> dict[str, float]:
    """Figures as arch2vec counts them, novelty as Arch-VQ defines it (see module docstring).

    Also reports ``off_topology_share_of_novel``: the percentage of the
    paper-novel samples that the strict check rejects (their decoded graph is
    not a member of the space), since the paper's novelty counts those.

    Args:
        space: The space sampled.
        samples: The batch's distinct graphs (:meth:`DistinctSamples.of`).
        reference: The run's split.

    Returns:
        ``validity``, ``uniqueness``, ``absolute_uniqueness``, ``novelty``,
        ``absolute_novelty`` and ``off_topology_share_of_novel``, in percent.
    """
    # A space without its own paper rule is held to the strict one.
    paper_valid = space.paper_valid if isinstance(space, ChecksPaperValidity) else space.is_valid
    valid = np.fromiter((paper_valid(arch) for arch in samples.archs), dtype=bool, count=len(samples.archs))
    counts = samples.counts[valid]
    valid_samples = int(counts.sum())
    if valid_samples == 0:
        return {**_rates(0, 0, 0, samples.total), "off_topology_share_of_novel": 0.0}
    adjacency, labels = samples.adjacency[valid], samples.labels[valid]
    # Only training graphs with a sample's profile can share its fingerprint.
    candidates = np.isin(reference.train_profiles, refinement_profiles(adjacency, labels))
    classes = isomorphism_classes(
        np.concatenate([reference.train_adjacency[candidates], adjacency]),
        np.concatenate([reference.train_labels[candidates], labels]),
    )
    split = int(candidates.sum())
    train_classes, sample_classes = classes[:split], classes[split:]
    novel = ~np.isin(sample_classes, train_classes)
    novel_samples = int(counts[novel].sum())
    off_topology = int(counts[novel & ~samples.members[valid]].sum())
    return {
        **_rates(valid_samples, len(np.unique(sample_classes)), novel_samples, samples.total),
        "off_topology_share_of_novel": 100.0 * off_topology / novel_samples if novel_samples else 0.0,
    }


def strict_protocol(space: SearchSpace, samples: DistinctSamples, reference: GenerationReference) -> dict[str, float]:
    """Figures with ``is_valid`` and ``canonical_key`` (see module docstring).

    Args:
        space: The space sampled.
        samples: The batch's distinct graphs (:meth:`DistinctSamples.of`).
        reference: The run's split.

    Returns:
        ``validity``, ``uniqueness``, ``absolute_uniqueness``, ``novelty``,
        ``absolute_novelty``, ``heldout_coverage`` and ``heldout_only_coverage``, in percent.
    """
    valid_samples = novel = 0
    seen: set[Hashable] = set()
    for arch, count, member in zip(samples.archs, samples.counts.tolist(), samples.members):
        if not member:
            continue
        key = space.canonical_key(arch)
        valid_samples += count
        seen.add(key)
        novel += count if key not in reference.train_classes else 0
    heldout_only = reference.heldout_classes - reference.train_classes
    return {
        **_rates(valid_samples, len(seen), novel, samples.total),
        "heldout_coverage": 100.0 * len(seen & reference.heldout_classes) / max(len(reference.heldout_classes), 1),
        "heldout_only_coverage": 100.0 * len(seen & heldout_only) / len(heldout_only) if heldout_only else float("nan"),
    }


def evaluate_samples(
    space: SearchSpace, batch: SampleBatch, reference: GenerationReference
) -> dict[str, dict[str, float] | float]:
    """Both protocols for one sample batch, plus the well-formed share.

    Args:
        space: The space sampled.
        batch: The samples (decoded graphs; malformed draws count against validity).
        reference: The run's split.

    Returns:
        ``{"paper": {...}, "strict": {...}, "well_formed": percent}``.
    """
    samples = DistinctSamples.of(space, batch)
    return {
        "paper": paper_protocol(space, samples, reference),
        "strict": strict_protocol(space, samples, reference),
        "well_formed": 100.0 * float(batch.well_formed.mean()) if len(batch) else 0.0,
    }
