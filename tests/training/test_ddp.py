"""The shared loop under DDP: two gloo processes on the CPU, uneven shards, one model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

HERE = Path(__file__).resolve().parent
N, BATCH, EPOCHS = 13, 4, 2  # 13 rows: shards of 7 and 6, still two steps each


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict]:
    directory = tmp_path_factory.mktemp("ddp")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(HERE))  # the children import the worker by module name
        from ddp_loop_worker import train_rank

        mp.spawn(train_rank, args=(2, str(directory / "rendezvous"), str(directory / "out"), N, BATCH, EPOCHS), nprocs=2, join=True)
    return [torch.load(directory / f"out.{rank}", weights_only=True) for rank in range(2)]


def test_ranks_end_with_one_model_and_one_set_of_logs(ranks):
    for key, value in ranks[0]["state"].items():
        # Parameters by DDP's gradient all-reduce, BatchNorm statistics by the epoch-end broadcast.
        assert torch.equal(value, ranks[1]["state"][key]), key
    assert ranks[0]["logs"] == ranks[1]["logs"]


def test_each_epoch_shards_the_seeded_permutation_across_ranks(ranks):
    steps = len(ranks[0]["seen"]) // EPOCHS
    assert len(ranks[1]["seen"]) == len(ranks[0]["seen"]) == 2 * EPOCHS  # lockstep
    generator = torch.Generator().manual_seed(3)
    for epoch in range(EPOCHS):
        order = torch.randperm(N, generator=generator)
        mine = [sum(rank["seen"][epoch * steps : (epoch + 1) * steps], []) for rank in ranks]
        assert mine[0] == order[0::2].tolist() and mine[1] == order[1::2].tolist()


def test_callbacks_fire_on_rank_zero_only(ranks):
    assert [call[:2] for call in ranks[0]["calls"]] == [("toy", 1), ("toy", 2)]
    assert ranks[1]["calls"] == []
