"""Exact parameter and multiply-accumulate counts of an OFA-MobileNetV3 subnet, without building it.

Parameters: every trainable tensor of the network :mod:`archgen.spaces.mbv3.model`
builds -- conv weights, BatchNorm weight and bias (running statistics are
buffers, not parameters), the SE convs' weights and biases, the classifier's
weight and bias.

MACs follow OFA's ``count_net_flops`` (github mit-han-lab/once-for-all,
``ofa/utils/flops_counter.py``): for every ``Conv2d``
``in_channels * output_elements * kh * kw / groups``, for every ``Linear``
``in_features * out_features``, for one image. The SE module's two 1x1 convs
on the pooled vector are counted; BatchNorm, activations, pooling, the SE
rescaling multiply, residual additions and biases are not.
"""

from __future__ import annotations

from archgen.spaces.mbv3.blueprint import BlockSpec, Blueprint, ConvSpec


def count_params(plan: Blueprint) -> int:
    """Trainable parameters of the network laid out by ``plan``."""
    total = _conv_params(plan.first_conv) + _conv_params(plan.final_expand) + _conv_params(plan.feature_mix)
    total += sum(_block_params(block) for block in plan.blocks)
    total += plan.classifier_in * plan.num_classes + plan.num_classes
    return total


def count_macs(plan: Blueprint) -> int:
    """Multiply-accumulates of one forward pass of one image (OFA's convention, see module doc)."""
    total = _conv_macs(plan.first_conv) + _conv_macs(plan.final_expand) + _conv_macs(plan.feature_mix)
    total += sum(_block_macs(block) for block in plan.blocks)
    total += plan.classifier_in * plan.num_classes
    return total


def _conv_params(conv: ConvSpec) -> int:
    weights = conv.in_channels * conv.out_channels * conv.kernel * conv.kernel
    return weights + (2 * conv.out_channels if conv.batch_norm else 0)


def _conv_macs(conv: ConvSpec) -> int:
    return conv.in_channels * conv.out_channels * conv.kernel * conv.kernel * conv.output_size**2


def _block_params(block: BlockSpec) -> int:
    mid = block.mid_channels
    total = 0
    if block.expand != 1:
        total += block.in_channels * mid + 2 * mid
    total += mid * block.kernel * block.kernel + 2 * mid
    if block.se:
        total += (mid * block.se_channels + block.se_channels) + (block.se_channels * mid + mid)
    total += mid * block.out_channels + 2 * block.out_channels
    return total


def _block_macs(block: BlockSpec) -> int:
    mid = block.mid_channels
    total = 0
    if block.expand != 1:
        total += block.in_channels * mid * block.input_size**2
    total += mid * block.kernel * block.kernel * block.output_size**2
    if block.se:
        total += 2 * mid * block.se_channels
    total += mid * block.out_channels * block.output_size**2
    return total
