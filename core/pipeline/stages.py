"""The overall progress line of ``archgen run``: its stages, what each is expected to cost, and the epoch feed.

A run trains one generator per seed, then samples, scores and (optionally) scores a baseline.
Training dominates, and its length is known up front from the generator's options: every
integer option named ``*epochs`` (nested plugin options included) is an epoch the stage will
run at most, so a seed's stage weighs its epochs. Sampling and scoring are single passes over
the samples; they weigh a small share of a seed's training (:data:`PASS_SHARE`), which only
shapes the ETA before the first stage ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archgen.pipeline.session import Session
from archgen.progress import Stages

#: A pass over the samples (generate, evaluate, baseline), per seed, as a share of one seed's training.
PASS_SHARE = 0.02


def expected_epochs(options: Mapping[str, Any]) -> int:
    """The epochs a generator's options ask for: the sum of every integer option named ``*epochs`` (at least 1)."""

    def walk(value: Any) -> int:
        if isinstance(value, Mapping):
            return sum(
                item if key.endswith("epochs") and isinstance(item, int) and not isinstance(item, bool) else walk(item)
                for key, item in value.items()
            )
        return 0

    return max(walk(options), 1)


class RunProgress:
    """The overall line of ``archgen run``: stages ``train seed <s>`` each, ``generate``, ``evaluate``, ``baseline``.

    Args:
        session: The run's session (its seeds, generator options, baseline and rank).
        stages: The tracker to drive (default: one built from the session, shown on rank 0 only).
    """

    def __init__(self, session: Session, stages: Stages | None = None):
        spec = session.run_config.generator
        self.epochs = expected_epochs(spec.options if spec is not None else {})
        passes = max(PASS_SHARE * self.epochs, 0.1) * len(session.seeds)
        plan = [(f"train seed {seed}", float(self.epochs)) for seed in session.seeds]
        plan += [("generate", passes), ("evaluate", passes)]
        if session.run_config.evaluate.baseline:
            plan.append(("baseline", passes))
        self.stages = stages or Stages("run", plan, mode=None if session.runtime.is_main else "off")

    def training(self, seed: int) -> EpochFeed:
        """Starts seed ``seed``'s training stage; returns the epoch callback to hand its ``fit``."""
        self.stages.start(f"train seed {seed}")
        return EpochFeed(self.stages, seed, self.epochs)

    def start(self, label: str) -> None:
        """Starts a later stage (``generate``, ``evaluate``, ``baseline``)."""
        self.stages.start(label)

    def close(self) -> None:
        """Ends the line."""
        self.stages.close()


class EpochFeed:
    """A training callback that moves the overall line through one seed's epochs.

    The callback is called ``(stage, epoch, logs)`` after every epoch of every training stage of the
    generator (``vqvae`` then ``prior``...); each epoch is one of the seed's expected epochs, and a
    new stage name becomes the line's detail (``prior seed 0``). Early stopping leaves epochs unrun:
    the next stage's start counts them done.

    Args:
        stages: The command's overall tracker.
        seed: The seed being trained.
        epochs: Its expected epochs (:func:`expected_epochs`).
    """

    def __init__(self, stages: Stages, seed: int, epochs: int):
        self.stages, self.seed, self.epochs, self.seen = stages, seed, max(epochs, 1), 0

    def __call__(self, stage: str, epoch: int, logs: Mapping[str, float]) -> None:
        self.seen += 1
        self.stages.within(self.seen / self.epochs, detail=f"{stage} seed {self.seed}")
