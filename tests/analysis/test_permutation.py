"""The permutation test (arch-vq.md 5.4.1, Table 6): identity, what a permutation can decode to, the command."""

from __future__ import annotations

import json

import numpy as np
import pytest

import archgen
from archgen.analysis.permutation import permutation_test, random_permutations
from archgen.cli.main import main


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def model(nb201):
    generator = archgen.load("generator", "arch_vq", **archgen.registry.plugin_class("generator", "arch_vq").TEST_OPTIONS)
    generator.fit(nb201, nb201.sample(200, seed=0), seed=0)
    return generator


def _sampled(model, space, n=60):
    batch = model.sample(space, n, seed=3)
    rows = np.flatnonzero(batch.well_formed)
    codes = np.asarray([batch.tokens[i] for i in rows])
    return codes, batch.adjacency[rows], batch.op_indices[rows]


def test_random_permutations_are_permutations_and_never_the_identity():
    orders = random_permutations(200, 50, 3, np.random.default_rng(0))
    assert orders.shape == (200, 50, 3)
    assert (np.sort(orders, -1) == np.arange(3)).all()
    assert not (orders == np.arange(3)).all(-1).any()
    # All five non-identity permutations of 3 positions occur.
    assert len({tuple(o) for o in orders.reshape(-1, 3).tolist()}) == 5


def test_the_identity_permutation_always_decodes_to_the_original(model, nb201):
    codes, adjacency, ops = _sampled(model, nb201)
    outcome = permutation_test(model, nb201, codes, (adjacency, ops), 3, np.random.default_rng(0))
    assert outcome.identity_matches.all() and len(outcome.identity_matches) == len(codes)


def test_a_permuted_decode_is_the_original_exactly_when_the_permutation_is_a_labelled_automorphism(model, nb201):
    # Arch-VQ's decoder is per node (ops) and per pair (sigma(z_i . z_j)), so decoding codes[perm]
    # relabels the decoded undirected graph by perm: it equals the original iff perm maps the
    # op-labelled undirected graph onto itself.
    codes, adjacency, ops = _sampled(model, nb201)
    outcome = permutation_test(model, nb201, codes, (adjacency, ops), 20, np.random.default_rng(1))
    for s in range(len(codes)):
        undirected = adjacency[s] | adjacency[s].T
        for p, perm in enumerate(outcome.permutations[s]):
            automorphism = (undirected[np.ix_(perm, perm)] == undirected).all() and (ops[s][perm] == ops[s]).all()
            assert outcome.exact[s, p] == automorphism
    assert (outcome.exact <= outcome.canonical | ~outcome.original_valid[:, None]).all()


def test_swapping_equal_codes_is_counted_as_an_unchanged_sequence(model, nb201):
    codes = np.tile(np.array([[5, 5, 5, 5, 5, 5, 5, 5]]), (4, 1))
    adjacency, ops = model.decode_codes(codes)
    outcome = permutation_test(model, nb201, codes, (adjacency, ops), 10, np.random.default_rng(0))
    assert outcome.same_sequence.all() and outcome.exact.all()


def test_archgen_analyze_permutation_writes_table_6(run_copy, capsys):
    assert main(["analyze", str(run_copy), "permutation", "--n", "40", "--option", "permutations=5"]) == 0
    result = json.loads((run_copy / "analysis" / "permutation.json").read_text())
    assert result["sequences"] == 40 and result["permutations_per_sequence"] == 5
    assert result["identity_decodes_to_original"] == 40
    assert result["options"] == {"n": 40, "permutations": 5, "seed": None, "sample_seed": 0}
    table = (run_copy / "analysis" / "permutation.md").read_text()
    assert "| Original ordering | 40 (100.0 %) | 0 (0.0 %) |" in table


def test_bad_analysis_names_and_options_are_refused_with_the_choices(run_copy, capsys):
    assert main(["analyze", str(run_copy), "permutaton"]) == 2
    assert "unknown analysis 'permutaton'; choose one of ['permutation', 'codes'" in capsys.readouterr().err
    assert main(["analyze", str(run_copy), "permutation", "--option", "permutation=5"]) == 2
    err = capsys.readouterr().err
    assert "permutation" in err and "accepted: ['n', 'permutations', 'sample_seed', 'seed']" in err
    assert main(["analyze", str(run_copy), "permutation", "--sampling", "temprature=2"]) == 2
    assert "temprature" in capsys.readouterr().err
    assert not (run_copy / "analysis").exists()
