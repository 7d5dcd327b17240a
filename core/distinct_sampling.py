"""Distinct sampling: n valid architectures with distinct canonical keys, by rejecting repeats.

What a NAS user asks a generator for is a set of *different* candidates; i.i.d. draws from a good
prior repeat its favourite cells. Rejecting invalid draws and repeats (by ``space.canonical_key``,
so isomorphic cells count once) until ``n`` are kept turns any generator into that, and the number
of draws it took says what the set cost. It is not an i.i.d. sample: its figures are reported on their
own (``archgen generate --distinct`` writes ``distinct.jsonl``; ``archgen analyze <run> distinct``),
never mixed into the i.i.d. metrics of ``archgen evaluate``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np


def distinct_sample(
    space: Any, draw: Any, n: int, batch: int, max_draws: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Draws until ``n`` valid architectures with distinct canonical keys are found (or ``max_draws``).

    Args:
        space: The space.
        draw: ``draw(count, seed) -> SampleBatch``.
        n: Distinct valid architectures wanted.
        batch: Draws per call.
        max_draws: Upper bound on draws.
        rng: Source of the per-call seeds.

    Returns:
        ``keys`` (the kept canonical keys, in order), ``architectures`` (their native strings),
        ``draws`` (draws consumed up to and including the ``n``-th new one), ``valid_draws``,
        ``malformed_draws``, ``complete`` and the per-call ``seeds``.
    """
    kept: dict[Hashable, str] = {}
    draws = valid = malformed = 0
    seeds: list[int] = []
    while len(kept) < n and draws < max_draws:
        seed = int(rng.integers(2**31 - 1))
        seeds.append(seed)
        for arch in draw(min(batch, max_draws - draws), seed).architectures(space):
            draws += 1
            if arch is None:
                malformed += 1
            elif space.is_valid(arch):
                valid += 1
                key = space.canonical_key(arch)
                if key not in kept:
                    kept[key] = space.to_string(arch)
                    if len(kept) == n:
                        break
    return {"keys": list(kept), "architectures": list(kept.values()), "draws": draws, "valid_draws": valid,
            "malformed_draws": malformed, "complete": len(kept) == n, "seeds": seeds}
