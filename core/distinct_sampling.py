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

from archgen.plugin_outputs import PluginRef, check_sample_batch


def distinct_sample(
    space: Any, draw: Any, n: int, batch: int, max_draws: int, rng: np.random.Generator,
    *, plugin: PluginRef | str | None = None,
) -> dict[str, Any]:
    """Draws until ``n`` valid architectures with distinct canonical keys are found (or ``max_draws``).

    Args:
        space: The space.
        draw: ``draw(count, seed) -> SampleBatch``.
        n: Distinct valid architectures wanted.
        batch: Draws per call.
        max_draws: Upper bound on draws.
        rng: Source of the per-call seeds.
        plugin: The generator behind ``draw``: when given, each batch is checked
            (:func:`archgen.plugin_outputs.check_sample_batch`) before a draw is counted; leave it
            out when ``draw`` checks its batches itself (``archgen generate --distinct``).

    Raises:
        PluginOutputError: If ``plugin`` is given and a batch breaks the SampleBatch contract.

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
        count = min(batch, max_draws - draws)
        drawn = draw(count, seed)
        if plugin is not None:
            drawn = check_sample_batch(drawn, space, n=count, seed=seed, plugin=plugin)
        for arch in drawn.architectures(space):
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
