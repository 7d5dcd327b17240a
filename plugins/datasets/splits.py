"""A dataset's splits: which items each one holds, and how an item becomes the network's tensor.

Every dataset plugin draws its splits with :func:`partition` (a seeded permutation cut into
consecutive pieces, so the same seed always gives the same indices), turns an image in ``[0, 1]``
into the network's input with an :class:`ItemTransform` (optional random crop and flip, then
per-channel normalisation) and names its splits with :func:`check_split`. Images held in memory
are served by :class:`ArraySplit`; :func:`description` assembles what every plugin's
``describe()`` records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from archgen.errors import ConfigError, choices_text

#: The split names every dataset accepts, in the order they are described.
SPLITS: tuple[str, ...] = ("train", "valid", "test")


def check_split(which: str) -> str:
    """Returns ``which`` if it names a split.

    Raises:
        ConfigError: For any other name, listing the accepted ones.
    """
    if which not in SPLITS:
        raise ConfigError(f"unknown dataset split {which!r}; expected one of {choices_text(SPLITS)}")
    return which


def fraction_counts(total: int, valid_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """``(train, valid, test)`` item counts of ``total`` items split by fractions (rounded to the nearest item).

    Raises:
        ConfigError: If the fractions leave no training item.
    """
    valid, test = round(total * valid_fraction), round(total * test_fraction)
    if total - valid - test < 1:
        raise ConfigError(
            f"valid_fraction {valid_fraction} and test_fraction {test_fraction} leave no training item of {total}"
        )
    return total - valid - test, valid, test


def partition(total: int, counts: Sequence[int], seed: int) -> list[np.ndarray]:
    """Splits ``range(total)`` into pieces of ``counts`` items: a seeded permutation cut in order.

    The first piece takes the first ``counts[0]`` items of ``numpy.random.default_rng(seed)``'s
    permutation, the second the next ``counts[1]``, and so on; each piece is returned sorted.
    The split is not stratified: class proportions differ between pieces by chance only.

    Args:
        total: Items to split.
        counts: Items of each piece; they must sum to ``total``.
        seed: The split seed.

    Returns:
        One ``int64`` index array per piece.
    """
    if sum(counts) != total or min(counts, default=0) < 0:
        raise ValueError(f"piece sizes {list(counts)} do not split {total} items")
    order = np.random.default_rng(seed).permutation(total)
    edges = np.cumsum([0, *counts])
    return [np.sort(order[start:stop]).astype(np.int64) for start, stop in zip(edges[:-1], edges[1:])]


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and (population) standard deviation of ``[N, C, H, W]`` images.

    Returns:
        ``(mean, std)``, one float per channel; a constant channel's std is reported as 1.0
        so that normalising by it never divides by zero.
    """
    data = images.astype(np.float64)
    mean = data.mean(axis=(0, 2, 3))
    std = data.std(axis=(0, 2, 3))
    return tuple(float(m) for m in mean), tuple(float(s) if s > 0 else 1.0 for s in std)


class ItemTransform:
    """Turns one ``[C, H, W]`` float image in ``[0, 1]`` into the network's input.

    In order: a random crop of the same size after zero padding (``padding`` > 0), a horizontal
    flip with probability 0.5 (``flip``), then ``(image - mean) / std`` per channel. The random
    draws come from torch's global generator, so ``torch.manual_seed`` and a single-process
    loader make them reproducible.

    Args:
        mean: Per-channel mean subtracted.
        std: Per-channel standard deviation divided by.
        padding: Zero padding of the random crop (0: no crop).
        flip: Whether to flip horizontally at random.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], *, padding: int = 0, flip: bool = False):
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        self.padding, self.flip = int(padding), bool(flip)
        self._mean = torch.tensor(self.mean, dtype=torch.float32).view(-1, 1, 1)
        self._std = torch.tensor(self.std, dtype=torch.float32).view(-1, 1, 1)

    @property
    def augments(self) -> bool:
        """Whether the transform draws anything at random."""
        return self.padding > 0 or self.flip

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.padding > 0:
            image = _random_crop(image, self.padding)
        if self.flip and torch.rand(()).item() < 0.5:
            image = image.flip(-1)
        return (image - self._mean) / self._std

    def steps(self) -> list[dict[str, Any]]:
        """The transform as JSON-ready steps, for ``describe()``."""
        steps: list[dict[str, Any]] = []
        if self.padding > 0:
            steps.append({"step": "random_crop", "padding": self.padding, "fill": 0})
        if self.flip:
            steps.append({"step": "random_horizontal_flip", "p": 0.5})
        steps.append({"step": "normalise", "mean": list(self.mean), "std": list(self.std)})
        return steps


def _random_crop(image: torch.Tensor, padding: int) -> torch.Tensor:
    height, width = image.shape[-2:]
    padded = functional.pad(image, (padding, padding, padding, padding))
    top = int(torch.randint(0, 2 * padding + 1, ()).item())
    left = int(torch.randint(0, 2 * padding + 1, ()).item())
    return padded[..., top : top + height, left : left + width]


class ArraySplit(torch.utils.data.Dataset):
    """A split of images held in memory: item ``i`` is ``(transform(images[indices[i]] / divisor), label)``.

    The images stay in their stored type (``uint8`` for CIFAR) and are converted one item at a time.

    Args:
        images: ``[N, C, H, W]`` images of the whole source (shared, never copied).
        labels: ``[N]`` integer labels.
        indices: The source rows this split holds, in order.
        divisor: What a stored pixel is divided by to lie in ``[0, 1]`` (255 for ``uint8``).
        transform: The item transform.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, indices: np.ndarray, divisor: float, transform: ItemTransform):
        self.images, self.labels, self.indices = images, labels, np.asarray(indices, dtype=np.int64)
        self.divisor, self.transform = float(divisor), transform

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        row = int(self.indices[index])
        image = torch.from_numpy(np.ascontiguousarray(self.images[row])).to(torch.float32) / self.divisor
        return self.transform(image), int(self.labels[row])


def description(
    dataset: Any,
    *,
    source: Mapping[str, Any],
    class_names: Sequence[str],
    split_seed: int | None,
    sizes: Mapping[str, int],
    transforms: Mapping[str, list[dict[str, Any]]],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON-ready record every dataset's ``describe()`` returns.

    Args:
        dataset: The dataset (its ``name``, ``num_classes`` and ``input_shape`` are recorded).
        source: Where the images come from (``path`` and format details).
        class_names: The name of each label, in label order.
        split_seed: The seed of :func:`partition` (``None`` where no split was drawn).
        sizes: Items of each split.
        transforms: Steps of each split's transform, from decoding to normalisation.
        options: The plugin's options, as given to it.
    """
    return {
        "name": dataset.name,
        "source": dict(source),
        "num_classes": int(dataset.num_classes),
        "class_names": [str(name) for name in class_names],
        "input_shape": [int(n) for n in dataset.input_shape],
        "split_seed": split_seed,
        "split_sizes": {which: int(sizes[which]) for which in SPLITS},
        "transforms": {which: list(transforms[which]) for which in SPLITS},
        "options": dict(options),
    }
