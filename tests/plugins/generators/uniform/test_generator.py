"""The ``uniform`` generator: the contract, its checkpoint, and the figures uniform sampling must give.

The expectations are computed exactly from the space, not fitted to output:
for ``n`` i.i.d. uniform draws over ``N`` members the number of distinct ones
has mean ``N (1 - q1)`` and variance ``N q1 + N (N - 1) q2 - N^2 q1^2`` with
``q1 = (1 - 1/N)^n``, ``q2 = (1 - 2/N)^n`` (occupancy of ``N`` urns); a
canonical class of ``s`` cells is seen with probability ``1 - (1 - s/N)^n``,
and two classes are both unseen with probability ``(1 - (s + t)/N)^n``.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

import archgen
from archgen.errors import CheckpointError, ConfigError
from archgen.generation import NoSamplingOptions
from archgen.metrics import GenerationReference, evaluate_samples, iid_uniqueness_ceiling, isomorphism_classes
from archgen.plugins.generators.uniform.generator import UniformGenerator
from archgen.testing import check_generator

DRAWS = 10_000


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def cells(nb201):
    return list(nb201.enumerate())


def test_generator_contract_kit(nb201) -> None:
    stats = check_generator(lambda: archgen.load("generator", "uniform"), nb201, nb201.sample(20, seed=0), n=32)
    assert stats == {"space": "nb201", "space_size": 15_625}


def test_declares_no_options_and_no_sampling_knobs(nb201) -> None:
    assert UniformGenerator.SamplingOptions is NoSamplingOptions
    with pytest.raises(ConfigError, match="temperature"):
        UniformGenerator().sample(nb201, 4, seed=0, temperature=2.0)
    with pytest.raises(ConfigError, match="epochs"):
        archgen.load("generator", "uniform", epochs=3)


def test_draws_are_the_spaces_own_sample(nb201) -> None:
    batch = UniformGenerator().sample(nb201, 50, seed=4)
    assert batch.architectures(nb201) == nb201.sample(50, seed=4)
    assert batch.well_formed.all() and batch.seed == 4 and batch.sampling == {}


def test_checkpoint_records_the_space_and_refuses_another(nb201, tmp_path) -> None:
    generator = UniformGenerator()
    generator.fit(nb201, [])
    (path,) = generator.save(tmp_path)
    assert json.loads(path.read_text()) == {"format": "archgen.uniform/1", "space": "nb201"}
    darts = archgen.load("space", "darts")
    with pytest.raises(CheckpointError, match="made for space 'nb201', not 'darts'"):
        UniformGenerator().load(tmp_path, darts)
    path.write_text('{"format": "archgen.arch_vq/1"}')
    with pytest.raises(CheckpointError, match="not an archgen.uniform/1 checkpoint"):
        UniformGenerator().load(tmp_path, nb201)
    with pytest.raises(ConfigError, match="fitted on space 'nb201'"):
        generator.sample(darts, 2)


def test_nb201_uniqueness_is_the_iid_ceiling(nb201, cells) -> None:
    n, size = DRAWS, len(cells)
    q1, q2 = (1 - 1 / size) ** n, (1 - 2 / size) ** n
    mean = size * (1 - q1)
    std = math.sqrt(size * q1 + size * (size - 1) * q2 - size**2 * q1**2)
    assert 100 * mean / n == pytest.approx(iid_uniqueness_ceiling(size, n)) and round(100 * mean / n, 2) == 73.86
    # Every NB201 cell is its own fingerprint class, so the paper protocol's uniqueness is the distinct share.
    adjacency, ops = nb201.to_arrays(cells)
    assert len(np.unique(isomorphism_classes(adjacency, ops))) == size

    batch = UniformGenerator().sample(nb201, n, seed=0)
    distinct = len(set(batch.architectures(nb201)))
    assert abs(distinct - mean) < 4 * std, f"{distinct} distinct of {n}; expected {mean:.1f} +- {std:.1f}"
    paper = evaluate_samples(nb201, batch, GenerationReference.build(nb201, cells[:1], cells[:1]))["paper"]
    assert paper["validity"] == 100.0
    assert paper["uniqueness"] == pytest.approx(100 * distinct / n)


def _coverage_expectation(class_sizes: np.ndarray, size: int, n: int) -> tuple[float, float]:
    """Mean and standard deviation (percent) of the share of these classes that ``n`` uniform draws hit."""
    share = class_sizes / size
    unseen = (1 - share) ** n
    both_unseen = np.clip(1 - share[:, None] - share[None, :], 0, None) ** n
    covariance = both_unseen - unseen[:, None] * unseen[None, :]
    np.fill_diagonal(covariance, unseen * (1 - unseen))
    return 100 * float((1 - unseen).mean()), 100 * math.sqrt(covariance.sum()) / len(class_sizes)


def test_nb201_heldout_coverage_matches_class_sizes(nb201, cells) -> None:
    # The run's split (archgen.pipeline.dataset.split): the enumeration permuted by default_rng(0), the
    # first round(10 %) held out.
    size = len(cells)
    order = np.random.default_rng(0).permutation(size)
    n_heldout = int(round(0.1 * size))
    heldout, train = [cells[i] for i in order[:n_heldout]], [cells[i] for i in order[n_heldout:]]
    keys = [nb201.canonical_key(c) for c in cells]
    class_size = Counter(keys)
    assert len(class_size) == 6_466  # NAS-Bench-201's isomorphism classes
    heldout_classes = {nb201.canonical_key(c) for c in heldout}
    heldout_only = heldout_classes - {nb201.canonical_key(c) for c in train}
    coverage = _coverage_expectation(np.array([class_size[k] for k in heldout_classes]), size, DRAWS)
    only = _coverage_expectation(np.array([class_size[k] for k in heldout_only]), size, DRAWS)
    assert (len(heldout_classes), len(heldout_only)) == (994, 514)
    assert round(coverage[0], 1) == 68.7 and round(only[0], 1) == 47.5

    strict = evaluate_samples(
        nb201, UniformGenerator().sample(nb201, DRAWS, seed=0), GenerationReference.build(nb201, train, heldout)
    )["strict"]
    assert abs(strict["heldout_coverage"] - coverage[0]) < 4 * coverage[1]
    assert abs(strict["heldout_only_coverage"] - only[0]) < 4 * only[1]
