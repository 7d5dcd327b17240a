"""The choice sets of the AutoFormer-T/S/B search spaces.

Source (microsoft/Cream, ``AutoFormer/experiments/supernet/supernet-{T,S,B}.yaml``,
``SEARCH_SPACE`` section; the same sets are repeated in
``AutoFormer/experiments/subnet/AutoFormer-{T,S,B}.yaml``):

======  ===============  =========  ==============  ============
size    EMBED_DIM        DEPTH      MLP_RATIO       NUM_HEADS
======  ===============  =========  ==============  ============
tiny    192, 216, 240    12-14      3.5, 4.0        3, 4
small   320, 384, 448    12-14      3.0, 3.5, 4.0   5, 6, 7
base    528, 576, 624    14-16      3.0, 3.5, 4.0   8, 9, 10
======  ===============  =========  ==============  ============

The published AutoFormer-T subnet (``experiments/subnet/AutoFormer-T.yaml``,
``RETRAIN``) uses MLP ratio 3.0 in three layers, which supernet-T.yaml does
not list. NNI's port (``nni/nas/hub/pytorch/autoformer.py``,
``AutoFormer.preset("tiny")``) widens the tiny MLP choices to 3.0/3.5/4.0 for
that reason; the ``"nni"`` range set reproduces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Size = Literal["tiny", "small", "base"]
RangeSet = Literal["release", "nni"]

#: AutoFormer's attention uses a fixed 64-dimensional head (``change_qkv``: the
#: qkv output is ``3 * num_heads * 64``), independent of the embedding dim.
HEAD_DIM = 64


@dataclass(frozen=True)
class SearchRanges:
    """The choices of one AutoFormer search space.

    Attributes:
        size: ``"tiny"``, ``"small"`` or ``"base"``.
        embed_dims: Embedding dimension choices (shared by all layers).
        depths: Number-of-layers choices.
        mlp_ratios: Per-layer MLP ratio choices.
        num_heads: Per-layer attention head choices.
    """

    size: str
    embed_dims: tuple[int, ...]
    depths: tuple[int, ...]
    mlp_ratios: tuple[float, ...]
    num_heads: tuple[int, ...]

    @property
    def max_depth(self) -> int:
        """The deepest subnet's number of layers."""
        return max(self.depths)

    def size_of_space(self) -> int:
        """Distinct subnets: ``sum over depth d of |embed| * (|mlp| * |heads|) ** d``."""
        per_layer = len(self.mlp_ratios) * len(self.num_heads)
        return sum(len(self.embed_dims) * per_layer**depth for depth in self.depths)


_RELEASE: dict[str, SearchRanges] = {
    "tiny": SearchRanges("tiny", (192, 216, 240), (12, 13, 14), (3.5, 4.0), (3, 4)),
    "small": SearchRanges("small", (320, 384, 448), (12, 13, 14), (3.0, 3.5, 4.0), (5, 6, 7)),
    "base": SearchRanges("base", (528, 576, 624), (14, 15, 16), (3.0, 3.5, 4.0), (8, 9, 10)),
}

_NNI: dict[str, SearchRanges] = {
    **_RELEASE,
    "tiny": SearchRanges("tiny", (192, 216, 240), (12, 13, 14), (3.0, 3.5, 4.0), (3, 4)),
}


def search_ranges(size: str, range_set: str = "release") -> SearchRanges:
    """The choice sets of one AutoFormer space.

    Args:
        size: ``"tiny"``, ``"small"`` or ``"base"``.
        range_set: ``"release"`` (the supernet YAMLs) or ``"nni"`` (NNI's presets).

    Returns:
        The ranges.

    Raises:
        KeyError: For an unknown size or range set.
    """
    table = {"release": _RELEASE, "nni": _NNI}[range_set]
    return table[size]
