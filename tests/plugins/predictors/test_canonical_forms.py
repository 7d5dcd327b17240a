"""One written form per network: CanonicalForms and the regressors' ``canonical_inputs`` option."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archgen
from archgen.architecture import Architecture
from archgen.plugins.predictors.canonical_forms import CanonicalForms
from archgen.plugins.predictors.gin import GINPredictor
from archgen.plugins.predictors.lstm import LSTMPredictor

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


@pytest.fixture(scope="module")
def nb201():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def nb201_forms(nb201):
    return CanonicalForms(nb201)


def nb201_cell(nb201, edge_ops):
    return nb201.from_string("|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*edge_ops))


def test_nb201_is_listed_into_the_releases_6466_classes(nb201_forms, nb201):
    # NAS-Bench-201 (Dong & Yang, ICLR 2020) and NATS-Bench: 15,625 cells, 6,466 unique networks
    # (`get_unique_str`), which is the class count the key gives.
    assert nb201_forms.method == "enumerated"
    assert nb201_forms.classes == 6466
    representatives = {nb201.to_string(arch) for arch in nb201_forms(list(nb201.enumerate()))}
    assert len(representatives) == 6466


def test_a_dead_edge_is_written_one_way(nb201_forms, nb201):
    # With 2 -> 3 set to 'none', node 2 never reaches the output: the ops of 0 -> 2 and 1 -> 2 are free.
    alive = ["nor_conv_3x3", "nor_conv_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_3x3", "none"]
    other = list(alive)
    other[1], other[2] = "avg_pool_3x3", "avg_pool_3x3"  # edges 0 -> 2 and 1 -> 2
    first, second = nb201_forms([nb201_cell(nb201, alive), nb201_cell(nb201, other)])
    assert first == second
    # The representative is the smallest string of the class: 'avg_pool_3x3' < 'none' < 'nor_conv_*'.
    assert nb201.to_string(first) == "|nor_conv_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"


@settings(max_examples=60, deadline=None)
@given(edge_ops=st.lists(st.sampled_from(NB201_OPS), min_size=6, max_size=6), seed=st.integers(0, 2**16))
def test_equivalent_forms_share_a_representative_of_their_class(nb201_forms, nb201, edge_ops, seed):
    arch = nb201_cell(nb201, edge_ops)
    forms = nb201.equivalent_forms(arch, random.Random(seed))
    mapped = nb201_forms([arch, *forms])
    assert all(rep == mapped[0] for rep in mapped)
    assert nb201.canonical_key(mapped[0]) == nb201.canonical_key(arch)
    assert nb201_forms(mapped[:1]) == mapped[:1]  # a representative is its own


def test_an_invalid_architecture_passes_as_written(nb201_forms, nb201):
    broken = Architecture("nb201", nb201.sample(1, seed=0)[0].adjacency, ("input",) + ("none",) * 6 + ("input",))
    assert nb201_forms([broken]) == [broken]


def test_a_space_too_large_to_list_prunes_or_keeps_the_architecture():
    nb101 = archgen.load("space", "nb101")
    forms = CanonicalForms(nb101)
    assert forms.method == "pruned"
    archs = nb101.sample(20, seed=3)
    assert forms(archs) == [nb101.prune(arch) for arch in archs]
    darts = archgen.load("space", "darts_cell")
    assert CanonicalForms(darts).method == "identity"
    sampled = darts.sample(5, seed=0)
    assert CanonicalForms(darts)(sampled) == sampled
    # A limit below the space's size turns listing off.
    assert CanonicalForms(archgen.load("space", "nb201"), enumerate_limit=100).method == "identity"


@pytest.mark.parametrize("cls", [GINPredictor, LSTMPredictor])
def test_canonical_inputs_give_equal_networks_one_prediction(nb201, cls):
    archs = nb201.sample(40, seed=2)
    targets = np.array([arch.ops.count("nor_conv_3x3") for arch in archs], dtype=float)
    # A pair of cells written apart (the dead 0 -> 2 / 1 -> 2 ops of a cell with 2 -> 3 = 'none').
    pair = [
        nb201_cell(nb201, ["nor_conv_3x3", "nor_conv_1x1", "nor_conv_1x1", "skip_connect", "nor_conv_3x3", "none"]),
        nb201_cell(nb201, ["nor_conv_3x3", "avg_pool_3x3", "none", "skip_connect", "nor_conv_3x3", "none"]),
    ]
    predictions = {}
    for canonical in (False, True):
        predictor = cls(cls.Options(**cls.TEST_OPTIONS, canonical_inputs=canonical))
        stats = predictor.fit(nb201, archs, targets, seed=0)
        assert stats["canonical_inputs"] == ("enumerated" if canonical else "off")
        predictions[canonical] = predictor.predict(nb201, pair)
    assert predictions[True][0] == predictions[True][1]
    assert predictions[False][0] != predictions[False][1]  # as written, the model tells them apart


def test_the_searchers_default_surrogate_is_the_canonical_ranking_gin():
    """guided and generate_sort fit the predictor of examples/predict/nb201.toml by default, less its ensemble,
    its pre-training and its width (the 128-wide encoder searched worse: docs/results/search.md)."""
    from archgen.config import load_config
    from archgen.plugins.searchers.generate_sort import GenerateSortOptions
    from archgen.plugins.searchers.guided import GuidedOptions

    example = load_config("examples/predict/nb201.toml").predictor
    for options in (GuidedOptions(), GenerateSortOptions()):
        assert options.predictor.name == example.name == "gin"
        assert options.predictor.options == {
            key: value for key, value in example.options.items()
            if key not in ("ensemble", "pretrain", "hidden_dims", "embedding_dim", "head_hidden")
        }
    # Each searcher gets its own copy: editing one default leaves the next untouched.
    GuidedOptions().predictor.options["epochs"] = 1
    assert GuidedOptions().predictor.options["epochs"] == 100


def test_a_space_is_listed_once_however_many_fits_ask(monkeypatch):
    # guided refits its surrogate every round: the listing is kept per space object, not redone.
    space = archgen.load("space", "nb201")
    first = CanonicalForms(space)
    monkeypatch.setattr(space, "enumerate", lambda: pytest.fail("the space was listed again"))
    again = CanonicalForms(space)
    assert again.classes == first.classes == 6466
    assert CanonicalForms(archgen.load("space", "nb201")).classes == 6466  # a new space object is listed anew
