"""Data parallelism: process group, DDP wrapping, the distributed sampler and collectives.

Under ``torchrun`` each process trains a DistributedDataParallel replica on its shard of every
epoch's permutation. Everything here is a no-op in a single process, so plugins call it
unconditionally. Buffers are *not* broadcast by DDP (``broadcast_buffers=False``): a module whose
buffers are statistics of the data (the EMA codebook) all-reduces them itself, and the loop
re-aligns the others (BatchNorm running statistics) from rank 0 at the end of every epoch.
"""

from __future__ import annotations

import atexit
import math
import os
import warnings

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from archgen.runtime import Runtime


def is_distributed() -> bool:
    """Whether a process group of more than one process is active."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def ensure_process_group(runtime: Runtime) -> None:
    """Joins the torchrun process group (NCCL on CUDA, gloo on CPU) unless already joined.

    Args:
        runtime: A runtime with ``world_size > 1``; its rank and size must match the group's.

    Raises:
        RuntimeError: If an existing group disagrees with ``runtime``.
    """
    if not dist.is_initialized():
        if "MASTER_ADDR" not in os.environ:
            raise RuntimeError(f"world_size={runtime.world_size} but no torchrun rendezvous (MASTER_ADDR) in the environment")
        backend = "nccl" if runtime.device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=runtime.rank, world_size=runtime.world_size)
        # A group left to interpreter finalization can abort the process (gloo's worker threads
        # still hold tensors: pytorch/pytorch#179291); leave it while Python is fully alive.
        atexit.register(_destroy_process_group)
    if (dist.get_rank(), dist.get_world_size()) != (runtime.rank, runtime.world_size):
        raise RuntimeError(
            f"process group is rank {dist.get_rank()} of {dist.get_world_size()}, runtime says {runtime.rank} of {runtime.world_size}"
        )


def _destroy_process_group() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: nn.Module, runtime: Runtime) -> nn.Module:
    """``model`` as DDP (``broadcast_buffers=False``) when distributed, else unchanged."""
    if runtime.world_size <= 1:
        return model
    ensure_process_group(runtime)
    device_ids = [runtime.device.index] if runtime.device.type == "cuda" and runtime.device.index is not None else None
    with warnings.catch_warnings():
        # torch 2.13 deprecates broadcast_buffers in favour of forward_sync_buffers, which still syncs
        # buffers at init; the EMA codebook statistics are rank-local until they are all-reduced, so
        # the old flag stays until torch offers init_sync_buffers (the warning's own advice).
        warnings.filterwarnings("ignore", message=".*broadcast_buffers.*", category=FutureWarning)
        return DistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False)


def shard(order: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """This rank's share of a permutation: every ``world_size``-th entry from ``rank``.

    The shards of all ranks are disjoint and together hold every entry once (no padding,
    unlike ``torch.utils.data.DistributedSampler``); their lengths differ by at most one.
    """
    return order[rank::world_size]


def batches(order: torch.Tensor, batch_size: int, rank: int = 0, world_size: int = 1) -> list[torch.Tensor]:
    """Splits this rank's shard of ``order`` into the epoch's mini-batches.

    Every rank gets the same number of batches -- DDP all-reduces once per step, so a rank
    with one extra step would hang the others -- namely ``ceil(ceil(n / world_size) /
    batch_size)`` (fewer only if a shard is shorter than that), of near-equal sizes (differing by
    at most one, none empty). In one process that is ``ceil(n / batch_size)`` batches of at
    most ``batch_size``, with no ragged last batch.

    Args:
        order: A permutation of the ``n`` example indices (the same on every rank).
        batch_size: Largest batch (may be exceeded by one only when a shard is shorter than
            the batch count, i.e. ``batch_size == 1`` with a ragged split).
        rank: This process's rank.
        world_size: Number of processes.

    Raises:
        ValueError: If there are fewer examples than ranks.
    """
    if len(order) == 0:
        return []
    return list(torch.tensor_split(shard(order, rank, world_size), batch_count(len(order), batch_size, world_size)))


def batch_count(n: int, batch_size: int, world_size: int = 1) -> int:
    """Mini-batches per rank in an epoch of ``n`` examples (what :func:`batches` splits into).

    Raises:
        ValueError: If there are fewer examples than ranks.
    """
    if n < world_size:
        raise ValueError(f"{n} examples cannot be shared among {world_size} ranks")
    return min(math.ceil(math.ceil(n / world_size) / batch_size), n // world_size)


def all_reduce_sum_(*tensors: torch.Tensor) -> None:
    """Sums each tensor over all ranks in place (nothing in one process)."""
    if is_distributed():
        for tensor in tensors:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)


def broadcast_(*tensors: torch.Tensor, src: int = 0) -> None:
    """Overwrites each tensor with rank ``src``'s copy (nothing in one process)."""
    if is_distributed():
        for tensor in tensors:
            dist.broadcast(tensor, src=src)


def broadcast_buffers(module: nn.Module, src: int = 0) -> None:
    """Aligns every buffer of ``module`` with rank ``src``'s (BatchNorm statistics and the like)."""
    broadcast_(*(buffer for buffer in module.buffers()), src=src)
