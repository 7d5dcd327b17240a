"""Every installed search space passes the SearchSpace contract (timm-style: a new entry point is tested at once).

Third-party spaces are checked too; a failure is reported as that plugin's (its name and
distribution lead the message), so a broken ``archgen-foo`` is not mistaken for an archgen bug.
Every rule applied here to an installed space is one of ``check_search_space``'s (issue 27):
a space that passes the kit in its own tests passes this file.
"""

import pytest

import archgen
from archgen.registry import installed
from archgen.testing.search_space import HUGE_INPUT_FILLERS, HUGE_INPUT_PLACES, check_huge_input, check_installed_space

SPACES = installed("space")


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
def test_installed_space_passes_the_contract(name):
    check_installed_space(name, max_examples=10)


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
def test_installed_space_declares_pydantic_options(name):
    # Also a check_search_space rule; here it is reported on its own.
    from pydantic import BaseModel

    cls = archgen.registry.plugin_class("space", name)
    assert issubclass(cls.Options, BaseModel)
    assert cls.Options.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
@pytest.mark.parametrize("where", HUGE_INPUT_PLACES)
@pytest.mark.parametrize("filler", HUGE_INPUT_FILLERS)
def test_from_string_refuses_a_huge_input_in_one_short_line(name, where, filler):
    """Issue 8: NB201 echoed a 100 KB input into its error; JSON spaces raised a bare ValueError
    on a 100,000-digit number and DARTS a MemoryError on 100,000 brackets. The rule is the kit's
    (``check_search_space`` runs every case), so an installed third-party space is held to nothing more."""
    check_huge_input(archgen.load("space", name), where, filler)
