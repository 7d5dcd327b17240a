"""One training: build the space's network, train the recipe on the dataset, measure it, store it.

:func:`run_task` is what every executor runs, in this process or on a Ray worker: it is a pure
function of its :class:`TrainTask` (space, dataset and recipe by name and options, the
architecture by its string, a seed), so a retried or resumed task trains the very same
network to the very same figures, and it commits the result to the store before returning.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from archgen.errors import ConfigError
from archgen.plugins.oracles.train.macs import count_forward_macs
from archgen.plugins.oracles.train.recipe import TrainRecipe
from archgen.result_store import ResultKey, ResultStore, TrainingResult, this_worker
from archgen.registry import load


@dataclass(frozen=True)
class TrainTask:
    """Everything a worker needs to train one network, picklable and JSON-describable.

    Attributes:
        key: The result's key in the store.
        arch: The architecture's native string (``space.from_string`` parses it).
        dataset: ``(name, options JSON)`` of the dataset plugin (each worker loads it from its own disk).
        recipe: The recipe's options (JSON).
        store: The result store's path.
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        threads: torch intra-op threads while training (fixed, so CPU results do not depend on
            how many threads a machine has).
    """

    key: ResultKey
    arch: str
    dataset: tuple[str, str]
    recipe: str
    store: str
    device: str = "cpu"
    threads: int = 1


def run_task(task: TrainTask, space: Any, dataset: Any = None) -> TrainingResult:
    """Trains ``task``'s network unless the store already holds it, and commits the result.

    The claim on the key passes to this process first, so a search that died while this worker
    trains finds the key held by a live process and waits for it rather than training it again.

    Args:
        task: What to train.
        space: The space (shipped to Ray workers as an object: third-party spaces need no name).
        dataset: The loaded dataset, where the caller has it (else loaded from ``task.dataset``).

    Returns:
        The stored result (an earlier one, if the key was stored by the time this ran: a retried task).
    """
    store = ResultStore(task.store)
    stored = store.get(task.key)
    if stored is not None:
        return stored
    dataset = dataset if dataset is not None else _plugin("dataset", *task.dataset)
    store.take_over(task.key)
    attempt = store.record_attempt(task.key)
    try:
        result = train_network(space, space.from_string(task.arch), dataset, TrainRecipe.model_validate_json(task.recipe),
                               device=task.device, threads=task.threads)
    except BaseException:
        store.release(task.key)
        raise
    return store.put(task.key, TrainingResult(arch=task.arch, worker=this_worker(), **result), attempt)


@functools.lru_cache(maxsize=8)
def _plugin(slot: str, name: str, options: str) -> Any:
    """A dataset loaded once per worker process (Ray workers run many tasks)."""
    return load(slot, name, **json.loads(options))


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_network(space: Any, arch: Any, dataset: Any, recipe: TrainRecipe, *, device: str = "cpu",
                  threads: int = 1) -> dict[str, Any]:
    """Trains ``arch``'s network with ``recipe`` and measures it; deterministic on CPU.

    Args:
        space: A space with ``build_model`` (:class:`archgen.protocols.BuildsModel`).
        arch: A valid architecture of ``space``.
        dataset: An :class:`archgen.protocols.Dataset`.
        recipe: The training recipe (its ``seed`` seeds weights, batch order and augmentation).
        device: Where to train.
        threads: torch threads while training.

    Returns:
        ``valid`` and ``test`` accuracy (%), ``params``, ``macs``, ``train_seconds``, ``epochs``, ``device``.

    Raises:
        ConfigError: If the loss becomes NaN (the recipe's learning rate is too high for the network).
    """
    started = time.perf_counter()
    target = torch.device(device)
    with _torch_threads(threads), _deterministic(target):
        torch.manual_seed(recipe.seed)
        model = build_for(space, arch, dataset, recipe.model).to(target)
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        macs = count_forward_macs(model, tuple(dataset.input_shape))
        _fit(model, dataset, recipe, target)
        valid = _accuracy(model, dataset.split("valid"), recipe.eval_batch_size, target)
        test = _accuracy(model, dataset.split("test"), recipe.eval_batch_size, target)
    return {"valid": valid, "test": test, "params": params, "macs": macs, "epochs": recipe.epochs,
            "train_seconds": round(time.perf_counter() - started, 3), "device": str(target)}


def build_for(space: Any, arch: Any, dataset: Any, model_options: dict[str, Any]) -> nn.Module:
    """``space.build_model`` with the dataset's classes (and its channels where they are not 3).

    Raises:
        ConfigError: If the network takes no ``in_channels`` and the dataset's images are not RGB,
            or ``model_options`` holds an option ``build_model`` does not take (naming the ones it does).
    """
    accepted = inspect.signature(space.build_model).parameters
    options = {"num_classes": dataset.num_classes, **model_options}
    channels = dataset.input_shape[0]
    if channels != 3:
        if "in_channels" not in accepted:
            raise ConfigError(f"space {space.name!r} builds networks for 3-channel images; dataset "
                              f"{dataset.name!r} has {channels} (set the dataset's channels = 3)")
        options["in_channels"] = channels
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = sorted(set(options) - set(accepted)) if not takes_any else []
    if unknown:
        names = sorted(name for name in accepted if name not in ("self", "arch"))
        raise ConfigError(f"space {space.name!r}'s build_model takes no option {unknown[0]!r}; accepted: {names}")
    return space.build_model(arch, **options)


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """cuDNN's deterministic kernels on a GPU (CPU kernels are deterministic at a fixed thread count)."""
    if device.type != "cuda":
        yield
        return
    before = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before


def _fit(model: nn.Module, dataset: Any, recipe: TrainRecipe, device: torch.device) -> None:
    """``recipe.epochs`` of SGD over the train split, cosine-annealed per step."""
    loader = torch.utils.data.DataLoader(dataset.split("train"), batch_size=recipe.batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(recipe.seed), num_workers=0)
    steps_per_epoch = len(loader) if recipe.max_train_batches is None else min(len(loader), recipe.max_train_batches)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay, nesterov=recipe.nesterov and recipe.momentum > 0)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, recipe.epochs * steps_per_epoch))
    loss_function = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    model.train()
    for epoch in range(recipe.epochs):
        for step, (images, labels) in enumerate(loader):
            if step >= steps_per_epoch:
                break
            loss = loss_function(model(images.to(device)), labels.to(device))
            if not math.isfinite(loss.item()):
                raise ConfigError(f"training diverged (loss {loss.item()}) at epoch {epoch + 1}, step {step + 1}: "
                                  f"lower the recipe's lr ({recipe.lr})")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()


def _accuracy(model: nn.Module, split: torch.utils.data.Dataset, batch_size: int, device: torch.device) -> float:
    """Top-1 accuracy (%) of ``model`` on ``split``, in eval mode."""
    loader = torch.utils.data.DataLoader(split, batch_size=batch_size, shuffle=False, num_workers=0)
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            predicted = model(images.to(device)).argmax(dim=1).cpu()
            correct += int((predicted == labels).sum())
            total += int(labels.numel())
    model.train()
    return 100.0 * correct / max(total, 1)
