"""The candidate operations of a DARTS cell as PyTorch modules.

Semantics follow the DARTS release (github quark0/darts, ``cnn/operations.py``):
separable convolutions apply ReLU-depthwise-pointwise-BN twice (stride on the
first), dilated convolutions once with dilation 2, pools are 3x3 with padding
1 (average pooling excludes the padding), and a reducing ``skip_connect`` is
a :class:`FactorizedReduce`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class ReLUConvBN(nn.Sequential):
    """ReLU, a bias-free convolution, batch norm (the cells' input preprocessing)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, affine: bool = True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU, a dilated depthwise convolution, a pointwise convolution, batch norm."""

    def __init__(
        self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, dilation: int, affine: bool = True
    ):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride, padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked depthwise-separable blocks; only the first one strides."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, affine: bool = True):
        super().__init__(
            DilConv(c_in, c_in, kernel_size, stride, padding, dilation=1, affine=affine),
            DilConv(c_in, c_out, kernel_size, 1, padding, dilation=1, affine=affine),
        )


class Identity(nn.Module):
    """The non-reducing ``skip_connect``; drop-path skips it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class FactorizedReduce(nn.Module):
    """Halves the resolution with two stride-2 1x1 convolutions, the second offset by one pixel.

    Args:
        c_in: Input channels.
        c_out: Output channels (even: each convolution makes half).
        affine: Whether batch norm has learnable scale and shift.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


OpFactory = Callable[[int, int, bool], nn.Module]

#: ``name -> factory(channels, stride, affine)`` for the seven discrete-space ops.
OPS: dict[str, OpFactory] = {
    "max_pool_3x3": lambda c, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    "avg_pool_3x3": lambda c, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
    "skip_connect": lambda c, stride, affine: Identity() if stride == 1 else FactorizedReduce(c, c, affine),
    "sep_conv_3x3": lambda c, stride, affine: SepConv(c, c, 3, stride, 1, affine),
    "sep_conv_5x5": lambda c, stride, affine: SepConv(c, c, 5, stride, 2, affine),
    "dil_conv_3x3": lambda c, stride, affine: DilConv(c, c, 3, stride, 2, 2, affine),
    "dil_conv_5x5": lambda c, stride, affine: DilConv(c, c, 5, stride, 4, 2, affine),
}


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zeroes whole samples with probability ``drop_prob`` and rescales the rest (not in place)."""
    if drop_prob <= 0.0:
        return x
    keep = 1.0 - drop_prob
    mask = torch.empty(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x / keep * mask
