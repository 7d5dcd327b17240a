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

FLOPs as the release counts them (:func:`count_flops_release`): the
``get_complexity`` methods of microsoft/Cream ``AutoFormer/model`` (commit
4a13c4091e78), a different rule that AutoFormer's published FLOPs come from;
see that function. Search constraints use it as the ``flops_release`` oracle
metric (GFLOPs) of :class:`~archgen.spaces.autoformer.space.AutoFormerSpace`.
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


def count_flops_release(
    config: SubnetConfig | dict[str, Any],
    *,
    image_size: int = IMAGE_SIZE,
    num_classes: int = NUM_CLASSES,
    relative_position: bool = True,
) -> float:
    """FLOPs of one image as the release's ``get_complexity`` counts them (a float: it halves terms).

    A transcription of microsoft/Cream, commit 4a13c4091e78,
    ``AutoFormer/model/supernet_transformer.py``
    (``Vision_TransformerSuper.get_complexity`` and
    ``TransformerEncoderLayer.get_complexity``) and the modules' own
    ``get_complexity`` in ``AutoFormer/model/module/``, with the model's
    ``sequence_length`` = the number of patches (196 at 224 px):

    * patch embedding (``PatchembedSuper``): ``E + patches * E * 3 * 16 * 16``;
    * the position embedding: ``(patches + 1) * E / 2``;
    * each layer is called at ``patches + 1`` and adds 1 again for all its parts,
      so its sequence is ``L = patches + 2``: two LayerNorms ``L * E`` each
      (``LayerNormSuper``); qkv ``L * E * 3 * 64h`` and proj ``L * 64h * E``
      (``LinearSuper``/``qkv_super``: sequence times the weight's size); the
      attention products ``2 * L^2 * 64h``; with relative positions
      (``AttentionSuper``, ``max_relative_position = 14``)
      ``14 * L^2 + L^2 / 2`` and ``14 * L^2 + L * 64h / 2``; fc1 and fc2
      ``L * E * H`` each;
    * the head at ``patches + 1``: ``(patches + 1) * E * num_classes``.

    The final LayerNorm and biases (except the patch embedding's) are not
    counted, as in the release. Published AutoFormer-T/S/B: 1.3 / 5.1 / 11 G
    (AutoFormer, arXiv 2107.00651, as quoted in issue 10); this rule gives 1.344 / 4.892 / 11.237 G: T and
    B agree at the published precision, S does not (4.9, not 5.1), and
    :func:`count_macs` (1.48 / 5.16 / 11.69 G) matches none of the three.
    The release never calls ``get_complexity`` itself, so the
    ``sequence_length`` it was given is not recorded; 196 (patches) is the
    value for which its ``+ 1`` is the class token.

    Args:
        config: A :class:`SubnetConfig` or native dict.
        image_size: Input resolution (square).
        num_classes: Classifier outputs.
        relative_position: Count the relative-position terms (the release
            trains with ``--relative_position``).

    Returns:
        The FLOP count (not divided by 1e9).
    """
    config = parse_config(config)
    e = config.embed_dim
    patches = num_patches(image_size)
    total = e + patches * e * IN_CHANNELS * PATCH_SIZE * PATCH_SIZE
    total += (patches + 1) * e / 2.0
    length = patches + 2
    for ratio, heads in zip(config.mlp_ratio, config.num_heads):
        inner = heads * HEAD_DIM
        hidden = mlp_hidden_dim(e, ratio)
        total += 2 * length * e  # attention and FFN LayerNorms
        total += length * e * 3 * inner + length * inner * e  # qkv, proj
        total += 2 * length * length * inner  # Q K^T and A V
        if relative_position:
            total += MAX_RELATIVE_POSITION * length * length + length * length / 2.0
            total += MAX_RELATIVE_POSITION * length * length + length * inner / 2.0
        total += 2 * length * e * hidden  # fc1, fc2
    total += (patches + 1) * e * num_classes
    return total
