"""The AutoFormer space: contract, size, native format, graph form and validity."""

from __future__ import annotations

import itertools
import json

import pytest

import archgen
from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.spaces.autoformer.published import AUTOFORMER_B, AUTOFORMER_S, AUTOFORMER_T
from archgen.spaces.autoformer.space import AutoFormerOptions, AutoFormerSpace
from archgen.testing import check_search_space

SIZES = ("tiny", "small", "base")


def space_of(size: str = "tiny", ranges: str = "release") -> AutoFormerSpace:
    return AutoFormerSpace(AutoFormerOptions(size=size, ranges=ranges))


@pytest.mark.parametrize("size", SIZES)
def test_contract_holds_for_each_size(size: str) -> None:
    check_search_space(space_of(size), max_examples=10)


def test_contract_holds_for_nni_tiny_ranges() -> None:
    check_search_space(space_of("tiny", "nni"), max_examples=10)


def test_registry_builds_the_space_with_options() -> None:
    space = archgen.load("space", "autoformer", size="base")
    assert isinstance(space, AutoFormerSpace) and space.ranges.size == "base"


# Ranges from microsoft/Cream AutoFormer/experiments/supernet/supernet-{T,S,B}.yaml (SEARCH_SPACE).
RELEASE_RANGES = {
    "tiny": ((192, 216, 240), (12, 13, 14), (3.5, 4.0), (3, 4)),
    "small": ((320, 384, 448), (12, 13, 14), (3.0, 3.5, 4.0), (5, 6, 7)),
    "base": ((528, 576, 624), (14, 15, 16), (3.0, 3.5, 4.0), (8, 9, 10)),
}


@pytest.mark.parametrize("size", SIZES)
def test_ranges_match_the_release_supernet_configs(size: str) -> None:
    ranges = space_of(size).ranges
    assert (ranges.embed_dims, ranges.depths, ranges.mlp_ratios, ranges.num_heads) == RELEASE_RANGES[size]


@pytest.mark.parametrize("size", SIZES)
def test_size_is_the_sum_over_depths_formula(size: str) -> None:
    embeds, depths, ratios, heads = RELEASE_RANGES[size]
    expected = sum(len(embeds) * (len(ratios) * len(heads)) ** d for d in depths)
    assert space_of(size).size() == expected


def test_size_values() -> None:
    # 3 * (4**12 + 4**13 + 4**14) = 63 * 4**12; 3 * 9**12 * (1 + 9 + 81); 3 * 9**14 * 91.
    assert space_of("tiny").size() == 63 * 4**12 == 1_056_964_608
    assert space_of("small").size() == 273 * 9**12
    assert space_of("base").size() == 273 * 9**14


def test_size_counts_distinct_subnets_on_a_shrunk_space() -> None:
    # Brute force on a space small enough to enumerate: one embed, depths 1-2, 2x2 choices per layer.
    from archgen.spaces.autoformer.ranges import SearchRanges

    ranges = SearchRanges("toy", (8,), (1, 2), (3.5, 4.0), (3, 4))
    per_layer = [(r, h) for r in ranges.mlp_ratios for h in ranges.num_heads]
    subnets = {(d, layers) for d in ranges.depths for layers in itertools.product(per_layer, repeat=d)}
    assert ranges.size_of_space() == len(subnets) == 4 + 16


@pytest.mark.parametrize("size", SIZES)
def test_graph_form_is_a_chain_of_max_depth_plus_two_nodes(size: str) -> None:
    space = space_of(size)
    assert space.max_nodes == max(RELEASE_RANGES[size][1]) + 2
    for arch in space.sample(20, seed=3):
        assert arch.num_nodes == space.max_nodes
        assert arch.edges() == [(i, i + 1) for i in range(space.max_nodes - 1)]
        assert arch.ops[0].startswith("embed_") and arch.ops[-1] == "output"
        depth = space.to_config(arch).depth
        assert arch.ops[1 + depth : -1] == ("skip",) * (space.ranges.max_depth - depth)
        assert space.paper_valid(arch)


def test_vocabulary_of_tiny() -> None:
    assert space_of("tiny").op_vocabulary == (
        "embed_192", "embed_216", "embed_240",
        "l_r3.5_h3", "l_r3.5_h4", "l_r4.0_h3", "l_r4.0_h4",
        "skip", "output",
    )  # fmt: skip


def test_native_round_trip_and_string_form() -> None:
    space = space_of("tiny")
    native = {"embed_dim": 216, "depth": 12, "mlp_ratio": [3.5, 4.0] * 6, "num_heads": [3, 4, 4] * 4}
    arch = space.from_native(native)
    assert space.to_native(arch) == native
    assert list(space.to_native(arch)) == ["embed_dim", "depth", "mlp_ratio", "num_heads"]
    text = space.to_string(arch)
    assert text == json.dumps(native, separators=(",", ":"))
    assert space.from_string(text) == arch
    assert space.canonical_key(arch) == (216, 12, (3.5, 4.0) * 6, (3, 4, 4) * 4)
    assert arch.ops[1] == "l_r3.5_h3" and arch.ops[-3:] == ("skip", "skip", "output")


def test_integer_mlp_ratios_and_aliases_are_normalised() -> None:
    space = space_of("tiny")
    native = {"hidden_dim": 192, "depth": 12, "mlp_ratio": [4] * 12, "num_heads": [3] * 12}
    arch = space.from_native(native, aliases=True)
    assert space.to_native(arch)["mlp_ratio"] == [4.0] * 12
    with pytest.raises(InvalidArchitectureError, match="hidden_dim"):
        space.from_native(native)


@pytest.mark.parametrize(
    ("native", "message"),
    [
        ({"embed_dim": 200, "depth": 12, "mlp_ratio": [4.0] * 12, "num_heads": [3] * 12}, "embed_dim 200"),
        ({"embed_dim": 192, "depth": 11, "mlp_ratio": [4.0] * 11, "num_heads": [3] * 11}, "depth 11"),
        ({"embed_dim": 192, "depth": 12, "mlp_ratio": [4.0] * 11, "num_heads": [3] * 12}, "11 entries"),
        ({"embed_dim": 192, "depth": 12, "mlp_ratio": [3.0] * 12, "num_heads": [3] * 12}, r"mlp_ratio\[0\] = 3.0"),
        ({"embed_dim": 192, "depth": 12, "mlp_ratio": [4.0] * 12, "num_heads": [3] * 11 + [5]}, r"num_heads\[11\]"),
        ({"embed_dim": True, "depth": 12, "mlp_ratio": [4.0] * 12, "num_heads": [3] * 12}, "positive integer"),
        ({"embed_dim": 192, "depth": 12, "mlp_ratio": [4.0] * 12}, "expected exactly"),
        ([192, 12], "must be a dict"),
    ],
)
def test_bad_native_values_are_named(native: object, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        space_of("tiny").from_native(native)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "nope", "[]", "{}", "NaN", '{"embed_dim":192}', "1" * 30])
def test_garbage_strings_are_rejected_in_one_line(text: str) -> None:
    with pytest.raises(InvalidArchitectureError) as info:
        space_of("tiny").from_string(text)
    assert "\n" not in str(info.value)


def test_published_subnets_membership() -> None:
    # AutoFormer-T uses MLP ratio 3.0 (experiments/subnet/AutoFormer-T.yaml) which supernet-T.yaml lacks;
    # NNI's preset adds it. S and B lie inside their release spaces.
    with pytest.raises(InvalidArchitectureError, match=r"mlp_ratio\[2\] = 3.0"):
        space_of("tiny").from_native(AUTOFORMER_T)
    assert space_of("tiny", "nni").to_config(space_of("tiny", "nni").from_native(AUTOFORMER_T)) == AUTOFORMER_T
    assert space_of("small").to_config(space_of("small").from_native(AUTOFORMER_S)) == AUTOFORMER_S
    assert space_of("base").to_config(space_of("base").from_native(AUTOFORMER_B)) == AUTOFORMER_B


def _with_ops(arch: Architecture, **changes: str) -> Architecture:
    ops = list(arch.ops)
    for position, op in changes.items():
        ops[int(position.lstrip("n"))] = op
    return Architecture(arch.space, arch.adjacency, tuple(ops))


def test_why_invalid_reasons() -> None:
    space = space_of("tiny")
    arch = space.from_native({"embed_dim": 192, "depth": 12, "mlp_ratio": [4.0] * 12, "num_heads": [3] * 12})
    assert space.why_invalid(arch) is None
    cases = {
        "embed label": _with_ops(arch, n0="embed_448"),
        "'output'": _with_ops(arch, n15="skip"),
        "'l_r3.0_h3'": _with_ops(arch, n4="l_r3.0_h3"),
        "must come last": _with_ops(arch, n5="skip", n13="l_r4.0_h3"),
        "depth 11": _with_ops(arch, n12="skip"),
    }
    for expected, corrupted in cases.items():
        reason = space.why_invalid(corrupted)
        assert reason is not None and expected in reason, (expected, reason)
        assert not space.is_valid(corrupted)
    shorter = Architecture.from_arrays("autoformer", arch.adjacency_array()[:-1, :-1], arch.ops[:-1])
    assert "15 nodes" in space.why_invalid(shorter)
    rewired = arch.adjacency_array()
    rewired[0, 2] = 1
    assert "chain" in space.why_invalid(Architecture.from_arrays("autoformer", rewired, arch.ops))
    assert "belongs to space" in space.why_invalid(Architecture("nb201", arch.adjacency, arch.ops))


def test_tensor_round_trip_is_exact() -> None:
    space = space_of("base")
    archs = space.sample(16, seed=11)
    adjacency, ops = space.to_tensors(archs)
    assert tuple(ops.shape) == (16, 18, len(space.op_vocabulary))
    assert space.from_tensors(adjacency, ops) == archs


def test_sampling_covers_every_depth_and_is_reproducible() -> None:
    space = space_of("tiny")
    archs = space.sample(200, seed=0)
    assert archs == space.sample(200, seed=0)
    assert {space.to_config(a).depth for a in archs} == {12, 13, 14}
    assert {space.to_config(a).embed_dim for a in archs} == {192, 216, 240}
