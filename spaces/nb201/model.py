"""The network NAS-Bench-201 / NATS-Bench (topology) trains for a cell.

Semantics of the release (github D-X-Y/AutoDL-Projects, ``xautodl/models/cell_infers/tiny_network.py``
``TinyNetwork``, ``cells.py`` ``InferCell`` and ``xautodl/models/cell_operations.py``): a 3x3
convolution stem (no bias) and batch norm to ``C`` channels; ``N`` cells at ``C``; a
:class:`ResNetBasicblock` to ``2C`` at stride 2; ``N`` cells at ``2C``; a basic block to ``4C``;
``N`` cells at ``4C``; batch norm and ReLU; global average pooling and a linear classifier.
In a cell, node ``j`` is the sum over ``i < j`` of ``op_{i->j}(node i)`` and node 3 is the output.
Every batch norm is affine (``InferCell`` and ``ResNetBasicblock`` default to ``affine=True``), so
the convolutions carry no bias (``bias=not affine``).

Parameters are counted as NATS-Bench's ``count_parameters_in_MB`` counts them (times 10**6):
every parameter of the network. :func:`parameter_count` gives that number without building it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: The cell's edges ``(from, to)`` in the order :class:`InferCell` takes their ops.
CELL_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


class ReLUConvBN(nn.Module):
    """ReLU, convolution without bias, affine batch norm (xautodl's ``ReLUConvBN``).

    Args:
        c_in: Input channels.
        c_out: Output channels.
        kernel_size: Square kernel side (padding keeps the size at stride 1).
        stride: Convolution stride.
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """The ``none`` op: zeros shaped like the input (stride 1, equal channels inside a cell)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x * 0 rather than zeros_like, as xautodl does: NaNs and infinities still propagate.
        return x.mul(0.0)


def make_op(op: str, channels: int) -> nn.Module:
    """The module of one cell edge at ``channels`` (stride 1, as inside every NB201 cell).

    Args:
        op: One of ``none``, ``skip_connect``, ``nor_conv_1x1``, ``nor_conv_3x3``, ``avg_pool_3x3``.
        channels: Channels in and out.

    Returns:
        The op's module.

    Raises:
        ValueError: If ``op`` is not an NB201 op.
    """
    if op == "none":
        return Zero()
    if op == "skip_connect":
        return nn.Identity()
    if op == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if op == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if op == "avg_pool_3x3":
        # xautodl's POOLING with C_in == C_out: no preprocessing; padding not counted in the mean.
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(
        f"unknown NB201 op {op!r}; expected none, skip_connect, nor_conv_1x1, nor_conv_3x3 or avg_pool_3x3"
    )


class InferCell(nn.Module):
    """One NB201 cell: four nodes, an op on each of the six edges ``i -> j``.

    Args:
        edge_ops: The op of each edge of :data:`CELL_EDGES`, in that order.
        channels: Channels of every node.
    """

    def __init__(self, edge_ops: Sequence[str], channels: int):
        super().__init__()
        self.layers = nn.ModuleList(make_op(op, channels) for op in edge_ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            nodes.append(
                sum(layer(nodes[source]) for layer, (source, to) in zip(self.layers, CELL_EDGES) if to == target)
            )
        return nodes[3]


class ResNetBasicblock(nn.Module):
    """The stride-2 residual block between stages (xautodl's ``ResNetBasicblock``).

    Args:
        c_in: Input channels.
        c_out: Output channels.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        # ceil_mode only matters for odd sides, where the release's floor pooling would not
        # match conv_a's ceil(H / 2) output; even sides (CIFAR's 32, ImageNet16's 16) are unchanged.
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    """The NB201 network of one cell.

    Args:
        edge_ops: The cell's op on each edge of :data:`CELL_EDGES`, in that order.
        channels: ``C``, the channels of the first stage (16 in the benchmark).
        cells_per_stage: ``N``, cells per stage (5 in the benchmark).
        num_classes: Classifier outputs.
        in_channels: Image channels.
    """

    def __init__(
        self,
        edge_ops: Sequence[str],
        channels: int = 16,
        cells_per_stage: int = 5,
        num_classes: int = 10,
        in_channels: int = 3,
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        cells: list[nn.Module] = []
        c_prev = channels
        for stage, c_stage in enumerate((channels, 2 * channels, 4 * channels)):
            if stage > 0:
                cells.append(ResNetBasicblock(c_prev, c_stage))
            cells.extend(InferCell(edge_ops, c_stage) for _ in range(cells_per_stage))
            c_prev = c_stage
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        # Adaptive, so any input side works (the release's 32x32 CIFAR and 16x16 ImageNet16 alike).
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``[B, num_classes]`` for images ``[B, in_channels, H, W]``.

        The release's ``forward`` returns ``(features, logits)``; only the logits are returned here.
        """
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        return self.classifier(self.global_pooling(self.lastact(feature)).flatten(1))


def _op_parameters(op: str, channels: int) -> int:
    """Parameters of one cell edge at ``channels`` (mirrors :func:`make_op`)."""
    kernel = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}.get(op)
    return 0 if kernel is None else channels * channels * kernel * kernel + 2 * channels


def parameter_count(
    edge_ops: Sequence[str],
    channels: int = 16,
    cells_per_stage: int = 5,
    num_classes: int = 10,
    in_channels: int = 3,
) -> int:
    """Every parameter of :class:`TinyNetwork`, computed without building it.

    Args:
        edge_ops: The cell's op on each edge of :data:`CELL_EDGES`.
        channels: ``C``.
        cells_per_stage: ``N``.
        num_classes: Classifier outputs.
        in_channels: Image channels.

    Returns:
        The count (0.073306 M for the all-``none`` cell on CIFAR-10, as the benchmark reports).
    """
    total = in_channels * channels * 9 + 2 * channels  # stem conv + BN
    c_prev = channels
    for stage, c_stage in enumerate((channels, 2 * channels, 4 * channels)):
        if stage > 0:
            # conv_a (3x3, stride 2) + BN, conv_b (3x3) + BN, downsample 1x1 conv
            total += 9 * c_prev * c_stage + 2 * c_stage + 9 * c_stage * c_stage + 2 * c_stage + c_prev * c_stage
        total += cells_per_stage * sum(_op_parameters(op, c_stage) for op in edge_ops)
        c_prev = c_stage
    return total + 2 * c_prev + c_prev * num_classes + num_classes  # lastact BN, classifier
