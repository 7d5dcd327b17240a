"""The mbv3 space: contract, size, graph form, native format and validity."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archgen
from archgen.architecture import Architecture
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.testing import check_search_space
from archgen.spaces.mbv3.space import (
    BLOCK_OPS,
    CHAIN_ADJACENCY,
    MobileNetV3Options,
    MobileNetV3Space,
    all_stage_patterns,
)

SPACE = MobileNetV3Space()
MAX = {"ks": [7] * 20, "e": [6] * 20, "d": [4] * 5}
MIN = {"ks": [3] * 20, "e": [3] * 20, "d": [2] * 5}


def native_configs() -> st.SearchStrategy[dict]:
    """Any OFA subnet dict, unused slots included (OFA's own sampler draws them too)."""
    return st.fixed_dictionaries(
        {
            "ks": st.lists(st.sampled_from([3, 5, 7]), min_size=20, max_size=20),
            "e": st.lists(st.sampled_from([3, 4, 6]), min_size=20, max_size=20),
            "d": st.lists(st.sampled_from([2, 3, 4]), min_size=5, max_size=5),
        }
    )


def test_passes_the_search_space_contract():
    check_search_space(SPACE)


def test_passes_the_contract_with_uniform_sampling_and_width_1():
    check_search_space(MobileNetV3Space(MobileNetV3Options(sampling="uniform", width_mult=1.0)), max_examples=5)


def test_size_is_the_product_of_per_stage_choices():
    # Per stage: sum over d in {2,3,4} of (3 kernels * 3 expands)**d = 81 + 729 + 6561.
    assert 9**2 + 9**3 + 9**4 == 7371
    assert SPACE.size() == 7371**5 == 21_758_655_492_572_485_851
    # OFA (ICLR 2020) and its tutorial quote "over 10^19" / ~2e19 sub-networks.
    assert SPACE.size() == pytest.approx(2.2e19, rel=0.02)


def test_every_stage_pattern_is_valid_and_they_number_7371():
    patterns = all_stage_patterns()
    assert len(set(patterns)) == 7371
    rest = ("mb_k3_e3", "mb_k3_e3", "skip", "skip") * 4
    for pattern in patterns[::97]:
        arch = Architecture("mbv3", CHAIN_ADJACENCY, ("input", *pattern, *rest, "output"))
        assert SPACE.why_invalid(arch) is None


def test_loads_through_the_registry():
    space = archgen.load("space", "mbv3", width_mult=1.0, resolution=192)
    assert isinstance(space, MobileNetV3Space) and space.options.resolution == 192


def test_unreleased_width_is_a_config_error():
    with pytest.raises(ConfigError, match="width_mult"):
        archgen.load("space", "mbv3", width_mult=1.5)


def test_graph_form_of_the_max_and_min_subnets():
    big = SPACE.from_native(MAX)
    assert big.ops == ("input", *["mb_k7_e6"] * 20, "output")
    assert big.adjacency == CHAIN_ADJACENCY and big.num_edges == 21
    small = SPACE.from_native(MIN)
    assert small.ops[1:-1] == ("mb_k3_e3", "mb_k3_e3", "skip", "skip") * 5
    assert SPACE.op_vocabulary == ("input", *BLOCK_OPS, "skip", "output")


def test_to_string_is_compact_normalised_json_with_keys_in_order():
    config = {"d": [2, 3, 4, 2, 3], "ks": [5] * 20, "e": [4] * 20}
    text = SPACE.to_string(SPACE.from_native(config))
    assert list(json.loads(text)) == ["ks", "e", "d"]
    assert " " not in text
    expected_ks = [5, 5, 3, 3, 5, 5, 5, 3, 5, 5, 5, 5, 5, 5, 3, 3, 5, 5, 5, 3]
    assert json.loads(text) == {"ks": expected_ks, "e": [4 if k == 5 else 3 for k in expected_ks], "d": config["d"]}


@settings(max_examples=40, deadline=None)
@given(config=native_configs(), seed=st.integers(0, 2**31 - 1))
def test_native_round_trips_and_unused_slots_do_not_matter(config, seed):
    arch = SPACE.from_native(config)
    assert SPACE.is_valid(arch)
    native = SPACE.to_native(arch)
    assert native["d"] == config["d"]
    for slot in range(20):
        used = slot % 4 < config["d"][slot // 4]
        assert native["ks"][slot] == (config["ks"][slot] if used else 3)
        assert native["e"][slot] == (config["e"][slot] if used else 3)
    assert SPACE.from_native(native) == arch
    assert SPACE.from_string(SPACE.to_string(arch)) == arch
    # The accuracy predictor's convention writes unused slots as 0; that imports too.
    zeroed = {k: list(v) for k, v in native.items()}
    for slot in range(20):
        if slot % 4 >= config["d"][slot // 4]:
            zeroed["ks"][slot] = zeroed["e"][slot] = 0
    assert SPACE.from_native(zeroed) == arch
    for form in SPACE.equivalent_forms(arch, random.Random(seed)):
        assert SPACE.canonical_key(form) == SPACE.canonical_key(arch)


def test_canonical_key_separates_different_networks():
    a = SPACE.from_native(MAX)
    changed = {**MAX, "ks": [7] * 19 + [5]}
    assert SPACE.canonical_key(SPACE.from_native(changed)) != SPACE.canonical_key(a)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "not JSON"),
        ("[1, 2]", "must be a dict"),
        ('{"ks": [3], "e": [3], "d": [2]}', "'d' must be a list of 5 ints"),
        (json.dumps({**MAX, "r": [224]}), "resolution"),
        (json.dumps({**MAX, "w": 1}), "expected exactly"),
        (json.dumps({**MAX, "d": [4, 4, 4, 4, 5]}), "d[4] = 5"),
        (json.dumps({**MAX, "ks": [7] * 19 + [4]}), "ks[19] = 4"),
        (json.dumps({**MAX, "e": [6] * 19 + [0]}), "e[19] = 0"),
        (json.dumps({**MAX, "e": [6] * 19 + [6.0]}), "expected an int"),
        (json.dumps({**MIN, "ks": [3, 3, 9] + [3] * 17}), "unused at this depth"),
    ],
)
def test_bad_strings_are_rejected_with_the_bad_value(text, fragment):
    with pytest.raises(InvalidArchitectureError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        SPACE.from_string(text)


def _with_ops(slot_ops):
    return Architecture("mbv3", CHAIN_ADJACENCY, ("input", *slot_ops, "output"))


@pytest.mark.parametrize(
    ("slot_ops", "fragment"),
    [
        (["mb_k3_e3", "skip", "mb_k3_e3", "skip"] + ["mb_k3_e3"] * 16, "block after a skip"),
        (["mb_k3_e3"] + ["skip"] * 3 + ["mb_k3_e3"] * 16, "has 1 blocks"),
        (["mb_k3_e5"] + ["mb_k3_e3"] * 19, "op 'mb_k3_e5'"),
        (["input"] + ["mb_k3_e3"] * 19, "op 'input'"),
    ],
)
def test_invalid_graphs_are_explained(slot_ops, fragment):
    reason = SPACE.why_invalid(_with_ops(slot_ops))
    assert reason is not None and fragment in reason
    with pytest.raises(InvalidArchitectureError):
        SPACE.to_string(_with_ops(slot_ops))


def test_wrong_topology_and_node_count_are_explained():
    arch = SPACE.from_native(MAX)
    adjacency = arch.adjacency_array()
    adjacency[0, 2] = 1
    assert "(0, 2)" in SPACE.why_invalid(Architecture.from_arrays("mbv3", adjacency, arch.ops))
    short = Architecture.from_arrays("mbv3", np.eye(21, k=1, dtype=int), arch.ops[:21])
    assert "21 nodes" in SPACE.why_invalid(short)


def test_tensor_form_is_one_hot_over_22_chain_nodes():
    archs = SPACE.sample(4, seed=3)
    adjacency, ops = SPACE.to_tensors(archs)
    assert adjacency.shape == (4, 22, 22) and ops.shape == (4, 22, 12)
    assert adjacency[0].sum() == 21 and ops.sum() == 4 * 22
    assert SPACE.from_tensors(adjacency, ops) == archs


def test_ofa_sampling_draws_depths_uniformly():
    depths = np.array([SPACE.to_native(a)["d"] for a in SPACE.sample(600, seed=0)])
    counts = np.bincount(depths.ravel(), minlength=5)[2:]
    assert counts.min() > 0.28 * depths.size  # each of 3 depths about 1/3 (OFA's sample_active_subnet)
    uniform = MobileNetV3Space(MobileNetV3Options(sampling="uniform"))
    deep = np.array([uniform.to_native(a)["d"] for a in uniform.sample(600, seed=0)])
    assert (deep == 4).mean() == pytest.approx(6561 / 7371, abs=0.03)
