"""The batch form of NAS-Bench-101's hash partitions graphs exactly as the official hash_module does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.metrics import graph_hash
from archgen.metrics.graph_hash import exact_keys, hash_module, isomorphism_classes, refinement_profiles


def _same_partition(classes: np.ndarray, fingerprints: list[str]) -> bool:
    """Whether equal class numbers occur exactly where fingerprints are equal."""
    return len(set(zip(classes.tolist(), fingerprints))) == len(set(fingerprints)) == len(set(classes.tolist()))


def _batch_with_relabelled_copies(rng: np.random.Generator, graphs: int, size: int, density: float, labels: int):
    adjacency = (rng.random((graphs, size, size)) < density).astype(np.uint8)  # any directed graph, loops too
    vertex_labels = rng.integers(-2, labels, (graphs, size))
    perms = [rng.permutation(size) for _ in range(graphs)]
    relabelled = np.stack([a[np.ix_(p, p)] for a, p in zip(adjacency, perms)])
    relabelled_labels = np.stack([v[p] for v, p in zip(vertex_labels, perms)])
    return np.concatenate([adjacency, relabelled]), np.concatenate([vertex_labels, relabelled_labels])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 8), density=st.sampled_from([0.15, 0.3, 0.5]))
def test_classes_are_the_official_fingerprints_partition(seed: int, size: int, density: float) -> None:
    # google-research/nasbench nasbench/lib/graph_util.py hash_module, which arch2vec's generation scripts
    # (models/pretraining_nasbench201.py etc.) count unique decodes by: same class <=> same fingerprint.
    adjacency, labels = _batch_with_relabelled_copies(np.random.default_rng(seed), 40, size, density, labels=2)
    classes = isomorphism_classes(adjacency, labels)
    fingerprints = [hash_module(a.tolist(), v.tolist()) for a, v in zip(adjacency, labels)]
    assert _same_partition(classes, fingerprints)
    assert (classes[:40] == classes[40:]).all()  # every relabelled copy joins its original
    profiles = refinement_profiles(adjacency, labels)
    assert (profiles[:40] == profiles[40:]).all()


def test_official_graph_util_test_cases() -> None:
    # nasbench/tests/graph_util_test.py test_hash_module: the same pairs, equal or not, in one batch.
    m1 = [[0, 1, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    m2 = [[0, 1, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    m3 = [[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    l1, l2, l3 = [-1, 1, 2, 3, -2], [-1, 2, 3, 1, -2], [-1, 2, 1, 3, -2]
    classes = isomorphism_classes(np.array([m1, m2, m3, m1, m1]), np.array([l1, l2, l3, l2, l3]))
    assert classes[0] == classes[1] == classes[2]
    assert len({classes[0], classes[3], classes[4]}) == 3


def test_classes_agree_with_fingerprints_computed_apart() -> None:
    # Class numbers are batch-relative, but which graphs share one is not: split a batch and compare.
    adjacency, labels = _batch_with_relabelled_copies(np.random.default_rng(5), 30, 7, 0.3, labels=3)
    whole = isomorphism_classes(adjacency, labels)
    part = isomorphism_classes(adjacency[::2], labels[::2])
    assert _same_partition(part, [str(c) for c in whole[::2].tolist()])


def test_row_numbering_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    # With every multiplier 1 the row key is the row sum, so distinct rows collide all the time;
    # the full-row comparison must catch it and the result must not change.
    adjacency, labels = _batch_with_relabelled_copies(np.random.default_rng(11), 60, 6, 0.3, labels=3)
    expected = isomorphism_classes(adjacency, labels)
    monkeypatch.setattr(graph_hash, "_row_weights", lambda width: np.ones(width, dtype=np.uint64))
    collided = isomorphism_classes(adjacency, labels)
    assert _same_partition(collided, [str(c) for c in expected.tolist()])
    assert len(set(expected.tolist())) > 1


def test_exact_keys_see_every_entry() -> None:
    adjacency = np.zeros((3, 3, 3), dtype=np.uint8)
    adjacency[1, 0, 2] = 1
    labels = np.array([[0, 1, 2], [0, 1, 2], [0, 1, -1]])
    keys = exact_keys(adjacency, labels)
    assert len(set(k.tobytes() for k in keys)) == 3
    assert exact_keys(adjacency[:1], labels[:1])[0] == keys[0]


def test_empty_batch() -> None:
    assert isomorphism_classes(np.zeros((0, 4, 4)), np.zeros((0, 4), dtype=int)).shape == (0,)
