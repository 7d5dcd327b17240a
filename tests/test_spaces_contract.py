"""Every installed search space passes the SearchSpace contract (timm-style: a new entry point is tested at once).

Third-party spaces are checked too; a failure is reported as that plugin's (its name and
distribution lead the message), so a broken ``archgen-foo`` is not mistaken for an archgen bug.
"""

import pytest

import archgen
from archgen.errors import InvalidArchitectureError
from archgen.registry import installed
from archgen.testing.search_space import check_installed_space

SPACES = installed("space")


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
def test_installed_space_passes_the_contract(name):
    check_installed_space(name, max_examples=10)


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
def test_installed_space_declares_pydantic_options(name):
    from pydantic import BaseModel

    cls = archgen.registry.plugin_class("space", name)
    assert issubclass(cls.Options, BaseModel)
    assert cls.Options.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("name", [info.name for info in SPACES], ids=[f"{i.name}[{i.distribution}]" for i in SPACES])
@pytest.mark.parametrize("where", ["append", "prepend", "alone", "replace-word", "replace-number"])
@pytest.mark.parametrize("filler", ["Z", "9", "["])
def test_from_string_refuses_a_huge_input_in_one_short_line(name, where, filler):
    """Issue 8: NB201 echoed a 100 KB input into its error; JSON spaces raised a bare ValueError
    on a 100,000-digit number and DARTS a MemoryError on 100,000 brackets."""
    import re

    space = archgen.load("space", name)
    real = space.to_string(space.sample(1, seed=1)[0])
    huge = filler * 100_000
    token = re.search(r"[A-Za-z_]+" if where == "replace-word" else r"\d+", real)
    text = {
        "append": real + huge,
        "prepend": huge + real,
        "alone": huge,
        "replace-word": real[: token.start()] + huge + real[token.end() :] if token else huge,
        "replace-number": real[: token.start()] + huge + real[token.end() :] if token else huge,
    }[where]
    try:
        parsed = space.from_string(text)
    except InvalidArchitectureError as error:
        assert filler * 100 not in str(error) and len(str(error)) < 600, str(error)[:300]
    else:  # e.g. a JSON float with many 9s rounds to an allowed value: then it must be a real member
        assert filler == "9" and space.is_valid(parsed)
