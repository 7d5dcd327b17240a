"""The CIFAR network DARTS builds from a genotype (its evaluation network).

Semantics of the DARTS release (github quark0/darts, ``cnn/model.py``,
``NetworkCIFAR``): a 3x3 convolution stem to ``3 * C`` channels; ``layers``
cells, the ones at ``layers // 3`` and ``2 * layers // 3`` reduction cells
that double the channels and halve the resolution (ops on the cell inputs
stride 2); a cell preprocesses ``c_{k-2}`` with a :class:`FactorizedReduce`
when the previous cell reduced (else a 1x1 ReLU-conv-BN), and ``c_{k-1}``
with a 1x1 ReLU-conv-BN; drop-path on every non-identity op while training;
global average pooling and a linear classifier; optionally an auxiliary head
after cell ``2 * layers // 3``.

Parameters are counted the way the release's ``utils.count_parameters_in_MB``
does (its later version): every parameter whose name does not contain
``auxiliary``.
"""

from __future__ import annotations

import torch
from torch import nn

from archgen.spaces.darts.genotype import Cell as CellPairs
from archgen.spaces.darts.genotype import Genotype
from archgen.spaces.darts.operations import OPS, FactorizedReduce, Identity, ReLUConvBN, drop_path

STEM_MULTIPLIER = 3


class Cell(nn.Module):
    """One discrete DARTS cell.

    Args:
        pairs: The cell's eight ``(op, input)`` pairs.
        concat: Nodes concatenated into the output.
        c_prev_prev: Channels of ``c_{k-2}``.
        c_prev: Channels of ``c_{k-1}``.
        channels: Channels of every node of this cell.
        reduction: Whether this cell halves the resolution.
        reduction_prev: Whether the previous cell did (``c_{k-2}`` is then twice as large).
    """

    def __init__(
        self,
        pairs: CellPairs,
        concat: tuple[int, ...],
        c_prev_prev: int,
        c_prev: int,
        channels: int,
        reduction: bool,
        reduction_prev: bool,
    ):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = (
            FactorizedReduce(c_prev_prev, channels) if reduction_prev else ReLUConvBN(c_prev_prev, channels, 1, 1, 0)
        )
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self._inputs = tuple(index for _, index in pairs)
        self._concat = tuple(concat)
        self.multiplier = len(self._concat)
        self._ops = nn.ModuleList(
            OPS[op](channels, 2 if reduction and index < 2 else 1, True) for op, index in pairs
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for step in range(len(self._ops) // 2):
            total = 0
            for position in (2 * step, 2 * step + 1):
                op = self._ops[position]
                h = op(states[self._inputs[position]])
                if self.training and drop_prob > 0.0 and not isinstance(op, Identity):
                    h = drop_path(h, drop_prob)
                total = total + h
            states.append(total)
        return torch.cat([states[i] for i in self._concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """The auxiliary classifier on the 8x8 feature map after the second reduction."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(channels, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class NetworkCIFAR(nn.Module):
    """The DARTS evaluation network for 32x32 inputs.

    Args:
        genotype: A valid genotype.
        channels: Initial channels ``C`` (36 in the paper).
        layers: Number of cells (20 in the paper).
        num_classes: Classifier outputs.
        auxiliary: Whether to add the auxiliary head.

    Attributes:
        drop_path_prob: Drop-path probability used while training (set per epoch by a trainer).
    """

    def __init__(
        self, genotype: Genotype, channels: int = 36, layers: int = 20, num_classes: int = 10, auxiliary: bool = False
    ):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary
        self.drop_path_prob = 0.0
        c_curr = STEM_MULTIPLIER * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_auxiliary = c_prev
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            pairs, concat = _cell_of(genotype, reduction)
            cell = Cell(pairs, concat, c_prev_prev, c_prev, c_curr, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == 2 * layers // 3:
                c_auxiliary = c_prev
        self.auxiliary_head = AuxiliaryHeadCIFAR(c_auxiliary, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_with_auxiliary(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits, auxiliary logits)`` as the release's ``forward`` returns them.

        The auxiliary logits are ``None`` unless the head exists and the model is training.
        """
        auxiliary_logits = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3 and self.auxiliary_head is not None and self.training:
                auxiliary_logits = self.auxiliary_head(s1)
        logits = self.classifier(self.global_pooling(s1).flatten(1))
        return logits, auxiliary_logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``[B, num_classes]`` for images ``[B, 3, H, W]``."""
        return self.forward_with_auxiliary(x)[0]


def _cell_of(genotype: Genotype, reduction: bool) -> tuple[CellPairs, tuple[int, ...]]:
    """The pairs and concatenation of the reduction or the normal cell."""
    return (genotype.reduce, genotype.reduce_concat) if reduction else (genotype.normal, genotype.normal_concat)


def count_parameters(model: nn.Module) -> int:
    """Parameters as DARTS counts them: every one whose name lacks ``auxiliary``."""
    return sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)


def _op_parameters(op: str, channels: int, stride: int) -> int:
    """Parameters of one op module at ``channels`` (mirrors :data:`OPS`)."""
    batch_norm = 2 * channels
    separable = {"sep_conv_3x3": 3, "sep_conv_5x5": 5}
    dilated = {"dil_conv_3x3": 3, "dil_conv_5x5": 5}
    if op in separable:
        return 2 * (channels * separable[op] ** 2 + channels * channels + batch_norm)
    if op in dilated:
        return channels * dilated[op] ** 2 + channels * channels + batch_norm
    if op == "skip_connect" and stride == 2:
        return channels * channels + batch_norm  # FactorizedReduce: two C x C/2 1x1 convolutions
    return 0  # pools, identity


def parameter_count(genotype: Genotype, channels: int = 36, layers: int = 20, num_classes: int = 10) -> int:
    """:func:`count_parameters` of :class:`NetworkCIFAR`, computed without building it.

    Both cell preprocessings (1x1 ReLU-conv-BN, or FactorizedReduce after a
    reduction) hold ``c_in * C + 2 * C`` parameters; the auxiliary head is
    excluded, as DARTS counts.
    """
    c_curr = STEM_MULTIPLIER * channels
    total = 3 * c_curr * 9 + 2 * c_curr
    c_prev_prev, c_prev, c_curr = c_curr, c_curr, channels
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        if reduction:
            c_curr *= 2
        pairs, concat = _cell_of(genotype, reduction)
        total += (c_prev_prev + c_prev) * c_curr + 4 * c_curr
        total += sum(_op_parameters(op, c_curr, 2 if reduction and index < 2 else 1) for op, index in pairs)
        c_prev_prev, c_prev = c_prev, len(concat) * c_curr
    return total + c_prev * num_classes + num_classes
