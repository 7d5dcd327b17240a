"""The network NAS-Bench-101 trains for a cell, in PyTorch.

Semantics of the release (github google-research/nasbench, ``nasbench/lib/model_builder.py``
``build_model_fn`` / ``build_module`` / ``compute_vertex_channels`` and ``nasbench/lib/base_ops.py``),
with its defaults (``nasbench/lib/config.py``): a 3x3 conv-BN-ReLU stem to 128 channels; 3 stacks
of 3 modules (cells), each stack after the first preceded by a 2x2 max pool of stride 2 and
doubling the channels; global average pooling and a dense layer with bias.

In a module, every interior vertex gets the sum of its interior inputs (truncated to its channel
count) and, when the input feeds it, a 1x1 conv-BN-ReLU projection of the module input; the output
is the concatenation of the vertices that feed it, plus a projection of the module input when the
input feeds the output directly. Convolutions have no bias and every batch norm has a trainable
scale and offset (``tf.layers.batch_normalization``'s defaults), so the parameters counted here
are the release's ``trainable_parameters``.

Not carried over (no parameter depends on them): TF's variance-scaling initialiser (PyTorch's
default initialisation is used) and the batch-norm decay of 0.997 (PyTorch's default momentum of
0.1 is kept, which suits the short training runs archgen's oracles make).

The cell must be pruned (every vertex on an input-to-output path), as ``ModelSpec`` prunes it
before the release builds the module; :meth:`archgen.spaces.nb101.space.NB101Space.pruned` does it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: Kernel side of each convolution op; ``maxpool3x3`` has no parameters.
CONV_KERNEL = {"conv3x3-bn-relu": 3, "conv1x1-bn-relu": 1}


def compute_vertex_channels(input_channels: int, output_channels: int, matrix: Sequence[Sequence[int]]) -> list[int]:
    """The channels of every vertex of a pruned module (the release's ``compute_vertex_channels``).

    The output's channels are split evenly among the vertices that feed it (the first ones take
    one extra channel each while a remainder is left); every other interior vertex takes the
    largest channel count among the interior vertices it feeds.

    Args:
        input_channels: Channels of the module input.
        output_channels: Channels of the module output.
        matrix: The pruned module's adjacency (upper triangular, input first, output last).

    Returns:
        One channel count per vertex, input and output included.
    """
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[n - 1] = input_channels, output_channels
    if n == 2:
        return channels
    # The input's edge into the output is a projection added to the concatenation, not a share of it.
    feeders = [v for v in range(1, n - 1) if matrix[v][n - 1]]
    share, remainder = divmod(output_channels, len(feeders))
    for rank, v in enumerate(feeders):
        channels[v] = share + (1 if rank < remainder else 0)
    # Backwards, so each vertex's successors are already sized.
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            channels[v] = max(channels[dst] for dst in range(v + 1, n - 1) if matrix[v][dst])
    return channels


class ConvBnRelu(nn.Sequential):
    """Convolution (``same`` padding, no bias), batch norm, ReLU: the release's ``conv_bn_relu``.

    Args:
        c_in: Input channels.
        c_out: Output channels.
        kernel_size: Odd square kernel side.
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int):
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=1e-5),
            nn.ReLU(inplace=False),
        )


def make_op(op: str, channels: int) -> nn.Module:
    """The module of one interior vertex (``base_ops.OP_MAP``).

    Args:
        op: ``conv3x3-bn-relu``, ``conv1x1-bn-relu`` or ``maxpool3x3``.
        channels: Channels in and out of the vertex.

    Returns:
        The vertex's module.

    Raises:
        ValueError: If ``op`` is not a NAS-Bench-101 op.
    """
    if op in CONV_KERNEL:
        return ConvBnRelu(channels, channels, CONV_KERNEL[op])
    if op == "maxpool3x3":
        # TF's 'same' max pooling ignores the padding; PyTorch pads max pooling with -inf, the same.
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise ValueError(f"unknown NB101 op {op!r}; expected conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3")


class Cell(nn.Module):
    """One NAS-Bench-101 module built from a pruned cell.

    Args:
        matrix: The pruned adjacency.
        ops: The pruned ops, ``input`` first and ``output`` last.
        c_in: Channels of the module input.
        c_out: Channels of the module output.
    """

    def __init__(self, matrix: Sequence[Sequence[int]], ops: Sequence[str], c_in: int, c_out: int):
        super().__init__()
        n = len(ops)
        self.matrix = tuple(tuple(int(bit) for bit in row) for row in matrix)
        self.channels = compute_vertex_channels(c_in, c_out, self.matrix)
        # Index v holds vertex v's module; the ends hold placeholders so indices stay vertex numbers.
        self.vertex_ops = nn.ModuleList(
            make_op(ops[v], self.channels[v]) if 0 < v < n - 1 else nn.Identity() for v in range(n)
        )
        self.projections = nn.ModuleDict(
            {str(v): ConvBnRelu(c_in, self.channels[v], 1) for v in range(1, n) if self.matrix[0][v]}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(self.matrix)
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            # Only the extra channel of an uneven split can differ; keeping the first ones is the release's slice.
            inputs = [tensors[src][:, : self.channels[t]] for src in range(1, t) if self.matrix[src][t]]
            if self.matrix[0][t]:
                inputs.append(self.projections[str(t)](x))
            tensors.append(self.vertex_ops[t](sum(inputs[1:], inputs[0])))
            if self.matrix[t][n - 1]:
                concat.append(tensors[t])
        if not concat:  # only input -> output survives pruning
            return self.projections[str(n - 1)](x)
        out = torch.cat(concat, dim=1) if len(concat) > 1 else concat[0]
        if self.matrix[0][n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NASBench101Network(nn.Module):
    """The NAS-Bench-101 network of one pruned cell.

    Args:
        matrix: The pruned adjacency.
        ops: The pruned ops.
        num_classes: Dense-layer outputs.
        in_channels: Image channels.
        stem_channels: Channels after the stem (128 in the benchmark).
        num_stacks: Stacks (3).
        cells_per_stack: Modules per stack (3).
    """

    def __init__(
        self,
        matrix: Sequence[Sequence[int]],
        ops: Sequence[str],
        num_classes: int = 10,
        in_channels: int = 3,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
    ):
        super().__init__()
        self.stem = ConvBnRelu(in_channels, stem_channels, 3)
        layers: list[nn.Module] = []
        c_prev = channels = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                # TF's 'same' 2x2/2 pooling pads odd sides at the end: ceil_mode gives the same windows.
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                channels *= 2
            for _ in range(cells_per_stack):
                layers.append(Cell(matrix, ops, c_prev, channels))
                c_prev = channels
        self.layers = nn.Sequential(*layers)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``[B, num_classes]`` for images ``[B, in_channels, H, W]``."""
        return self.classifier(self.global_pooling(self.layers(self.stem(x))).flatten(1))


def _cell_parameters(matrix: Sequence[Sequence[int]], ops: Sequence[str], c_in: int, c_out: int) -> int:
    """Parameters of one :class:`Cell` (convolutions plus the batch norms' scale and offset)."""
    channels = compute_vertex_channels(c_in, c_out, matrix)
    total = 0
    for v in range(1, len(ops)):
        if matrix[0][v]:
            total += c_in * channels[v] + 2 * channels[v]  # 1x1 projection
        kernel = CONV_KERNEL.get(ops[v]) if v < len(ops) - 1 else None
        if kernel is not None:
            total += kernel * kernel * channels[v] * channels[v] + 2 * channels[v]
    return total


def parameter_count(
    matrix: Sequence[Sequence[int]],
    ops: Sequence[str],
    num_classes: int = 10,
    in_channels: int = 3,
    stem_channels: int = 128,
    num_stacks: int = 3,
    cells_per_stack: int = 3,
) -> int:
    """Every parameter of :class:`NASBench101Network`, computed without building it.

    Args:
        matrix: The pruned adjacency.
        ops: The pruned ops.
        num_classes: Dense-layer outputs.
        in_channels: Image channels.
        stem_channels: Channels after the stem.
        num_stacks: Stacks.
        cells_per_stack: Modules per stack.

    Returns:
        The count; with the defaults, the release's ``trainable_parameters``.
    """
    total = in_channels * stem_channels * 9 + 2 * stem_channels
    c_prev = channels = stem_channels
    for stack in range(num_stacks):
        if stack > 0:
            channels *= 2
        for _ in range(cells_per_stack):
            total += _cell_parameters(matrix, ops, c_prev, channels)
            c_prev = channels
    return total + c_prev * num_classes + num_classes
