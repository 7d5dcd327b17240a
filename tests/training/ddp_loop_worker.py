"""Worker of the two-process loop test: one rank of a DDP run of :func:`archgen.training.train_epochs`.

A module of its own (not the test file) so ``torch.multiprocessing.spawn`` can import it by name
in the child processes; the test puts this folder on ``sys.path``.
"""

from __future__ import annotations

import gc

import torch
import torch.distributed as dist
from torch import nn


def train_rank(rank: int, world_size: int, rendezvous: str, out: str, n: int, batch_size: int, epochs: int) -> None:
    """Trains a small BatchNorm MLP on this rank's shards; saves what it saw, its logs and its state."""
    from archgen.runtime import Runtime
    from archgen.training import train_epochs

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=world_size)
    try:
        torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
        model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
        data = torch.randn(n, 2, generator=torch.Generator().manual_seed(7))
        seen, calls = [], []

        def step(module, batch):
            index, x = batch
            seen.append(index.tolist())
            loss = (module(x).squeeze(1) - x.sum(1)).pow(2).mean()
            return loss, {"loss": loss}

        result = train_epochs(
            model, torch.optim.SGD(model.parameters(), lr=0.05), [torch.arange(n), data], step,
            stage="toy", epochs=epochs, batch_size=batch_size, seed=3,
            runtime=Runtime(rank=rank, world_size=world_size), callbacks=[lambda *args: calls.append(args)],
        )
        state = {k: v.clone() for k, v in model.state_dict().items()}
        torch.save({"seen": seen, "calls": calls, "logs": result.logs, "state": state}, f"{out}.{rank}")
    finally:
        # Every rank done with its collectives, and no DDP object alive, before the group goes:
        # otherwise gloo's threads can still hold work at teardown and abort the process.
        dist.barrier()
        model = result = None  # noqa: F841 - drop the DDP-wrapped references now
        gc.collect()
        dist.destroy_process_group()


def mlp_problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A BatchNorm-free MLP (per-rank batch statistics would differ from the global batch's) and its data."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(5))
    return model, x, x.pow(2).sum(1, keepdim=True)


def mlp_step(module: nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    x, y = batch
    loss = (module(x) - y).pow(2).mean()
    return loss, {"loss": loss}


def train_mlp_rank(rank: int, world_size: int, rendezvous: str, out: str, batch_size: int, epochs: int) -> None:
    """One rank of the MLP run; saves the per-epoch losses and the final weights."""
    from archgen.runtime import Runtime
    from archgen.training import train_epochs

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=world_size)
    try:
        model, x, y = mlp_problem()
        losses: list[float] = []
        result = train_epochs(
            model, torch.optim.SGD(model.parameters(), lr=0.05), [x, y], mlp_step, stage="mlp", epochs=epochs,
            batch_size=batch_size, seed=11, runtime=Runtime(rank=rank, world_size=world_size),
            callbacks=[lambda stage, epoch, logs: losses.append(logs["loss"])],
        )
        torch.save({"losses": losses, "state": {k: v.clone() for k, v in model.state_dict().items()}}, f"{out}.{rank}")
    finally:
        dist.barrier()
        model = result = None  # noqa: F841
        gc.collect()
        dist.destroy_process_group()
