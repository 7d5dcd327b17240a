"""``digits``: scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), offline.

A dataset small enough to train a network on a CPU in seconds, for trying a training oracle
without downloading anything. The pixels (0..16) are scaled to ``[0, 1]``, resized bilinearly
to ``image_size`` (networks that downsample five times need 32), the gray channel is copied to
``channels`` channels (3 by default, so every space's RGB stem accepts it), and each image is
normalised by the train split's per-channel mean and standard deviation (recorded by
``describe()``). The train / valid / test split is a seeded permutation of the 1797 images
(:func:`archgen.plugins.datasets.splits.partition`; not stratified). No augmentation.

Needs the extra ``archgen[sklearn]``, imported only when the images are first read.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch.nn import functional

from archgen.errors import ConfigError
from archgen.plugins.datasets.splits import (
    SPLITS,
    ArraySplit,
    ItemTransform,
    channel_stats,
    check_split,
    description,
    fraction_counts,
    partition,
)

#: Largest pixel value of scikit-learn's digits.
PIXEL_MAX = 16.0


class DigitsOptions(BaseModel):
    """Options of the ``digits`` dataset.

    Attributes:
        image_size: Side of the square image the network receives (bilinear resize from 8).
        channels: 1 (gray) or 3 (the gray channel copied three times).
        valid_fraction: Share of the 1797 images in the valid split.
        test_fraction: Share in the test split; the rest is the train split.
        split_seed: Seed of the split's permutation.
    """

    model_config = ConfigDict(extra="forbid")
    image_size: int = Field(8, ge=1, le=512)
    channels: Literal[1, 3] = 3
    valid_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    split_seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _leaves_training_images(self) -> DigitsOptions:
        if self.valid_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"valid_fraction + test_fraction must be below 1 (got {self.valid_fraction} + {self.test_fraction})"
            )
        return self


class DigitsDataset:
    """scikit-learn's 8x8 digits as an :class:`archgen.protocols.Dataset`."""

    Options: ClassVar[type[BaseModel]] = DigitsOptions

    def __init__(self, options: DigitsOptions | None = None):
        self.options = options if options is not None else DigitsOptions()
        self.name = "digits"
        self.num_classes = 10
        size = self.options.image_size
        self.input_shape: tuple[int, int, int] = (self.options.channels, size, size)

    def split(self, which: str) -> torch.utils.data.Dataset:
        """The ``"train"``, ``"valid"`` or ``"test"`` split: ``(float32 [C, S, S] image, int label)`` items.

        Raises:
            ConfigError: For another split name, or if scikit-learn is not installed.
        """
        check_split(which)
        data = self._data
        return ArraySplit(data["images"], data["labels"], data["indices"][which], 1.0, data["transform"])

    def describe(self) -> dict[str, Any]:
        """Source, transforms, split sizes and seed, class names and the train split's normalisation."""
        data = self._data
        steps = [
            {"step": "scale", "divide_by": PIXEL_MAX},
            {"step": "resize", "size": [self.options.image_size] * 2, "mode": "bilinear", "from": [8, 8]},
            {"step": "channels", "channels": self.options.channels, "from": 1},
            *data["transform"].steps(),
        ]
        return description(
            self,
            source=data["source"],
            class_names=[str(n) for n in range(10)],
            split_seed=self.options.split_seed,
            sizes={which: len(data["indices"][which]) for which in SPLITS},
            transforms={which: steps for which in SPLITS},
            options=self.options.model_dump(mode="json"),
        )

    @functools.cached_property
    def _data(self) -> dict[str, Any]:
        images, labels, source = _load_digits()
        images = _resize(images / PIXEL_MAX, self.options.image_size)
        counts = fraction_counts(len(images), self.options.valid_fraction, self.options.test_fraction)
        indices = dict(zip(SPLITS, partition(len(images), counts, self.options.split_seed)))
        mean, std = channel_stats(images[indices["train"]])
        images = np.repeat(images, self.options.channels, axis=1)
        transform = ItemTransform(mean * self.options.channels, std * self.options.channels)
        return {"images": images, "labels": labels, "indices": indices, "transform": transform, "source": source}


def _load_digits() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``([1797, 1, 8, 8] float32 pixels 0..16, [1797] int64 labels, source record)``."""
    try:
        import sklearn
        from sklearn.datasets import load_digits
    except ImportError:
        raise ConfigError("dataset 'digits' needs scikit-learn: pip install \"archgen[sklearn]\"") from None
    import importlib.resources

    bunch = load_digits()
    path = importlib.resources.files("sklearn.datasets.data") / "digits.csv.gz"
    source = {"path": str(path), "format": "sklearn.datasets.load_digits", "scikit_learn": sklearn.__version__}
    images = np.asarray(bunch.images, dtype=np.float32)[:, None]
    return images, np.asarray(bunch.target, dtype=np.int64), source


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``[N, C, H, W]`` images to ``[N, C, size, size]`` (antialiased when shrinking)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images.astype(np.float32)
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    shrink = size < min(images.shape[-2:])
    resized = functional.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink)
    return resized.numpy()
