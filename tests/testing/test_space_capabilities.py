"""Optional space members are capability protocols, each checked by ``check_search_space`` where a space has it (issue 25, item 4)."""

import pytest

import archgen
from archgen.architecture import Architecture
from archgen.protocols import SPACE_CAPABILITIES, Mutates, OffersOracles, PublishesResults
from archgen.published import PublishedResults, PublishedSearchResult
from archgen.spaces.nb201.space import NB201Space
from archgen.testing import check_search_space
from archgen.testing.space_capabilities import CHECKS, check_capabilities

FAST = {"max_examples": 3, "batch": 4, "enumerate_limit": 0}


def test_every_capability_has_a_check():
    assert tuple(CHECKS) == SPACE_CAPABILITIES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nb201", {"Mutates", "EquivalentForms", "PublishesResults", "ArrayForm", "OffersOracles"}),
        ("nb101", {"Prunes", "ListsLabelled"}),
        ("mbv3", {"BuildsModel", "CountsParams", "CountsMacs"}),
    ],
)
def test_a_space_is_checked_for_the_capabilities_it_has(name, expected):
    space = archgen.load("space", name)
    checked = set(check_capabilities(space, space.sample(2, seed=0)))
    assert expected <= checked
    assert checked == {protocol.__name__ for protocol in SPACE_CAPABILITIES if isinstance(space, protocol)}


def test_a_plain_object_has_no_capability():
    assert not any(isinstance(object(), protocol) for protocol in SPACE_CAPABILITIES)
    assert check_capabilities(object(), []) == []


class ParentMutationSpace(NB201Space):
    """Its mutation hands the parent back: ``evolution`` would re-query it forever."""

    def mutate(self, arch, rng):
        return arch


class InvalidMutationSpace(NB201Space):
    def mutate(self, arch, rng):
        return Architecture(self.name, arch.adjacency, ("input", *(["no_such_op"] * 6), "output"))


class StrictPaperSpace(NB201Space):
    def paper_valid(self, arch):
        return "no"


class DictPublishedSpace(NB201Space):
    def published_results(self):
        return {"cifar10/test@200": [("optimum", None, 94.37)]}


class NaNPublishedSpace(NB201Space):
    def published_results(self):
        return PublishedResults(search=(PublishedSearchResult("cifar10/test@200", "optimum", float("nan")),))


class LenientOracleSpace(NB201Space):
    """Has oracle metrics without data, and answers any metric name."""

    def oracle_metrics(self):
        return {"accuracy": "%"}

    def oracle(self, metric=None):
        return type("Answering", (), {"metric": "accuracy"})()


@pytest.mark.parametrize(
    ("space", "problem"),
    [
        (ParentMutationSpace(), r"mutate\(.*\) gave the parent back"),
        (InvalidMutationSpace(), r"mutate\(.*\) gave an invalid"),
        (StrictPaperSpace(), r"paper_valid gave 'no', not a bool"),
        (DictPublishedSpace(), r"published_results\(\) gave dict, not PublishedResults"),
        (NaNPublishedSpace(), r"bad published search result"),
        (LenientOracleSpace(), r"oracle\(\) accepted an unknown metric"),
    ],
    ids=["parent-mutation", "invalid-mutation", "non-bool-paper-valid", "dict-published", "nan-published", "lenient-oracle"],
)
def test_a_broken_capability_is_caught(space, problem):
    with pytest.raises(AssertionError, match=problem):
        check_search_space(space, **FAST)


def test_a_member_set_to_none_is_no_capability():
    """As ``getattr(space, "mutate", None)`` read it: a method blocked with ``None`` is not offered."""

    class Frozen(NB201Space):
        mutate = None

    assert isinstance(NB201Space(), Mutates) and not isinstance(Frozen(), Mutates)
    check_search_space(Frozen(), **FAST)


def test_base_class_defaults_are_capabilities_and_published_results_is_not():
    space = archgen.load("space", "nb101")
    assert isinstance(space, OffersOracles)  # GraphSpaceBase's oracle(), oracle_metrics()
    assert not isinstance(space, PublishesResults)
    assert isinstance(archgen.load("space", "nb201").published_results(), PublishedResults)
