"""``archgen.testing.check_search_space`` rejects deliberately broken spaces, each with the right message (issue 8, item 10)."""

import re

import numpy as np
import pytest

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.space_base import GraphSpaceBase
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


# -- paper-protocol validity must accept the space's own members (issue 27) ------------------------------

LAYERS = ("a", "b", "c")
CHAIN = ((0, 1, 0), (0, 0, 1), (0, 0, 0))


class NoInputOutputSpace(GraphSpaceBase):
    """Three-node chains of layers with no ``input``/``output`` nodes: 27 members."""

    name = "noio"
    op_vocabulary = LAYERS
    max_nodes = 3

    def size(self):
        return len(LAYERS) ** 3

    def sample(self, n, seed=0):
        rows = np.random.default_rng(seed).integers(0, len(LAYERS), size=(n, 3))
        return [Architecture(self.name, CHAIN, tuple(LAYERS[i] for i in row)) for row in rows]

    def why_invalid(self, arch):
        if arch.space != self.name:
            return f"belongs to space {arch.space!r}"
        if arch.adjacency != CHAIN:
            return "is not a 3-node chain"
        bad = [op for op in arch.ops if op not in LAYERS]
        return f"unknown layer {bad[0]!r}; expected one of {list(LAYERS)}" if bad else None

    def canonical_key(self, arch):
        return arch.ops

    def to_string(self, arch):
        return "".join(arch.ops)

    def from_string(self, text):
        if len(text) != 3 or any(c not in LAYERS for c in text):
            raise InvalidArchitectureError(f"{text[:20]!r} is not 3 of {list(LAYERS)}")
        return Architecture(self.name, CHAIN, tuple(text))


class OptedInNoInputOutputSpace(NoInputOutputSpace):
    """Declares the arch2vec-style ops check, which wants an 'input' first: it refuses every member."""

    paper_ops_check = True


class RejectingPaperSpace(NB201Space):
    """A rule with a typo: it wants a first node labelled 'in', which no member has."""

    def paper_valid(self, arch):
        return arch.ops[0] == "in"


def test_a_base_class_space_without_input_and_output_is_held_to_is_valid_and_passes():
    space = NoInputOutputSpace()
    archs = space.sample(20, seed=0)
    assert [space.paper_valid(a) for a in archs] == [space.is_valid(a) for a in archs] == [True] * 20
    broken = Architecture("noio", ((0, 0, 0),) * 3, archs[0].ops)
    assert not space.paper_valid(broken) and not space.is_valid(broken)
    check_search_space(space, **FAST)


@pytest.mark.parametrize(
    ("space", "rule"),
    [
        (
            OptedInNoInputOutputSpace(),
            "the paper rule is GraphSpaceBase's arch2vec-style ops check (paper_ops_check = True: first node 'input', "
            "last node 'output', every other node a space op)",
        ),
        (RejectingPaperSpace(), "the paper rule is RejectingPaperSpace.paper_valid"),
    ],
    ids=["opted-in-ops-check", "own-rule"],
)
def test_a_paper_rule_that_refuses_the_spaces_own_samples_is_caught_naming_the_rule(space, rule):
    with pytest.raises(AssertionError) as error:
        check_search_space(space, **FAST)
    message = str(error.value).splitlines()[0]
    assert message.startswith("paper_valid refuses Architecture(") and "a member drawn by the space's own sample()" in message
    assert rule in message


class RefusesAllDeclaredSpace(RejectingPaperSpace):
    """Declares that its paper rule refuses some members by design, but it refuses every one."""

    paper_refuses_members = "only cells starting with 'in' count"


def test_a_declared_stricter_paper_rule_must_still_accept_some_members():
    with pytest.raises(AssertionError) as error:
        check_search_space(RefusesAllDeclaredSpace(), **FAST)
    assert str(error.value).splitlines()[0] == (
        "paper_valid refuses all 32 members of sample(32, seed=0); the paper rule is RejectingPaperSpace.paper_valid "
        "(it refuses some members by design: only cells starting with 'in' count), and it must accept some"
    )
