"""``GraphSpaceBase.require_valid``: one refusal message for every space (was three private copies)."""

import pytest

import archgen
from archgen import Architecture, InvalidArchitectureError


@pytest.mark.parametrize(
    "space_name, noun", [("nb201", "NB201 cell"), ("nb101", "NB101 cell"), ("autoformer", "AutoFormer-tiny architecture")]
)
def test_require_valid_names_the_member_kind_and_the_reason(space_name, noun):
    space = archgen.load("space", space_name)
    member = space.sample(1, seed=0)[0]
    space.require_valid(member)  # a member passes silently
    broken = Architecture(space.name, member.adjacency, ("output", *member.ops[1:]))
    with pytest.raises(InvalidArchitectureError) as caught:
        space.require_valid(broken)
    assert str(caught.value) == f"not a valid {noun}: {space.why_invalid(broken)}"
