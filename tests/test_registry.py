"""Plugin discovery and loading through entry points (stevedore), and its errors."""

import pytest

import archgen
from archgen import ConfigError, PluginLoadError, PluginNotFoundError
from archgen.registry import GROUPS, installed, names, plugin_class

FIRST_PARTY = {
    "space": {"nb201", "nb101", "darts", "darts_cell", "mbv3", "autoformer"},
    "encoder": {"gin"},
    "quantizer": {"ema"},
    "prior": {"transformer"},
    "generator": {"arch_vq"},
}


@pytest.mark.parametrize("slot", sorted(FIRST_PARTY))
def test_first_party_plugins_are_entry_points_of_this_distribution(slot):
    infos = {info.name: info for info in installed(slot)}
    assert FIRST_PARTY[slot] <= set(infos)
    for name in FIRST_PARTY[slot]:
        assert infos[name].distribution == "archgen"
        assert infos[name].target.startswith("archgen.")


def test_unknown_name_names_group_value_and_choices():
    with pytest.raises(PluginNotFoundError) as error:
        archgen.load("space", "nb2O1")
    message = str(error.value)
    assert "'nb2O1'" in message and "'archgen.spaces'" in message and "nb201" in message and "darts" in message
    assert error.value.available == names("space")


def test_unknown_slot_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown plugin slot 'spaces'"):
        archgen.load("spaces", "nb201")


def test_load_builds_with_validated_options(tmp_path):
    space = archgen.load("space", "nb201", benchmark=str(tmp_path / "table.csv"))
    assert space.options.benchmark == tmp_path / "table.csv"
    with pytest.raises(ConfigError, match=r"bad options for space 'nb201': benchmarks: unknown key"):
        archgen.load("space", "nb201", benchmarks="x")


def test_only_the_chosen_plugin_is_imported(install_plugin):
    install_plugin(
        "archgen_broken_space",
        "raise ImportError('this plugin must not be imported unless chosen')",
        {"archgen.spaces": {"broken": "archgen_broken_space:Space"}},
    )
    assert "broken" in names("space")
    assert archgen.load("space", "nb201").name == "nb201"  # loading another plugin does not touch it
    with pytest.raises(PluginLoadError) as error:
        archgen.load("space", "broken")
    message = str(error.value)
    assert "'broken'" in message and "'archgen.spaces'" in message and "must not be imported" in message


def test_third_party_plugin_is_found_and_listed(install_plugin):
    install_plugin(
        "archgen_chain_space",
        """
        from archgen.spaces.nb201.space import NB201Space

        class ChainSpace(NB201Space):
            name = "chain"
        """,
        {"archgen.spaces": {"chain": "archgen_chain_space:ChainSpace"}},
        dist="archgen-chain",
    )
    info = {i.name: i for i in installed("space")}["chain"]
    assert (info.distribution, info.version, info.target) == ("archgen-chain", "1.2.3", "archgen_chain_space:ChainSpace")
    assert plugin_class("space", "chain").__name__ == "ChainSpace"
    assert archgen.load("space", "chain").sample(1)[0].space == "chain"


def test_a_constructor_failure_is_wrapped_with_the_plugin_name(install_plugin):
    install_plugin(
        "archgen_angry",
        """
        class Angry:
            def __init__(self):
                raise RuntimeError("no GPU driver")
        """,
        {"archgen.searchers": {"angry": "archgen_angry:Angry"}},
    )
    with pytest.raises(PluginLoadError, match=r"plugin 'angry' of group 'archgen.searchers' failed to load: RuntimeError: no GPU driver"):
        archgen.load("searcher", "angry")


def test_every_group_is_an_archgen_group():
    assert all(group.startswith("archgen.") for group in GROUPS.values())


def test_a_plugin_missing_a_protocol_member_is_refused_at_load_naming_it(install_plugin):
    from archgen import PluginContractError

    install_plugin(
        "archgen_half_generator",
        """
        class HalfGenerator:
            def fit(self, space, train, **context):
                return {}

            def sample(self, space, n, **sampling):
                return None
        """,
        {"archgen.generators": {"half": "archgen_half_generator:HalfGenerator"}},
    )
    with pytest.raises(PluginContractError) as caught:
        archgen.load("generator", "half")
    assert str(caught.value) == (
        "plugin 'half' of group 'archgen.generators' does not implement Generator: missing load, save"
    )


def test_a_typo_in_a_nested_plugin_option_names_its_path():
    from archgen.registry import validate_options

    with pytest.raises(archgen.ConfigError) as caught:
        validate_options("generator", "arch_vq", {"prior": {"name": "transformer", "options": {"layrs": 2}}})
    assert str(caught.value).startswith("bad options for generator 'arch_vq' > prior 'transformer': layrs: unknown key")
    with pytest.raises(archgen.ConfigError, match="generator 'arch_vq' > encoder: unknown plugin 'gat'"):
        validate_options("generator", "arch_vq", {"encoder": {"name": "gat"}})


def test_a_qualified_name_chooses_a_distribution_and_an_unknown_one_is_not_found():
    from archgen.registry import same_plugin, split_name

    assert split_name("archgen-foo:random") == ("archgen-foo", "random") and split_name("random") == (None, "random")
    assert type(archgen.load("searcher", "archgen:random")).__name__ == "RandomSearch"
    assert same_plugin("searcher", "random", "archgen:random") and not same_plugin("searcher", "random", "evolution")
    with pytest.raises(PluginNotFoundError, match=r"unknown plugin 'archgen-nope:random' in group 'archgen.searchers'; available: \{.*archgen:random"):
        archgen.load("searcher", "archgen-nope:random")
