"""Command-line flags over the registry: one rule for every command's section and plugin flags."""

import pytest

from archgen.config import RegistryConfig
from archgen.errors import ConfigError
from archgen.overrides import with_overrides


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no registry.toml here: only the values given below
    return RegistryConfig(space={"name": "nb201"}, searcher={"name": "evolution", "options": {"population": 7}})


def test_none_leaves_the_file_and_values_replace_it(registry):
    assert with_overrides(registry, plugins={"searcher": None}, search={"budget": None}) is registry
    changed = with_overrides(registry, search={"budget": 20, "trials": None}, predict={"trials": 3})
    assert (changed.search.budget, changed.search.trials, changed.predict.trials) == (20, registry.search.trials, 3)
    assert registry.search.budget == 400  # the registry itself is unchanged


def test_another_plugin_starts_from_its_defaults_and_the_same_one_keeps_its_options(registry):
    assert with_overrides(registry, plugins={"searcher": "evolution"}).searcher.options == {"population": 7}
    assert with_overrides(registry, plugins={"searcher": "random"}).searcher.model_dump() == {"name": "random", "options": {}}
    assert with_overrides(registry, plugins={"predictor": "gin"}).predictor.name == "gin"


@pytest.mark.parametrize(
    "call, message",
    [
        (dict(search={"budget": 0}), "--budget: budget: Input should be greater than or equal to 1"),
        (dict(predict={"test_on": "some", "trials": 2}), "--test-on, --trials: test_on: "),
        (dict(serach={"budget": 1}), "unknown registry section 'serach'; expected one of {data, evaluate, predict, run, search}"),
        (dict(plugins={"searchr": "random"}), "unknown plugin section 'searchr'; expected one of {generator, predictor, searcher, space}"),
    ],
)
def test_a_bad_flag_is_one_line_naming_it(registry, call, message):
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")) as caught:
        with_overrides(registry, **call)
    assert "\n" not in str(caught.value)
