"""The OFA-MobileNetV3 subnet choice: kernel size and expand ratio per block slot, depth per stage.

Once-for-All's elastic MobileNetV3 has 5 searched stages of up to 4 blocks
(20 block slots). A subnet picks a depth in {2, 3, 4} for every stage and a
kernel size in {3, 5, 7} and an expand ratio in {3, 4, 6} for every slot; only
the first ``depth`` slots of a stage run, so the choices of the others do not
change the network. This module holds that choice as a value
(:class:`Subnet`), in the normalised form archgen uses everywhere: unused
slots carry the smallest choices (kernel 3, expand 3), so the native dict stays
a valid argument of OFA's ``set_active_subnet`` and two dicts that describe the
same network normalise to the same value.

Source: github mit-han-lab/once-for-all,
``ofa/imagenet_classification/elastic_nn/networks/ofa_mbv3.py``
(``set_active_subnet``, ``sample_active_subnet``, ``block_group_info``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archgen.errors import InvalidArchitectureError, clipped

KERNEL_SIZES = (3, 5, 7)
EXPAND_RATIOS = (3, 4, 6)
DEPTHS = (2, 3, 4)
NUM_STAGES = 5
MAX_BLOCKS_PER_STAGE = 4
NUM_SLOTS = NUM_STAGES * MAX_BLOCKS_PER_STAGE

#: What an unused slot is written as in the normalised native form.
UNUSED_KERNEL = KERNEL_SIZES[0]
UNUSED_EXPAND = EXPAND_RATIOS[0]

NATIVE_KEYS = ("ks", "e", "d")
NATIVE_EXAMPLE = '{"ks": [20 ints in {3,5,7}], "e": [20 ints in {3,4,6}], "d": [5 ints in {2,3,4}]}'


@dataclass(frozen=True)
class Subnet:
    """One OFA-MobileNetV3 subnet, normalised.

    Attributes:
        ks: 20 kernel sizes, slot ``4 * stage + i``; unused slots are 3.
        e: 20 expand ratios; unused slots are 3.
        d: 5 stage depths.
    """

    ks: tuple[int, ...]
    e: tuple[int, ...]
    d: tuple[int, ...]

    def active_blocks(self) -> list[tuple[int, int, int, int]]:
        """``(stage, index_in_stage, kernel, expand)`` of every block that runs, in order."""
        return [
            (stage, i, self.ks[stage * MAX_BLOCKS_PER_STAGE + i], self.e[stage * MAX_BLOCKS_PER_STAGE + i])
            for stage in range(NUM_STAGES)
            for i in range(self.d[stage])
        ]

    def to_native(self) -> dict[str, list[int]]:
        """The OFA ``{"ks": [...20], "e": [...20], "d": [...5]}`` dict (fresh lists)."""
        return {"ks": list(self.ks), "e": list(self.e), "d": list(self.d)}

    def to_json(self) -> str:
        """Compact JSON of :meth:`to_native`, keys in the order ks, e, d."""
        return json.dumps(self.to_native(), separators=(",", ":"))


def is_used(slot: int, depths: Sequence[int]) -> bool:
    """Whether block slot ``slot`` runs under the stage depths ``depths``."""
    return slot % MAX_BLOCKS_PER_STAGE < depths[slot // MAX_BLOCKS_PER_STAGE]


def subnet_from_native(config: Any) -> Subnet:
    """Validates and normalises an OFA subnet dict.

    Unused slots may hold any allowed value or 0 (the accuracy predictor's
    "skipped" marker); they are normalised to kernel 3, expand 3.

    Args:
        config: A mapping with exactly the keys ``ks`` (20 ints), ``e`` (20 ints)
            and ``d`` (5 ints).

    Returns:
        The normalised subnet.

    Raises:
        InvalidArchitectureError: Naming the bad key or value and the accepted form.
    """
    if not isinstance(config, Mapping):
        raise InvalidArchitectureError(
            f"an OFA-MobileNetV3 subnet must be a dict {NATIVE_EXAMPLE}, got {type(config).__name__}"
        )
    keys = set(config)
    if "r" in keys:
        raise InvalidArchitectureError(
            "key 'r' (resolution) is not part of an mbv3 architecture; pass resolution= to "
            "accuracy()/latency()/count_macs() or set the space's 'resolution' option"
        )
    if keys != set(NATIVE_KEYS):
        raise InvalidArchitectureError(
            f"OFA-MobileNetV3 subnet has keys {clipped(sorted(map(str, keys)))}; expected exactly ['d', 'e', 'ks'] "
            f"as in {NATIVE_EXAMPLE}"
        )
    depths = _int_list(config["d"], "d", NUM_STAGES)
    for stage, depth in enumerate(depths):
        if depth not in DEPTHS:
            raise InvalidArchitectureError(f"d[{stage}] = {depth}; expected one of {list(DEPTHS)}")
    kernels = _int_list(config["ks"], "ks", NUM_SLOTS)
    expands = _int_list(config["e"], "e", NUM_SLOTS)
    ks, e = [], []
    for slot in range(NUM_SLOTS):
        used = is_used(slot, depths)
        for name, value, choices, unused, out in (
            ("ks", kernels[slot], KERNEL_SIZES, UNUSED_KERNEL, ks),
            ("e", expands[slot], EXPAND_RATIOS, UNUSED_EXPAND, e),
        ):
            if value not in choices and (used or value != 0):
                allowed = list(choices) if used else [0, *choices]
                raise InvalidArchitectureError(
                    f"{name}[{slot}] = {value}; expected one of {allowed}"
                    + ("" if used else " (the slot is unused at this depth)")
                )
            out.append(value if used else unused)
    return Subnet(tuple(ks), tuple(e), tuple(depths))


def subnet_from_json(text: Any) -> Subnet:
    """Parses the JSON native format (see :func:`subnet_from_native`).

    Raises:
        InvalidArchitectureError: If ``text`` is not JSON of a valid subnet dict.
    """
    if not isinstance(text, str):
        raise InvalidArchitectureError(f"mbv3 arch string must be a str, got {type(text).__name__}")
    try:
        config = json.loads(text)
    # ValueError, not just JSONDecodeError: an int past Python's 4300-digit limit raises it.
    except (ValueError, RecursionError) as error:
        raise InvalidArchitectureError(
            f"invalid mbv3 arch string {text[:80]!r}: not JSON ({error}); expected {NATIVE_EXAMPLE}"
        ) from None
    return subnet_from_native(config)


def _int_list(value: Any, name: str, length: int) -> list[int]:
    if not isinstance(value, (list, tuple)) or len(value) != length:
        shown = f"{len(value)} items" if isinstance(value, (list, tuple)) else repr(value)[:40]
        raise InvalidArchitectureError(f"'{name}' must be a list of {length} ints, got {shown}")
    out = []
    for i, item in enumerate(value):
        # bool is an int subclass and 3.0 is no kernel size: both are typos, not values.
        if isinstance(item, bool) or not isinstance(item, int):
            raise InvalidArchitectureError(f"{name}[{i}] = {clipped(item)}; expected an int")
        out.append(item)
    return out
