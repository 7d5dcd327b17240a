"""``archgen.testing.check_search_space`` rejects deliberately broken spaces, each with the right message (issue 8, item 10)."""

import re

import pytest

from archgen.errors import InvalidArchitectureError
from archgen.spaces.nb201.space import NB201Space
from archgen.testing import check_search_space
from archgen.testing.search_space import check_installed_space

FAST = {"max_examples": 3, "batch": 4, "enumerate_limit": 0}


class ConstantKeySpace(NB201Space):
    """Every architecture is 'equivalent': uniqueness and novelty would read 1/N and 0."""

    def canonical_key(self, arch):
        return 0


class LenientParserSpace(NB201Space):
    """Falls back to a default cell instead of refusing text it cannot parse."""

    def from_string(self, text):
        try:
            return super().from_string(text)
        except InvalidArchitectureError:
            return self.sample(1, seed=0)[0]


class EchoingParserSpace(NB201Space):
    """Refuses garbage, but quotes all of it back."""

    def from_string(self, text):
        try:
            return super().from_string(text)
        except InvalidArchitectureError:
            raise InvalidArchitectureError(f"cannot parse {text!r}") from None


class KeyDisagreesSpace(NB201Space):
    """canonical_key is not a function of the architecture: equal keys, different canonical keys."""

    def __init__(self, options=None):
        super().__init__(options)
        self.calls = 0

    def canonical_key(self, arch):
        self.calls += 1
        return (super().canonical_key(arch), self.calls)


class PartialSpace:
    """Declares only part of the protocol."""

    name = "partial"
    op_vocabulary = ("input", "output")
    max_nodes = 2

    def size(self):
        return 1

    def sample(self, n, seed=0):
        return []


def test_a_correct_space_passes():
    check_search_space(NB201Space(), entry_point_name="nb201", **FAST)


def test_constant_canonical_key_is_caught():
    with pytest.raises(AssertionError, match=r"canonical_key maps \d+ distinct sampled architectures to the one value 0"):
        check_search_space(ConstantKeySpace(), **FAST)


def test_canonical_key_that_is_not_a_function_of_the_architecture_is_caught():
    with pytest.raises(AssertionError, match="canonical_key"):
        check_search_space(KeyDisagreesSpace(), **FAST)


def test_from_string_that_accepts_garbage_is_caught():
    with pytest.raises(AssertionError, match=r"from_string accepted garbage"):
        check_search_space(LenientParserSpace(), **FAST)


def test_from_string_that_quotes_a_huge_input_is_caught():
    with pytest.raises(AssertionError, match=r"from_string's error quotes \d+ characters of a 100 KB input"):
        check_search_space(EchoingParserSpace(), **FAST)


def test_entry_point_name_must_equal_the_space_name():
    with pytest.raises(AssertionError, match=r"entry point 'nb-201' builds a space named 'nb201'"):
        check_search_space(NB201Space(), entry_point_name="nb-201", **FAST)


def test_missing_members_are_named():
    message = (
        "lacks members of the SearchSpace protocol: canonical_key, enumerate, from_string, from_tensors, "
        "is_valid, key, to_string, to_tensors, why_invalid"
    )
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_search_space(PartialSpace(), **FAST)


BROKEN_PLUGIN = """
from archgen.spaces.nb201.space import NB201Space

class BrokenSpace(NB201Space):
    name = "broken"

    def canonical_key(self, arch):
        return "same"

class MisnamedSpace(NB201Space):
    name = "misnamed-inside"
"""


@pytest.mark.parametrize(
    ("entry_point", "target", "problem"),
    [
        ("broken", "archgen_broken_space:BrokenSpace", "canonical_key maps"),
        ("misnamed", "archgen_broken_space:MisnamedSpace", "entry point 'misnamed' builds a space named 'misnamed-inside'"),
        ("unimportable", "archgen_broken_space:NoSuchClass", "PluginLoadError"),
    ],
)
def test_an_installed_broken_space_is_reported_as_that_plugins_failure(install_plugin, entry_point, target, problem):
    install_plugin("archgen_broken_space", BROKEN_PLUGIN, {"archgen.spaces": {entry_point: target}}, dist="archgen-broken")
    with pytest.raises(AssertionError) as error:
        check_installed_space(entry_point, max_examples=3)
    message = str(error.value)
    assert message.startswith(f"plugin {entry_point!r} from distribution 'archgen-broken' ({target}; archgen-broken 1.2.3): ")
    assert problem in message
