"""Parameter/MAC counters against the built PyTorch model, and the layer plan against OFA's widths."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archgen.spaces.mbv3.blueprint import make_divisible, stage_widths
from archgen.spaces.mbv3.space import MobileNetV3Options, MobileNetV3Space

SPACES = {w: MobileNetV3Space(MobileNetV3Options(width_mult=w)) for w in (1.0, 1.2)}
MAX = {"ks": [7] * 20, "e": [6] * 20, "d": [4] * 5}
MIN = {"ks": [3] * 20, "e": [3] * 20, "d": [2] * 5}


def hook_macs(model: nn.Module, resolution: int) -> int:
    """MACs by forward hooks, the rule of OFA's ofa/utils/flops_counter.py (count_convNd / count_linear)."""
    total = 0

    def conv_hook(module, _inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += module.in_channels * output.nelement() * kh * kw // module.groups

    def linear_hook(module, _inputs, _output):
        nonlocal total
        total += module.in_features * module.out_features

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, resolution, resolution))
    for handle in handles:
        handle.remove()
    assert out.shape == (1, 1000)
    return total


def test_widths_match_the_ofa_tutorial_w12_network():
    # ofa tutorial/latency_table.py (commit 698a5c10), predict_network_latency_given_spec hard-codes the
    # w1.2 network: stem/first block 24, stages [32, 48, 96, 136, 192], final expand 1152, feature mix 1536.
    assert stage_widths(1.2) == (24, 24, 32, 48, 96, 136, 192, 1152, 1536)
    # OFAMobileNetV3 base widths [16, 16, 24, 40, 80, 112, 160, 960, 1280] at width 1.0 are already multiples of 8.
    assert stage_widths(1.0) == (16, 16, 24, 40, 80, 112, 160, 960, 1280)


def test_make_divisible_follows_the_tf_rule():
    # ofa/utils/pytorch_modules.py make_divisible: round to nearest multiple, bump if it lost > 10%.
    assert make_divisible(19.2) == 24  # 16 < 0.9 * 19.2, so bumped
    assert make_divisible(134.4) == 136
    assert make_divisible(12) == 16 and make_divisible(3) == 8


@pytest.mark.parametrize(
    ("width", "config", "resolution"),
    [(1.2, MAX, 224), (1.2, MIN, 160), (1.0, MAX, 96), (1.0, MIN, 224)],
    ids=["w1.2-max@224", "w1.2-min@160", "w1.0-max@96", "w1.0-min@224"],
)
def test_counts_equal_the_built_model_for_the_extreme_subnets(width, config, resolution):
    space = SPACES[width]
    arch = space.from_native(config)
    model = space.build_model(arch)
    assert space.count_params(arch) == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert space.count_macs(arch, resolution) == hook_macs(model, resolution)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), width=st.sampled_from([1.0, 1.2]), resolution=st.integers(32, 112))
def test_counters_equal_the_built_model_for_random_subnets(seed, width, resolution):
    space = SPACES[width]
    arch = space.sample(1, seed=seed)[0]
    model = space.build_model(arch)
    assert space.count_params(arch) == sum(p.numel() for p in model.parameters())
    assert space.count_macs(arch, resolution) == hook_macs(model, resolution)


def test_model_runs_and_trains_a_step_on_a_small_input():
    space = SPACES[1.2]
    arch = space.from_native(MIN)
    plan = space.blueprint(arch, 64)
    assert plan.first_conv.output_size == 32 and plan.final_expand.output_size == 2  # 64 / 32
    model = space.build_model(arch).train()
    loss = nn.functional.cross_entropy(model(torch.randn(2, 3, 64, 64)), torch.tensor([0, 1]))
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())


def test_macs_grow_with_resolution_and_depth():
    space = SPACES[1.0]
    small, big = space.from_native(MIN), space.from_native(MAX)
    assert space.count_macs(small, 160) < space.count_macs(small, 224) < space.count_macs(big, 224)
    assert space.count_params(small) < space.count_params(big)
