"""``image_folder``: images in class folders (torchvision's ``ImageFolder`` layout), decoded one item at a time.

``root`` holds either one folder per split, each with one folder per class::

    ROOT/train/<class>/<image>, ROOT/val/<class>/<image> (or ROOT/valid/...), ROOT/test/<class>/<image>

or one folder per class, split by a seeded permutation into ``valid_fraction`` and
``test_fraction`` of the images and the rest for training
(:func:`archgen.plugins.datasets.splits.partition`; not stratified)::

    ROOT/<class>/<image>

A ``train`` folder in ``root`` chooses the first layout. Classes are the class folders' names,
sorted (those of ``train`` in the first layout); label ``i`` is the ``i``-th. Images are files
ending in .bmp, .jpeg, .jpg, .png, .ppm or .webp (any case) anywhere below a class folder.

Only the file list is read up front (at the first ``split()`` or ``describe()``); each item is
decoded with Pillow when it is asked for, converted to RGB, resized bilinearly so its shorter side
is ``image_size``, center-cropped to ``image_size`` square and normalised by ``mean`` / ``std``
(ImageNet's by default). With ``augment`` the train split also takes a random crop after zero
padding of ``image_size // 8`` pixels and a horizontal flip (torch's global generator).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from archgen.config import RelativeToConfig
from archgen.errors import ConfigError, DataFileError
from archgen.plugins.datasets.splits import (
    SPLITS,
    ItemTransform,
    check_split,
    description,
    fraction_counts,
    partition,
)

#: ImageNet's per-channel statistics (pixels scaled to [0, 1]): the usual default for photographs.
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: File endings read as images (compared in lower case).
EXTENSIONS: tuple[str, ...] = (".bmp", ".jpeg", ".jpg", ".png", ".ppm", ".webp")
#: Accepted names of the validation folder in the split-folder layout, in order of preference.
VALID_FOLDERS: tuple[str, ...] = ("val", "valid")
LAYOUT = "ROOT/<class>/<image> or ROOT/{train, val, test}/<class>/<image> (torchvision ImageFolder)"

Positive = Annotated[float, Field(gt=0)]


class ImageFolderOptions(BaseModel):
    """Options of the ``image_folder`` dataset.

    Attributes:
        root: The folder of class folders, or of ``train``, ``val`` and ``test`` folders of class folders.
        image_size: Side of the square image the network receives.
        augment: Random crop (padding ``image_size // 8``) and horizontal flip on the train split.
        valid_fraction: Share of the images in the valid split (one folder of class folders only).
        test_fraction: Share in the test split (likewise).
        split_seed: Seed of the split's permutation (likewise).
        mean: Per-channel mean subtracted (RGB, pixels in [0, 1]).
        std: Per-channel standard deviation divided by.
    """

    model_config = ConfigDict(extra="forbid")
    root: RelativeToConfig
    image_size: int = Field(32, ge=1, le=4096)
    augment: bool = False
    valid_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    split_seed: int = Field(0, ge=0)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[Positive, Positive, Positive] = IMAGENET_STD

    @model_validator(mode="after")
    def _leaves_training_images(self) -> ImageFolderOptions:
        if self.valid_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"valid_fraction + test_fraction must be below 1 (got {self.valid_fraction} + {self.test_fraction})"
            )
        return self


def decode(path: str | Path, size: int) -> torch.Tensor:
    """One image file as a ``[3, size, size]`` float tensor in ``[0, 1]``: shorter side resized, center crop.

    Raises:
        DataFileError: If Pillow cannot read the file.
    """
    from PIL import Image

    try:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds for a damaged file
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DataFileError(f"{path}: not a readable image ({type(error).__name__}: {text})") from None
    width, height = image.size
    if width <= height:
        new_width, new_height = size, max(size, int(size * height / width))
    else:
        new_width, new_height = max(size, int(size * width / height)), size
    if (new_width, new_height) != (width, height):
        image = image.resize((new_width, new_height), Image.BILINEAR)
    left, top = int(round((new_width - size) / 2.0)), int(round((new_height - size) / 2.0))
    image = image.crop((left, top, left + size, top + size))
    array = np.array(image, dtype=np.uint8)  # [H, W, 3], a copy torch may own
    return torch.from_numpy(array).permute(2, 0, 1).to(torch.float32) / 255.0


class FileSplit(torch.utils.data.Dataset):
    """A split of image files, each decoded when its item is asked for.

    Args:
        samples: ``(path, label)`` of each item, in order.
        image_size: Side of the decoded square image.
        transform: Applied to the decoded image.
    """

    def __init__(self, samples: list[tuple[str, int]], image_size: int, transform: ItemTransform):
        self.samples, self.image_size, self.transform = samples, image_size, transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        return self.transform(decode(path, self.image_size)), label


def _class_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_files(folder: Path) -> list[Path]:
    """Every image file below ``folder``, sorted; a folder with none is an error."""
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
    if not found:
        raise DataFileError(f"image_folder: class folder {folder} holds no image ({', '.join(EXTENSIONS)})")
    return found


def _samples(folder: Path, classes: list[str]) -> list[tuple[str, int]]:
    """``(path, label)`` of every image below the class folders of ``folder``."""
    samples = []
    for class_folder in _class_folders(folder):
        if class_folder.name not in classes:
            raise DataFileError(
                f"image_folder: class folder {class_folder} is not among the training classes {sorted(classes)}"
            )
        label = classes.index(class_folder.name)
        samples += [(str(path), label) for path in _image_files(class_folder)]
    return samples


class ImageFolderDataset:
    """Class folders of image files as an :class:`archgen.protocols.Dataset`."""

    Options: ClassVar[type[BaseModel]] = ImageFolderOptions

    def __init__(self, options: ImageFolderOptions | None = None):
        if options is None:
            raise ConfigError("dataset 'image_folder' needs the option root (a folder of class folders)")
        self.options = options
        self.name = "image_folder"
        size = options.image_size
        self.input_shape: tuple[int, int, int] = (3, size, size)

    @property
    def num_classes(self) -> int:
        """The number of class folders (lists the folder on first use).

        Raises:
            DataFileError: If ``root`` is missing or holds no class folders.
        """
        return len(self._listing["classes"])

    def split(self, which: str) -> torch.utils.data.Dataset:
        """The ``"train"``, ``"valid"`` or ``"test"`` split: ``(float32 [3, S, S] image, int label)`` items.

        Raises:
            ConfigError: For another split name, or fractions that leave no training image.
            DataFileError: If ``root`` is missing, holds no class folders, or a class folder holds no image.
        """
        check_split(which)
        transform = self._transforms[which]
        return FileSplit(self._listing["samples"][which], self.options.image_size, transform)

    def describe(self) -> dict[str, Any]:
        """Root and layout, transforms, split sizes and seed, class names, normalisation."""
        listing, size = self._listing, self.options.image_size
        decoding = [
            {"step": "decode", "mode": "RGB"},
            {"step": "resize_shorter_side", "size": size, "mode": "bilinear"},
            {"step": "center_crop", "size": [size, size]},
            {"step": "scale", "divide_by": 255},
        ]
        return description(
            self,
            source={
                "path": str(self.options.root),
                "layout": listing["layout"],
                "folders": listing["folders"],
                "extensions": list(EXTENSIONS),
            },
            class_names=listing["classes"],
            split_seed=self.options.split_seed if listing["layout"] == "class folders" else None,
            sizes={which: len(listing["samples"][which]) for which in SPLITS},
            transforms={which: [*decoding, *self._transforms[which].steps()] for which in SPLITS},
            options=self.options.model_dump(mode="json"),
        )

    @functools.cached_property
    def _listing(self) -> dict[str, Any]:
        """``{"layout", "classes", "samples": {split: [(path, label), ...]}, "folders"}``, read from the folder once."""
        root = Path(self.options.root)
        if not root.is_dir():
            raise DataFileError(f"image_folder: root {root} does not exist or is not a folder; expected {LAYOUT}")
        if (root / "train").is_dir():
            return self._split_folders(root)
        classes = [folder.name for folder in _class_folders(root)]
        if not classes:
            raise DataFileError(f"image_folder: root {root} holds no class folders; expected {LAYOUT}")
        every = _samples(root, classes)
        counts = fraction_counts(len(every), self.options.valid_fraction, self.options.test_fraction)
        pieces = partition(len(every), counts, self.options.split_seed)
        samples = {which: [every[i] for i in piece] for which, piece in zip(SPLITS, pieces)}
        return {"layout": "class folders", "classes": classes, "samples": samples, "folders": None}

    def _split_folders(self, root: Path) -> dict[str, Any]:
        valid = next((root / name for name in VALID_FOLDERS if (root / name).is_dir()), None)
        folders = {"train": root / "train", "valid": valid, "test": root / "test"}
        for which, folder in folders.items():
            if folder is None or not folder.is_dir():
                expected = f"{root / 'val'} (or {root / 'valid'})" if which == "valid" else str(folder)
                raise DataFileError(f"image_folder: {expected} does not exist; a root with a train folder needs {LAYOUT}")
        classes = [folder.name for folder in _class_folders(folders["train"])]
        if not classes:
            raise DataFileError(f"image_folder: {folders['train']} holds no class folders; expected {LAYOUT}")
        samples = {which: _samples(folder, classes) for which, folder in folders.items()}
        paths = {which: str(folder) for which, folder in folders.items()}
        return {"layout": "split folders", "classes": classes, "samples": samples, "folders": paths}

    @functools.cached_property
    def _transforms(self) -> dict[str, ItemTransform]:
        mean, std = self.options.mean, self.options.std
        plain = ItemTransform(mean, std)
        padding = max(1, self.options.image_size // 8)
        augmented = ItemTransform(mean, std, padding=padding, flip=True) if self.options.augment else plain
        return {"train": augmented, "valid": plain, "test": plain}
