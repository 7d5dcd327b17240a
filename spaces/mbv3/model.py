"""A runnable PyTorch network for an OFA-MobileNetV3 subnet (randomly initialised).

The modules mirror OFA's ``MobileNetV3`` subnet as ``get_active_subnet``
returns it (github mit-han-lab/once-for-all, ``ofa/utils/layers.py``:
``ConvLayer``, ``MBConvLayer``, ``ResidualBlock``, ``LinearLayer``;
``ofa/utils/pytorch_modules.py``: ``Hswish``, ``Hsigmoid``, ``SEModule``),
so its parameter count is what :mod:`archgen.spaces.mbv3.counters` computes.
Weights are not OFA's trained weights.
"""

from __future__ import annotations

import torch
from torch import nn

from archgen.spaces.mbv3.blueprint import BlockSpec, Blueprint, ConvSpec


def _activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "h_swish":
        return nn.Hardswish(inplace=True)
    raise ValueError(f"unknown activation {name!r}; expected 'relu' or 'h_swish'")


class SqueezeExcite(nn.Module):
    """OFA's SE module: mean-pool, 1x1 reduce + ReLU, 1x1 expand + hard sigmoid, rescale."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, hidden, 1, bias=True)
        self.expand = nn.Conv2d(hidden, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.mean((2, 3), keepdim=True)
        scale = nn.functional.hardsigmoid(self.expand(nn.functional.relu(self.reduce(scale))))
        return x * scale


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, kxk depthwise (+SE), 1x1 project, identity shortcut."""

    def __init__(self, spec: BlockSpec):
        super().__init__()
        mid = spec.mid_channels
        layers: list[nn.Module] = []
        if spec.expand != 1:
            layers += [
                nn.Conv2d(spec.in_channels, mid, 1, bias=False),
                nn.BatchNorm2d(mid),
                _activation(spec.activation),
            ]
        layers += [
            nn.Conv2d(mid, mid, spec.kernel, spec.stride, spec.kernel // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            _activation(spec.activation),
        ]
        if spec.se:
            layers.append(SqueezeExcite(mid, spec.se_channels))
        layers += [nn.Conv2d(mid, spec.out_channels, 1, bias=False), nn.BatchNorm2d(spec.out_channels)]
        self.body = nn.Sequential(*layers)
        self.residual = spec.residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


def _conv_layer(spec: ConvSpec) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, spec.kernel // 2, bias=False)
    ]
    if spec.batch_norm:
        layers.append(nn.BatchNorm2d(spec.out_channels))
    layers.append(_activation(spec.activation))
    return nn.Sequential(*layers)


class MobileNetV3Subnet(nn.Module):
    """Stem, MBConv blocks, final expand, global pool, feature mix, dropout + linear classifier.

    Args:
        plan: The layer plan (see :func:`archgen.spaces.mbv3.blueprint.blueprint`).
        dropout: Dropout before the classifier (OFA uses 0.1).
    """

    def __init__(self, plan: Blueprint, dropout: float = 0.1):
        super().__init__()
        self.first_conv = _conv_layer(plan.first_conv)
        self.blocks = nn.Sequential(*(MBConv(block) for block in plan.blocks))
        self.final_expand = _conv_layer(plan.final_expand)
        self.feature_mix = _conv_layer(plan.feature_mix)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(plan.classifier_in, plan.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.final_expand(self.blocks(self.first_conv(x)))
        x = self.feature_mix(x.mean((2, 3), keepdim=True))
        return self.classifier(self.dropout(torch.flatten(x, 1)))


def build_network(plan: Blueprint, dropout: float = 0.1) -> MobileNetV3Subnet:
    """Builds the network for ``plan`` (randomly initialised, in training mode)."""
    return MobileNetV3Subnet(plan, dropout)
