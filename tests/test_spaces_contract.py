"""Every installed search space passes the SearchSpace contract (timm-style: a new entry point is tested at once)."""

import pytest

import archgen
from archgen.protocols import SearchSpace
from archgen.testing import check_search_space


@pytest.mark.parametrize("name", archgen.names("space"))
def test_installed_space_passes_the_contract(name):
    space = archgen.load("space", name)
    assert isinstance(space, SearchSpace)
    assert space.name == name, f"entry point {name!r} builds a space named {space.name!r}"
    check_search_space(space, max_examples=10)


@pytest.mark.parametrize("name", archgen.names("space"))
def test_installed_space_declares_pydantic_options(name):
    from pydantic import BaseModel

    cls = archgen.registry.plugin_class("space", name)
    assert issubclass(cls.Options, BaseModel)
    assert cls.Options.model_config.get("extra") == "forbid"
