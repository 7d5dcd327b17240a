"""Worker of the two-process EMA tests: each rank quantizes its half of every scenario's batch.

A module of its own (not the test file) so ``torch.multiprocessing.spawn`` can import it by name
in the child processes; the test puts this folder on ``sys.path``.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def quantize_shards(rank: int, world_size: int, rendezvous: str, out: str, scenarios: list[tuple[dict, torch.Tensor, int]]) -> None:
    """Joins a gloo group; per scenario ``(options, z, steps)`` runs ``steps`` training passes on
    this rank's rows of ``z`` and saves the quantizer's buffers to ``{out}.{scenario}.{rank}``."""
    from archgen.plugins.quantizers.ema import EMAQuantizer, EMAQuantizerOptions

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=world_size)
    try:
        for number, (options, z, steps) in enumerate(scenarios):
            torch.manual_seed(0)  # the same initial codebook on both ranks
            quantizer = EMAQuantizer(EMAQuantizerOptions(**options)).train()
            # A different global RNG per rank: restarts that were not broadcast would diverge.
            torch.manual_seed(100 + rank)
            for _ in range(steps):
                quantizer(z[rank::world_size])
            torch.save({k: v.clone() for k, v in quantizer.state_dict().items()}, f"{out}.{number}.{rank}")
    finally:
        dist.destroy_process_group()
