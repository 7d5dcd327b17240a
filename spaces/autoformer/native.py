"""AutoFormer's native subnet description and its structural checks.

The native form is the dict the AutoFormer release passes to
``Vision_TransformerSuper.set_sample_config`` (``embed_dim``, ``layer_num``,
``mlp_ratio``, ``num_heads``), written with one embedding dim (the release
repeats it per layer) and ``depth`` for ``layer_num``::

    {"embed_dim": 192, "depth": 12, "mlp_ratio": [3.5, ...], "num_heads": [3, ...]}

Only the *shape* of the description is checked here; whether the values lie
in a search space's ranges is :class:`archgen.spaces.autoformer.space.AutoFormerSpace`'s
business, so the counters also accept configs from outside every space (the
published AutoFormer-T, for one).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from archgen.errors import InvalidArchitectureError, clipped

NATIVE_KEYS = ("embed_dim", "depth", "mlp_ratio", "num_heads")

#: Other spellings of the keys found in AutoFormer-derived data (Auto-Prox's
#: ``gt_autoformer`` records say ``hidden_dim``; the release says ``layer_num``).
KEY_ALIASES = {"hidden_dim": "embed_dim", "layer_num": "depth"}


@dataclass(frozen=True)
class SubnetConfig:
    """One AutoFormer ViT subnet.

    Attributes:
        embed_dim: Embedding dimension, shared by every layer.
        depth: Number of transformer layers.
        mlp_ratio: One MLP ratio per layer (hidden width ``int(embed_dim * ratio)``).
        num_heads: One head count per layer (64-dimensional heads).
    """

    embed_dim: int
    depth: int
    mlp_ratio: tuple[float, ...]
    num_heads: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """The native dict, keys in the order ``embed_dim, depth, mlp_ratio, num_heads``."""
        return {
            "embed_dim": self.embed_dim,
            "depth": self.depth,
            "mlp_ratio": list(self.mlp_ratio),
            "num_heads": list(self.num_heads),
        }

    def to_json(self) -> str:
        """Compact JSON of :meth:`to_dict` (AutoFormer's native string)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def as_tuple(self) -> tuple[int, int, tuple[float, ...], tuple[int, ...]]:
        """``(embed_dim, depth, mlp_ratio, num_heads)``."""
        return (self.embed_dim, self.depth, self.mlp_ratio, self.num_heads)


def parse_config(value: Any, *, aliases: bool = False) -> SubnetConfig:
    """Checks the shape of a native dict and normalises it.

    Integers are accepted as MLP ratios (the release's YAMLs write ``4``) and
    become floats; booleans are rejected everywhere.

    Args:
        value: A mapping with exactly the four native keys.
        aliases: Also accept the spellings in :data:`KEY_ALIASES`.

    Returns:
        The config.

    Raises:
        InvalidArchitectureError: Naming the bad key or value and the expected form.
    """
    if isinstance(value, SubnetConfig):
        return value
    if not isinstance(value, dict):
        raise InvalidArchitectureError(
            f"AutoFormer subnet must be a dict with keys {list(NATIVE_KEYS)}, got {type(value).__name__}"
        )
    data = {(KEY_ALIASES.get(k, k) if aliases else k): v for k, v in value.items()}
    if len(data) != len(value) or set(data) != set(NATIVE_KEYS):
        raise InvalidArchitectureError(
            f"AutoFormer subnet has keys {clipped(sorted(map(str, value)))}; expected exactly {list(NATIVE_KEYS)}"
        )
    embed_dim, depth = data["embed_dim"], data["depth"]
    for name, number in (("embed_dim", embed_dim), ("depth", depth)):
        if not _is_int(number) or number < 1:
            raise InvalidArchitectureError(f"{name} = {clipped(number)}; expected a positive integer")
    ratios, heads = data["mlp_ratio"], data["num_heads"]
    for name, items in (("mlp_ratio", ratios), ("num_heads", heads)):
        if not isinstance(items, (list, tuple)):
            raise InvalidArchitectureError(f"{name} = {clipped(items)}; expected a list with one entry per layer")
        if len(items) != depth:
            raise InvalidArchitectureError(f"{name} has {len(items)} entries; depth is {depth}")
    for layer, ratio in enumerate(ratios):
        if not (_is_int(ratio) or isinstance(ratio, float)) or not math.isfinite(ratio) or ratio <= 0:
            raise InvalidArchitectureError(f"mlp_ratio[{layer}] = {clipped(ratio)}; expected a positive number")
    for layer, count in enumerate(heads):
        if not _is_int(count) or count < 1:
            raise InvalidArchitectureError(f"num_heads[{layer}] = {clipped(count)}; expected a positive integer")
    return SubnetConfig(int(embed_dim), int(depth), tuple(float(r) for r in ratios), tuple(int(h) for h in heads))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
