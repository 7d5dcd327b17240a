"""``cifar10`` and ``cifar100``: the CIFAR images from a folder in torchvision's layout, read without torchvision.

``root`` is the folder torchvision's ``CIFAR10(root)`` / ``CIFAR100(root)`` download into, or
the extracted folder itself::

    ROOT/cifar-10-batches-py/{data_batch_1, ..., data_batch_5, test_batch, batches.meta}
    ROOT/cifar-100-python/{train, test, meta}

(the "python version" archives of https://www.cs.toronto.edu/~kriz/cifar.html). The batches are
Python 2 pickles of numpy arrays; they are read with an unpickler that resolves numpy's array
constructors only, so a tampered file cannot run code. Images stay ``uint8`` in memory and are
converted one item at a time.

The valid split is ``valid_size`` images held out of the training batches by a seeded
permutation (``split_seed``); the test split is the test batch. With ``augment`` the train split
applies the standard CIFAR augmentation (random 32 px crop after 4 px zero padding, horizontal
flip, drawn from torch's global generator); every split is normalised by the dataset's usual
per-channel mean and standard deviation (recorded by ``describe()``). Nothing is read from disk
until the first ``split()`` or ``describe()``.
"""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from archgen.config import RelativeToConfig
from archgen.errors import ConfigError, DataFileError
from archgen.plugins.datasets.splits import SPLITS, ArraySplit, ItemTransform, check_split, description, partition

try:  # numpy >= 2 keeps them in numpy._core; Python 2 era pickles name numpy.core
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy 1
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric

#: The usual per-channel statistics of each training set (pixels scaled to [0, 1]).
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR100_MEAN, CIFAR100_STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
#: Zero padding of the augmentation's random crop.
CROP_PADDING = 4


class CIFAR10Options(BaseModel):
    """Options of the ``cifar10`` dataset.

    Attributes:
        root: The folder holding ``cifar-10-batches-py`` (or that folder itself).
        valid_size: Training images held out as the valid split.
        augment: Random crop (padding 4) and horizontal flip on the train split.
        split_seed: Seed of the held-out images' permutation.
    """

    model_config = ConfigDict(extra="forbid")
    root: RelativeToConfig
    valid_size: int = Field(5000, ge=0)
    augment: bool = True
    split_seed: int = Field(0, ge=0)


class CIFAR100Options(CIFAR10Options):
    """Options of the ``cifar100`` dataset: those of ``cifar10`` (``root`` holding ``cifar-100-python``) and one more.

    Attributes:
        label: ``"fine"`` (100 classes) or ``"coarse"`` (the 20 superclasses).
    """

    label: Literal["fine", "coarse"] = "fine"


def _allowed_globals() -> dict[tuple[str, str], Any]:
    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = _multiarray._reconstruct
        allowed[(f"{package}.numeric", "_frombuffer")] = _numeric._frombuffer
    import codecs

    allowed[("_codecs", "encode")] = codecs.encode  # how Python 3 writes bytes at protocol 2
    return allowed


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Resolves numpy's array and dtype constructors only; any other global is refused."""

    _allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (a CIFAR batch holds numpy arrays only)") from None


def read_batch(path: Path) -> dict[str, Any]:
    """One CIFAR pickle (a batch or the meta file), its keys as ``str``.

    Raises:
        DataFileError: If the file is missing, damaged or names any global but numpy's arrays.
    """
    try:
        with open(path, "rb") as handle:
            content = _ArraysOnlyUnpickler(handle, encoding="latin1").load()
    except FileNotFoundError:
        raise DataFileError(f"{path}: CIFAR file does not exist") from None
    except Exception as error:  # noqa: BLE001 - a damaged pickle can raise almost anything
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DataFileError(f"{path}: not a CIFAR python batch ({type(error).__name__}: {text})") from None
    if not isinstance(content, dict):
        raise DataFileError(f"{path}: not a CIFAR python batch (a {type(content).__name__}, not a dict)")
    return {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in content.items()}


def _field(batch: dict[str, Any], key: str, path: Path) -> Any:
    if key not in batch:
        raise DataFileError(f"{path}: CIFAR batch has no {key!r} entry (it has {sorted(batch)})")
    return batch[key]


class CIFAR10Dataset:
    """CIFAR-10 (or, subclassed, CIFAR-100) as an :class:`archgen.protocols.Dataset`."""

    Options: ClassVar[type[BaseModel]] = CIFAR10Options
    NAME: ClassVar[str] = "cifar10"
    #: The extracted folder, its training and test files, its meta file.
    FOLDER: ClassVar[str] = "cifar-10-batches-py"
    TRAIN_FILES: ClassVar[tuple[str, ...]] = tuple(f"data_batch_{i}" for i in range(1, 6))
    TEST_FILES: ClassVar[tuple[str, ...]] = ("test_batch",)
    META_FILE: ClassVar[str] = "batches.meta"
    MEAN, STD = CIFAR10_MEAN, CIFAR10_STD

    def __init__(self, options: CIFAR10Options | None = None):
        if options is None:
            raise ConfigError(f"dataset {self.NAME!r} needs the option root (the folder holding {self.FOLDER})")
        self.options = options
        self.name = self.NAME
        self.num_classes = self._classes()
        self.input_shape: tuple[int, int, int] = (3, 32, 32)

    def _classes(self) -> int:
        return 10

    def _label_keys(self) -> tuple[str, str]:
        """The batch key of the labels and the meta key of their names."""
        return "labels", "label_names"

    def split(self, which: str) -> torch.utils.data.Dataset:
        """The ``"train"``, ``"valid"`` or ``"test"`` split: ``(float32 [3, 32, 32] image, int label)`` items.

        Raises:
            ConfigError: For another split name, or a ``valid_size`` the training images cannot spare.
            DataFileError: If the folder or one of its files is missing or damaged.
        """
        check_split(which)
        images, labels = self._data[1 if which == "test" else 0]
        transform = self._transforms[which]
        return ArraySplit(images, labels, self._indices[which], 255.0, transform)

    def describe(self) -> dict[str, Any]:
        """Source folder and files, transforms, split sizes and seed, class names, normalisation."""
        folder = self.folder()
        files = [*self.TRAIN_FILES, *self.TEST_FILES, self.META_FILE]
        return description(
            self,
            source={"path": str(folder), "files": files, "format": "CIFAR python version (torchvision layout)"},
            class_names=self._class_names,
            split_seed=self.options.split_seed,
            sizes={which: len(self._indices[which]) for which in SPLITS},
            transforms={which: [{"step": "scale", "divide_by": 255}, *self._transforms[which].steps()] for which in SPLITS},
            options=self.options.model_dump(mode="json"),
        )

    def folder(self) -> Path:
        """The extracted folder: ``root/<FOLDER>``, or ``root`` itself when it holds the files.

        Raises:
            DataFileError: Naming the path expected and the layout, if neither exists.
        """
        root = Path(self.options.root)
        folder = root if root.name == self.FOLDER or (root / self.META_FILE).is_file() else root / self.FOLDER
        for name in ("", *self.TRAIN_FILES, *self.TEST_FILES, self.META_FILE):
            path = folder / name if name else folder
            if not path.exists():
                raise DataFileError(f"{self.name}: {path} does not exist; expected torchvision's layout {self._layout()}")
        return folder

    def _layout(self) -> str:
        return f"ROOT/{self.FOLDER}/{{data_batch_1, ..., data_batch_5, test_batch, batches.meta}}"

    @functools.cached_property
    def _data(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``((train images, labels), (test images, labels))``: ``[N, 3, 32, 32]`` uint8 and ``[N]`` int64."""
        folder = self.folder()
        return self._read(folder, self.TRAIN_FILES), self._read(folder, self.TEST_FILES)

    def _read(self, folder: Path, files: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        label_key = self._label_keys()[0]
        images, labels = [], []
        for name in files:
            path = folder / name
            batch = read_batch(path)
            data = np.asarray(_field(batch, "data", path))
            targets = np.asarray(_field(batch, label_key, path), dtype=np.int64)
            if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(targets) != len(data):
                found = f"{data.dtype} {list(data.shape)} with {len(targets)} labels"
                raise DataFileError(f"{path}: 'data' is {found}; expected uint8 [N, 3072] with N labels")
            if len(targets) and (targets.min() < 0 or targets.max() >= self.num_classes):
                found = f"{targets.min()}..{targets.max()}"
                raise DataFileError(f"{path}: labels outside 0..{self.num_classes - 1} (found {found})")
            images.append(data.reshape(-1, 3, 32, 32))
            labels.append(targets)
        return np.concatenate(images), np.concatenate(labels)

    @functools.cached_property
    def _class_names(self) -> list[str]:
        path = self.folder() / self.META_FILE
        names = [str(n) for n in _field(read_batch(path), self._label_keys()[1], path)]
        if len(names) != self.num_classes:
            raise DataFileError(f"{path}: {len(names)} class names; expected {self.num_classes}")
        return names

    @functools.cached_property
    def _indices(self) -> dict[str, np.ndarray]:
        (train_images, _), (test_images, _) = self._data
        total, valid = len(train_images), self.options.valid_size
        if valid >= total:
            raise ConfigError(f"{self.name}: valid_size {valid} leaves no training image (the training files hold {total})")
        train, held_out = partition(total, [total - valid, valid], self.options.split_seed)
        return {"train": train, "valid": held_out, "test": np.arange(len(test_images), dtype=np.int64)}

    @functools.cached_property
    def _transforms(self) -> dict[str, ItemTransform]:
        plain = ItemTransform(self.MEAN, self.STD)
        augmented = ItemTransform(self.MEAN, self.STD, padding=CROP_PADDING, flip=True) if self.options.augment else plain
        return {"train": augmented, "valid": plain, "test": plain}


class CIFAR100Dataset(CIFAR10Dataset):
    """CIFAR-100, fine (100 classes) or coarse (20 superclasses) labels."""

    Options: ClassVar[type[BaseModel]] = CIFAR100Options
    NAME: ClassVar[str] = "cifar100"
    FOLDER: ClassVar[str] = "cifar-100-python"
    TRAIN_FILES: ClassVar[tuple[str, ...]] = ("train",)
    TEST_FILES: ClassVar[tuple[str, ...]] = ("test",)
    META_FILE: ClassVar[str] = "meta"
    MEAN, STD = CIFAR100_MEAN, CIFAR100_STD

    def _classes(self) -> int:
        return 100 if self.options.label == "fine" else 20

    def _label_keys(self) -> tuple[str, str]:
        return f"{self.options.label}_labels", f"{self.options.label}_label_names"

    def _layout(self) -> str:
        return f"ROOT/{self.FOLDER}/{{train, test, meta}}"
