"""Exact parameter and multiply-accumulate counts of AutoFormer subnets.

Parameters are counted the way the release counts a sampled subnet
(microsoft/Cream, ``AutoFormer/model/supernet_transformer.py``,
``Vision_TransformerSuper.get_sampled_params_numel``): the sum of every
module's ``calc_sampled_param_num`` for the patch embedding, the first
``depth`` blocks, the final LayerNorm and the head, plus
``embed_dim * (2 + num_patches)`` for the class token and the absolute
position embedding. The release trains and evaluates with ``qkv_bias=True``,
``--change_qkv`` (qkv output ``3 * heads * 64``) and ``--relative_position``
(``max_relative_position`` 14), so each layer holds

* two LayerNorms: ``2 * 2E``;
* qkv: ``E * 3 * 64h + 3 * 64h``; proj: ``64h * E + E``;
* relative position tables for k and v (``RelativePosition2D_super``), each
  with a vertical and a horizontal ``(2 * 14 + 2) x 64`` table: ``4 * 30 * 64``;
* fc1: ``E * H + H`` and fc2: ``H * E + E`` with ``H = int(E * mlp_ratio)``.

NNI's port counts without the relative position tables
(``RelativePositionSelfAttention._count_flops``: "skip RPE");
``relative_position=False`` gives that convention.

MACs: multiply-accumulates of the patch convolution and every linear layer
(biases, norms, activations, softmax and additions are not counted), and, with
``attention=True``, of the attention matrix products ``Q K^T`` and ``A V`` and
(with relative positions) of ``Q R_k^T`` and ``A R_v``. The head sees one
pooled vector per image (the release's ``--gp`` global pooling).
"""

from __future__ import annotations

from typing import Any

from archgen.spaces.autoformer.native import SubnetConfig, parse_config
from archgen.spaces.autoformer.ranges import HEAD_DIM

PATCH_SIZE = 16
IN_CHANNELS = 3
IMAGE_SIZE = 224
NUM_CLASSES = 1000
#: ``--max_relative_position`` default of the release; tables have ``2 * 14 + 2`` rows.
MAX_RELATIVE_POSITION = 14


def num_patches(image_size: int = IMAGE_SIZE, patch_size: int = PATCH_SIZE) -> int:
    """Patches of a square image (``(image_size // patch_size) ** 2``, 196 at 224/16)."""
    return (image_size // patch_size) ** 2


def mlp_hidden_dim(embed_dim: int, mlp_ratio: float) -> int:
    """The release's FFN width: ``int(embed_dim * mlp_ratio)`` (truncation, not rounding)."""
    return int(embed_dim * mlp_ratio)


def count_params(
    config: SubnetConfig | dict[str, Any],
    *,
    image_size: int = IMAGE_SIZE,
    num_classes: int = NUM_CLASSES,
    relative_position: bool = True,
) -> int:
    """Exact trainable parameters of a subnet, counted as the release counts them.

    Args:
        config: A :class:`SubnetConfig` or native dict (any values, in or out of a space).
        image_size: Input resolution; fixes the position-embedding length.
        num_classes: Classifier outputs.
        relative_position: Count the relative-position tables (the release does).

    Returns:
        The parameter count.
    """
    config = parse_config(config)
    e = config.embed_dim
    total = e * IN_CHANNELS * PATCH_SIZE * PATCH_SIZE + e  # patch conv + bias
    total += e * (2 + num_patches(image_size))  # cls token + position embedding
    rpe_per_layer = 2 * 2 * (2 * MAX_RELATIVE_POSITION + 2) * HEAD_DIM if relative_position else 0
    for ratio, heads in zip(config.mlp_ratio, config.num_heads):
        inner = heads * HEAD_DIM
        hidden = mlp_hidden_dim(e, ratio)
        total += 2 * 2 * e  # attention and FFN LayerNorms
        total += e * 3 * inner + 3 * inner  # qkv with bias
        total += inner * e + e  # attention projection
        total += rpe_per_layer
        total += e * hidden + hidden + hidden * e + e  # fc1, fc2
    total += 2 * e  # final LayerNorm
    total += e * num_classes + num_classes  # head
    return total


def count_macs(
    config: SubnetConfig | dict[str, Any],
    *,
    image_size: int = IMAGE_SIZE,
    num_classes: int = NUM_CLASSES,
    attention: bool = True,
    relative_position: bool = True,
) -> int:
    """Exact multiply-accumulates of one image through the subnet (convention in the module doc).

    Args:
        config: A :class:`SubnetConfig` or native dict.
        image_size: Input resolution (square).
        num_classes: Classifier outputs.
        attention: Include the attention matrix products, not just conv/linear layers.
        relative_position: Include the two relative-position products (only with ``attention``).

    Returns:
        The MAC count.
    """
    config = parse_config(config)
    e = config.embed_dim
    patches = num_patches(image_size)
    tokens = patches + 1
    total = patches * e * IN_CHANNELS * PATCH_SIZE * PATCH_SIZE
    for ratio, heads in zip(config.mlp_ratio, config.num_heads):
        inner = heads * HEAD_DIM
        hidden = mlp_hidden_dim(e, ratio)
        total += tokens * (e * 3 * inner + inner * e + e * hidden + hidden * e)
        if attention:
            products = 4 if relative_position else 2
            total += products * tokens * tokens * inner
    total += e * num_classes
    return total
