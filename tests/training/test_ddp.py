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


def test_two_ranks_follow_the_single_process_trajectory_of_the_same_global_batch(tmp_path):
    # Two ranks at batch 4 take, step for step, the same global batches as one process at batch 8:
    # rank r's shard is order[r::2], so step k of both ranks together is order[8k : 8k + 8]. DDP's
    # averaged gradient of two equal halves is the gradient of the whole batch's mean loss.
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(HERE))
        from ddp_loop_worker import mlp_problem, mlp_step, train_mlp_rank

        mp.spawn(train_mlp_rank, args=(2, str(tmp_path / "rendezvous"), str(tmp_path / "out"), 4, 5), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"out.{rank}", weights_only=True) for rank in range(2)]
    from archgen.training import train_epochs

    model, x, y = mlp_problem()
    single: list[float] = []
    train_epochs(model, torch.optim.SGD(model.parameters(), lr=0.05), [x, y], mlp_step, stage="mlp", epochs=5,
                 batch_size=8, seed=11, callbacks=[lambda stage, epoch, logs: single.append(logs["loss"])])
    assert single[-1] < single[0]  # it learns, so matching trajectories are not trivially equal
    # Callbacks run on rank 0 only; its per-epoch losses are the mean over both ranks' steps.
    assert ranks[0]["losses"] == pytest.approx(single, rel=1e-5, abs=1e-7) and ranks[1]["losses"] == []
    for rank in ranks:
        for key, value in model.state_dict().items():
            torch.testing.assert_close(rank["state"][key], value, rtol=1e-5, atol=1e-6)
