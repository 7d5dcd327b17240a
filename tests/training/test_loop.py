"""The shared epoch loop: reproducible shuffles, callbacks, early stopping, sharding, autocast."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archgen.runtime import Runtime
from archgen.training import EarlyStopping, train_epochs
from archgen.training.distributed import batches


def _regression(n: int = 10):
    """A 2->1 linear model, its data and the row index of every example."""
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    x = torch.randn(n, 2)
    y = x @ torch.tensor([[1.0], [-2.0]])
    return model, [torch.arange(n), x, y]


def _run(seed: int, *, epochs: int = 3, batch_size: int = 4, runtime: Runtime | None = None, **kwargs):
    model, data = _regression()
    seen: list[list[int]] = []

    def step(module, batch):
        index, x, y = batch
        seen.append(index.tolist())
        loss = ((module(x) - y) ** 2).mean()
        return loss, {"loss": loss, "rows": torch.tensor(float(len(index)))}

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = train_epochs(
        model, optimizer, data, step, stage="toy", epochs=epochs, batch_size=batch_size, seed=seed, runtime=runtime, **kwargs
    )
    return model, seen, result


def test_same_seed_same_batches_and_weights_other_seed_other_order():
    model_a, seen_a, result_a = _run(seed=3)
    model_b, seen_b, result_b = _run(seed=3)
    model_c, seen_c, _ = _run(seed=4)
    assert seen_a == seen_b and result_a.logs == result_b.logs
    assert torch.equal(model_a.weight, model_b.weight)
    assert seen_a != seen_c and not torch.equal(model_a.weight, model_c.weight)
    # ceil(10 / 4) = 3 near-equal batches per epoch, together one permutation of the rows.
    assert [len(b) for b in seen_a] == [4, 3, 3] * 3
    for epoch in range(3):
        assert sorted(sum(seen_a[3 * epoch : 3 * epoch + 3], [])) == list(range(10))
    # Each epoch draws a fresh permutation from the one seeded generator.
    expected = torch.Generator().manual_seed(3)
    assert sum(seen_a[:3], []) == torch.randperm(10, generator=expected).tolist()
    assert sum(seen_a[3:6], []) == torch.randperm(10, generator=expected).tolist()


def test_callbacks_once_per_epoch_with_the_stage_and_mean_logs():
    calls = []
    _, _, result = _run(seed=0, callbacks=[lambda stage, epoch, logs: calls.append((stage, epoch, logs))])
    assert [(stage, epoch) for stage, epoch, _ in calls] == [("toy", 1), ("toy", 2), ("toy", 3)]
    # "rows" is averaged per step: (4 + 3 + 3) / 3.
    assert all(math.isclose(logs["rows"], 10 / 3) for _, _, logs in calls)
    assert calls[-1][2] == result.logs and result.epochs_run == 3 and not result.stopped_early


def test_callbacks_run_on_rank_zero_only():
    calls = []
    # A rank-1 runtime in one process: no process group is touched because world_size == 1.
    _run(seed=0, runtime=Runtime(rank=1), callbacks=[lambda *args: calls.append(args)])
    assert calls == []


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    scores = iter([3.0, 2.0, 2.5, 2.0, 1.0, 0.5])  # best at epoch 2; epochs 3 and 4 do not beat it
    calls = []
    _, seen, result = _run(
        seed=0,
        epochs=6,
        validate=lambda: {"validation_loss": next(scores)},
        early_stopping=EarlyStopping("validation_loss", patience=2),
        callbacks=[lambda stage, epoch, logs: calls.append(epoch)],
    )
    assert result.stopped_early and result.epochs_run == 4 and calls == [1, 2, 3, 4]
    assert len(seen) == 4 * 3 and result.logs["validation_loss"] == 2.0


def test_early_stopping_in_max_mode_needs_a_strict_improvement():
    stopper = EarlyStopping("accuracy", patience=1, mode="max")
    assert not stopper.update(1, {"accuracy": 50.0})
    assert stopper.update(2, {"accuracy": 50.0})  # equal is not better
    assert stopper.best == 50.0 and stopper.best_epoch == 1
    with pytest.raises(KeyError, match="'accuracy'"):
        stopper.update(3, {"acc": 60.0})


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 200), world_size=st.integers(1, 5), batch_size=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_sharding_covers_the_permutation_exactly_once_in_lockstep(n, world_size, batch_size, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    if n < world_size:
        with pytest.raises(ValueError, match="cannot be shared"):
            batches(order, batch_size, 0, world_size)
        return
    per_rank = [batches(order, batch_size, rank, world_size) for rank in range(world_size)]
    taken = torch.cat([b for rank in per_rank for b in rank])
    assert sorted(taken.tolist()) == list(range(n))  # every example once, on exactly one rank
    assert len({len(rank) for rank in per_rank}) == 1  # same step count: DDP never waits on a missing rank
    sizes = [len(b) for rank in per_rank for b in rank]
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
    if batch_size > 1 or n % world_size == 0:
        assert max(sizes) <= batch_size
    # Rank r's share is the strided slice of the permutation, in order.
    for rank in range(world_size):
        assert torch.cat(per_rank[rank]).tolist() == order[rank::world_size].tolist()


@pytest.mark.parametrize("precision, dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16), ("fp32", torch.float32)])
def test_autocast_follows_the_runtime_precision(precision, dtype):
    model, data = _regression()
    seen_dtypes = []

    def step(module, batch):
        _, x, y = batch
        out = module(x)
        seen_dtypes.append(out.dtype)
        loss = ((out.float() - y) ** 2).mean()
        return loss, {"loss": loss}

    before = model.weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = train_epochs(model, optimizer, data, step, stage="amp", epochs=2, batch_size=5, seed=0, runtime=Runtime(precision=precision))
    assert set(seen_dtypes) == {dtype} and model.weight.dtype == torch.float32
    assert not torch.equal(model.weight, before) and math.isfinite(result.logs["loss"])

