"""The concrete layer plan of an OFA-MobileNetV3 subnet: channels, strides, activations.

Everything that needs the real network -- the model builder, the exact
parameter/MAC counters and the latency lookup -- reads the same plan, so they
cannot disagree about a channel count.

The plan follows github mit-han-lab/once-for-all:

* ``ofa/imagenet_classification/elastic_nn/networks/ofa_mbv3.py``
  (``OFAMobileNetV3.__init__``): base widths ``[16, 16, 24, 40, 80, 112, 160, 960, 1280]``,
  every one (the final-expand 960 and feature-mix 1280 included) scaled as
  ``make_divisible(w * width_mult, 8)``; strides ``[1, 2, 2, 2, 1, 2]``;
  activations ``[relu, relu, relu, h_swish, h_swish, h_swish]``; SE
  ``[F, F, T, F, T, T]`` (the first entry is the fixed first block); the first
  conv 3x3 stride 2 with h_swish; the first block an MBConv with expand 1,
  kernel 3, relu and an identity shortcut; a block has an identity shortcut
  iff its stride is 1 and its input and output widths match.
* ``ofa/imagenet_classification/elastic_nn/modules/dynamic_layers.py``
  (``DynamicMBConvLayer.active_middle_channel``): the expanded width is
  ``make_divisible(round(in_channels * expand), 8)``; the SE hidden width is
  ``make_divisible(mid // 4, 8)``.
* ``ofa/utils/pytorch_modules.py``: ``make_divisible`` and ``SEModule``
  (reduction 4).

(``MobileNetV3Large`` in ``networks/mobilenet_v3.py`` keeps ``last_channel``
at 1280 for ``width_mult <= 1``; the OFA network does not: it always scales it.)
"""

from __future__ import annotations

from dataclasses import dataclass

from archgen.spaces.mbv3.subnet import Subnet

CHANNEL_DIVISIBLE = 8
SE_REDUCTION = 4

BASE_WIDTHS = (16, 16, 24, 40, 80, 112, 160, 960, 1280)
STAGE_STRIDES = (2, 2, 2, 1, 2)
STAGE_ACTIVATIONS = ("relu", "relu", "h_swish", "h_swish", "h_swish")
STAGE_SE = (False, True, False, True, True)


def make_divisible(value: float, divisor: int = CHANNEL_DIVISIBLE, min_value: int | None = None) -> int:
    """Rounds a channel count to a multiple of ``divisor`` (TF MobileNet's rule, as in OFA).

    Args:
        value: The unrounded channel count.
        divisor: The multiple to round to.
        min_value: Lower bound (defaults to ``divisor``).

    Returns:
        The nearest multiple of ``divisor``, bumped up once if rounding down lost more than 10%.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def conv_output_size(size: int, stride: int) -> int:
    """Spatial size after an odd-kernel conv with 'same' padding ``k // 2`` and ``stride``."""
    return (size - 1) // stride + 1


@dataclass(frozen=True)
class ConvSpec:
    """A plain conv layer (first conv, final expand, feature mix)."""

    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    input_size: int
    output_size: int
    batch_norm: bool
    activation: str


@dataclass(frozen=True)
class BlockSpec:
    """One MBConv block (inverted bottleneck, depthwise conv, optional SE, projection)."""

    in_channels: int
    mid_channels: int
    out_channels: int
    kernel: int
    stride: int
    expand: int
    activation: str
    se: bool
    se_channels: int
    residual: bool
    input_size: int
    output_size: int


@dataclass(frozen=True)
class Blueprint:
    """The layer plan of one subnet at one width and resolution.

    Attributes:
        resolution: Input image side.
        first_conv: 3x3 stride-2 stem.
        blocks: The fixed first block, then every active searched block.
        final_expand: 1x1 conv to ``960 * width`` channels.
        feature_mix: 1x1 conv (no BN, no bias) after global pooling.
        num_classes: Classifier outputs.
    """

    resolution: int
    first_conv: ConvSpec
    blocks: tuple[BlockSpec, ...]
    final_expand: ConvSpec
    feature_mix: ConvSpec
    num_classes: int

    @property
    def classifier_in(self) -> int:
        """Input features of the linear classifier."""
        return self.feature_mix.out_channels


def stage_widths(width_mult: float) -> tuple[int, ...]:
    """All nine widths of the network (stem, first block, 5 stages, final expand, feature mix)."""
    return tuple(make_divisible(width * width_mult) for width in BASE_WIDTHS)


def blueprint(subnet: Subnet, width_mult: float, resolution: int, num_classes: int = 1000) -> Blueprint:
    """Lays out ``subnet`` at ``width_mult`` for ``resolution`` x ``resolution`` inputs.

    Args:
        subnet: The normalised subnet choice.
        width_mult: OFA width multiplier (1.0 or 1.2 in the released networks).
        resolution: Input side in pixels.
        num_classes: Classifier outputs.

    Returns:
        The layer plan.
    """
    widths = stage_widths(width_mult)
    stem, first_block_width, searched = widths[0], widths[1], widths[2:7]
    final_expand, last_channel = widths[7], widths[8]
    size = conv_output_size(resolution, 2)
    first_conv = ConvSpec(3, stem, 3, 2, resolution, size, True, "h_swish")
    blocks = [
        BlockSpec(stem, stem, first_block_width, 3, 1, 1, "relu", False, 0, stem == first_block_width, size, size)
    ]
    channels = first_block_width
    for stage, index, kernel, expand in subnet.active_blocks():
        stride = STAGE_STRIDES[stage] if index == 0 else 1
        out_channels = searched[stage]
        mid = make_divisible(round(channels * expand))
        se = STAGE_SE[stage]
        out_size = conv_output_size(size, stride)
        blocks.append(
            BlockSpec(
                in_channels=channels,
                mid_channels=mid,
                out_channels=out_channels,
                kernel=kernel,
                stride=stride,
                expand=expand,
                activation=STAGE_ACTIVATIONS[stage],
                se=se,
                se_channels=make_divisible(mid // SE_REDUCTION) if se else 0,
                residual=stride == 1 and channels == out_channels,
                input_size=size,
                output_size=out_size,
            )
        )
        channels, size = out_channels, out_size
    return Blueprint(
        resolution=resolution,
        first_conv=first_conv,
        blocks=tuple(blocks),
        final_expand=ConvSpec(channels, final_expand, 1, 1, size, size, True, "h_swish"),
        feature_mix=ConvSpec(final_expand, last_channel, 1, 1, 1, 1, False, "h_swish"),
        num_classes=num_classes,
    )
