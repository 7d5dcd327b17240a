"""Learning-rate schedules: the exact warm-up/cosine curve, and the loop stepping it once per batch."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from archgen.training import lr_factor, train_epochs


def test_constant_is_one_everywhere():
    assert [lr_factor(step, 10, "constant", 0.0) for step in range(12)] == [1.0] * 12


def test_cosine_warms_up_linearly_then_decays_to_zero():
    # 20 steps, 25 % warm-up: 5 linear steps 1/5 .. 5/5, then cos over the remaining 15.
    factors = [lr_factor(step, 20, "cosine", 0.25) for step in range(20)]
    assert factors[:5] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert factors[5] == pytest.approx(1.0)
    assert factors[5 + 15 // 2] == pytest.approx(0.5 * (1 + math.cos(math.pi * 7 / 15)))
    assert factors[19] == pytest.approx(0.5 * (1 + math.cos(math.pi * 14 / 15)))
    assert lr_factor(20, 20, "cosine", 0.25) == pytest.approx(0.0, abs=1e-12)


@given(st.integers(1, 500), st.floats(0.0, 0.9))
def test_cosine_stays_in_unit_interval_and_never_rises_after_warmup(total, warmup):
    factors = [lr_factor(step, total, "cosine", warmup) for step in range(total + 1)]
    assert all(0.0 <= f <= 1.0 + 1e-12 for f in factors)
    peak = factors.index(max(factors))
    assert all(a >= b - 1e-12 for a, b in zip(factors[peak:], factors[peak + 1 :]))


@pytest.mark.parametrize(("schedule", "warmup"), [("linear", 0.1), ("cosine", 1.0), ("cosine", -0.1)])
def test_bad_schedule_is_refused_naming_the_value(schedule, warmup):
    with pytest.raises(ValueError, match=schedule if schedule == "linear" else "warm-up"):
        lr_factor(0, 10, schedule, warmup)


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_loop_steps_the_schedule_once_per_batch(schedule):
    model = nn.Linear(2, 1)
    x = torch.randn(10, 2)
    rates: list[float] = []
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

    def step(module, batch):
        rates.append(optimizer.param_groups[0]["lr"])
        loss = module(batch[0]).pow(2).mean()
        return loss, {"loss": loss}

    # ceil(10 / 4) = 3 batches x 2 epochs = 6 steps.
    train_epochs(model, optimizer, [x], step, stage="toy", epochs=2, batch_size=4, seed=0, schedule=schedule, warmup=0.5)
    expected = [0.5 * lr_factor(i, 6, schedule, 0.5) for i in range(6)]
    assert rates == pytest.approx(expected)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 * lr_factor(6, 6, schedule, 0.5))
