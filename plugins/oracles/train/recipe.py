"""The proxy training recipe: what "train this network" means, and the hash that names it."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Bumped when the training loop changes what a recipe produces, so old results are not reused.
TRAINER_VERSION = 1


class TrainRecipe(BaseModel):
    """How every network of a search is trained: SGD with Nesterov momentum and cosine decay.

    The defaults are NAS-Bench-201's recipe (lr 0.1, momentum 0.9, weight decay 5e-4, Nesterov,
    cosine to 0, batch 256) at a proxy length; the search's own figures come from its ``epochs``.

    Attributes:
        epochs: Passes over the train split.
        batch_size: Images per step.
        lr: Initial learning rate (cosine-annealed to 0 over all steps).
        momentum: SGD momentum.
        weight_decay: L2 penalty.
        nesterov: Nesterov momentum.
        label_smoothing: Cross-entropy label smoothing.
        max_train_batches: Stop each epoch after this many batches (``None``: the whole split).
        eval_batch_size: Images per evaluation step (does not change the figures).
        model: Keyword options of the space's ``build_model`` (e.g. ``{C = 8, N = 1}`` for a small
            NB201 network); ``num_classes`` and ``in_channels`` come from the dataset.
        seed: The training seed: initial weights, batch order and augmentation.
    """

    model_config = ConfigDict(extra="forbid")
    epochs: int = Field(1, ge=1, le=10_000)
    batch_size: int = Field(256, ge=1, le=1_000_000)
    lr: float = Field(0.1, gt=0, allow_inf_nan=False)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(5e-4, ge=0, allow_inf_nan=False)
    nesterov: bool = True
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    max_train_batches: int | None = Field(None, ge=1)
    eval_batch_size: int = Field(512, ge=1)
    model: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(0, ge=0)
    optimizer: Literal["sgd"] = "sgd"

    def fingerprint(self) -> str:
        """The recipe's hash (everything but the seed and the evaluation batch): part of every result's key."""
        described = self.model_dump(mode="json", exclude={"seed", "eval_batch_size"})
        return content_hash({"trainer": TRAINER_VERSION, **described})


def content_hash(value: Any) -> str:
    """16 hex digits of the SHA-256 of ``value``'s canonical JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]
