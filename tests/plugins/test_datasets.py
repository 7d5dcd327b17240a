"""The ``archgen.datasets`` plugins: ``digits`` (real, offline), ``cifar10`` / ``cifar100`` (a tiny fake folder in
torchvision's pickle layout, written here) and ``image_folder`` (a tiny generated PNG tree, both layouts)."""

from __future__ import annotations

import json
import pickle
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

import archgen
from archgen.errors import ConfigError, DataFileError
from archgen.protocols import Dataset

# -- digits ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float64), bunch.target


@pytest.fixture(scope="module")
def digits():
    return archgen.load("dataset", "digits")


def _stack(split) -> torch.Tensor:
    return torch.stack([split[i][0] for i in range(len(split))])


def test_digits_splits_partition_the_1797_images_by_a_seeded_permutation(digits):
    assert isinstance(digits, Dataset)
    assert (digits.name, digits.num_classes, digits.input_shape) == ("digits", 10, (3, 8, 8))
    splits = {which: digits.split(which) for which in ("train", "valid", "test")}
    assert {which: len(split) for which, split in splits.items()} == {"train": 1079, "valid": 359, "test": 359}
    every = np.concatenate([split.indices for split in splits.values()])
    assert sorted(every.tolist()) == list(range(1797))
    order = np.random.default_rng(0).permutation(1797)
    assert splits["valid"].indices.tolist() == sorted(order[1079:1438].tolist())
    image, label = splits["train"][0]
    assert image.shape == (3, 8, 8) and image.dtype == torch.float32 and type(label) is int


def test_digits_items_are_scaled_then_normalised_by_the_train_split(digits, raw_digits):
    images, targets = raw_digits
    train = digits.split("train")
    mean = (images[train.indices] / 16).mean()
    std = (images[train.indices] / 16).std()
    steps = digits.describe()["transforms"]["test"]
    assert steps[-1] == {"step": "normalise", "mean": [pytest.approx(mean)] * 3, "std": [pytest.approx(std)] * 3}
    test = digits.split("test")
    row = int(test.indices[5])
    image, label = test[5]
    expected = torch.from_numpy((images[row] / 16 - mean) / std).float()
    assert label == targets[row]
    for channel in range(3):
        torch.testing.assert_close(image[channel], expected, atol=1e-5, rtol=0)
    stacked = _stack(train).double()
    assert abs(stacked.mean().item()) < 1e-6 and stacked.std(unbiased=False).item() == pytest.approx(1.0, abs=1e-5)
    assert abs(_stack(digits.split("valid")).double().mean().item()) > 1e-3  # the valid split is not its own reference


def test_digits_are_exactly_reproducible_and_the_seed_changes_the_split():
    first, second = (archgen.load("dataset", "digits", split_seed=3) for _ in range(2))
    assert np.array_equal(first.split("train").indices, second.split("train").indices)
    assert torch.equal(_stack(first.split("valid")), _stack(second.split("valid")))
    other = archgen.load("dataset", "digits", split_seed=4)
    assert not np.array_equal(first.split("train").indices, other.split("train").indices)


def test_digits_resize_and_channels(raw_digits):
    gray = archgen.load("dataset", "digits", image_size=32, channels=1)
    assert gray.input_shape == (1, 32, 32)
    test = gray.split("test")
    image, _ = test[0]
    assert image.shape == (1, 32, 32)
    raw = torch.from_numpy(raw_digits[0][int(test.indices[0])] / 16).float()[None, None]
    resized = torch.nn.functional.interpolate(raw, size=(32, 32), mode="bilinear", align_corners=False)[0]
    normalise = gray.describe()["transforms"]["test"][-1]
    torch.testing.assert_close(image, (resized - normalise["mean"][0]) / normalise["std"][0], atol=1e-5, rtol=0)
    rgb = archgen.load("dataset", "digits", image_size=32).split("test")[0][0]
    assert rgb.shape == (3, 32, 32) and torch.equal(rgb[0], rgb[1]) and torch.equal(rgb[1], rgb[2])
    torch.testing.assert_close(rgb[0], image[0])


def test_digits_describe_is_json_ready_and_records_what_it_did(digits):
    described = archgen.load("dataset", "digits", image_size=16, split_seed=2).describe()
    assert json.loads(json.dumps(described)) == described
    assert described["split_seed"] == 2 and described["split_sizes"] == {"train": 1079, "valid": 359, "test": 359}
    assert described["class_names"] == [str(n) for n in range(10)] and described["input_shape"] == [3, 16, 16]
    assert described["source"]["path"].endswith("digits.csv.gz")
    assert {"step": "resize", "size": [16, 16], "mode": "bilinear", "from": [8, 8]} in described["transforms"]["train"]
    assert {"step": "channels", "channels": 3, "from": 1} in described["transforms"]["valid"]


@pytest.mark.parametrize(
    ("options", "start"),
    [
        ({"channels": 2}, "bad options for dataset 'digits': channels: Input should be 1 or 3 (got 2)"),
        (
            {"valid_fraction": 0.5, "test_fraction": 0.5},
            "bad options for dataset 'digits': <root>: Value error, valid_fraction + test_fraction must be below 1",
        ),
        ({"image_sise": 32}, "bad options for dataset 'digits': image_sise: unknown key"),
    ],
)
def test_digits_bad_options_are_one_line_config_errors(options, start):
    with pytest.raises(ConfigError) as caught:
        archgen.load("dataset", "digits", **options)
    assert str(caught.value).startswith(start) and "\n" not in str(caught.value)


def test_a_bad_split_name_lists_the_accepted_ones(digits):
    with pytest.raises(ConfigError) as caught:
        digits.split("validation")
    assert str(caught.value) == "unknown dataset split 'validation'; expected one of {test, train, valid}"


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "sklearn", None)
    with pytest.raises(ConfigError) as caught:
        archgen.load("dataset", "digits").split("train")
    assert str(caught.value) == "dataset 'digits' needs scikit-learn: pip install \"archgen[sklearn]\""


# -- cifar10 / cifar100 ---------------------------------------------------------------------------------------


def _py2(value) -> bytes:
    """The pickle opcodes Python 2's cPickle writes for ``value`` (how the CIFAR files were made)."""
    if isinstance(value, str):
        data = value.encode("latin1")
        return (b"U" + bytes([len(data)]) if len(data) < 256 else b"T" + struct.pack("<I", len(data))) + data
    if isinstance(value, (int, np.integer)):
        return b"K" + bytes([int(value)]) if 0 <= value < 256 else b"J" + struct.pack("<i", int(value))
    if isinstance(value, list):
        return b"](" + b"".join(_py2(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"}(" + b"".join(_py2(k) + _py2(v) for k, v in value.items()) + b"u"
    assert isinstance(value, np.ndarray) and value.dtype == np.uint8
    shape = b"(" + b"".join(_py2(n) for n in value.shape) + b"t"
    dtype = b"cnumpy\ndtype\n" + _py2("u1") + b"K\x00K\x01\x87R"  # dtype('u1', 0, 1), then its state:
    dtype += b"(K\x03" + _py2("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    raw = value.tobytes()
    array = b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _py2("b") + b"\x87R"
    return array + b"(K\x01" + shape + dtype + b"\x89T" + struct.pack("<I", len(raw)) + raw + b"tb"


def _write_py2(path: Path, content: dict) -> None:
    path.write_bytes(b"\x80\x02" + _py2(content) + b".")


def _images(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count, 3072), dtype=np.uint8)


@pytest.fixture(scope="module")
def cifar10_root(tmp_path_factory):
    """A fake ``cifar-10-batches-py``: five training batches of 20 images, a test batch of 20."""
    root = tmp_path_factory.mktemp("cifar10")
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    for batch in range(1, 6):
        labels = [(batch + i) % 10 for i in range(20)]
        filenames = [f"t{batch}_{i}.png" for i in range(20)]
        content = {"batch_label": f"training batch {batch} of 5", "labels": labels, "data": _images(20, batch), "filenames": filenames}
        _write_py2(folder / f"data_batch_{batch}", content)
    filenames = [f"x{i}.png" for i in range(20)]
    labels = [i % 10 for i in range(20)]
    _write_py2(folder / "test_batch", {"batch_label": "testing batch 1 of 1", "labels": labels, "data": _images(20, 99), "filenames": filenames})
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _write_py2(folder / "batches.meta", {"num_cases_per_batch": 20, "label_names": names, "num_vis": 3072})
    return root


@pytest.fixture(scope="module")
def cifar100_root(tmp_path_factory):
    """A fake ``cifar-100-python``: 20 training images, 10 test images, fine and coarse names."""
    folder = tmp_path_factory.mktemp("cifar100") / "cifar-100-python"
    folder.mkdir()
    for name, count, seed in (("train", 20, 1), ("test", 10, 2)):
        fine = [(7 * i + seed) % 100 for i in range(count)]
        content = {"filenames": [f"{i}.png" for i in range(count)], "batch_label": name, "fine_labels": fine}
        _write_py2(folder / name, content | {"coarse_labels": [f // 5 for f in fine], "data": _images(count, seed)})
    names = {"fine_label_names": [f"fine{i}" for i in range(100)], "coarse_label_names": [f"coarse{i}" for i in range(20)]}
    _write_py2(folder / "meta", names)
    return folder


def _pixels(image: torch.Tensor, mean, std) -> np.ndarray:
    """Undoes the normalisation: the stored uint8 pixels, flattened as the batch holds them."""
    restored = image * torch.tensor(std).view(3, 1, 1) + torch.tensor(mean).view(3, 1, 1)
    return np.rint(restored.numpy() * 255).astype(np.uint8).reshape(-1)


CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


@pytest.mark.parametrize("below", ["", "cifar-10-batches-py"])
def test_cifar10_round_trips_a_known_image_and_label(cifar10_root, below):
    dataset = archgen.load("dataset", "cifar10", root=cifar10_root / below, valid_size=30, augment=False)
    assert (dataset.name, dataset.num_classes, dataset.input_shape) == ("cifar10", 10, (3, 32, 32))
    image, label = dataset.split("test")[7]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert label == 7 and np.array_equal(_pixels(image, CIFAR10_MEAN, CIFAR10_STD), _images(20, 99)[7])
    train = dataset.split("train")
    row = int(train.indices[11])  # row r of the training set is image r % 20 of batch r // 20 + 1
    image, label = train[11]
    batch, i = row // 20 + 1, row % 20
    assert label == (batch + i) % 10 and np.array_equal(_pixels(image, CIFAR10_MEAN, CIFAR10_STD), _images(20, batch)[i])


def test_cifar10_holds_out_valid_size_training_images_by_seed(cifar10_root):
    dataset = archgen.load("dataset", "cifar10", root=cifar10_root, valid_size=30, split_seed=5)
    train, valid, test = (dataset.split(which) for which in ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (70, 30, 20)
    assert sorted([*train.indices.tolist(), *valid.indices.tolist()]) == list(range(100))
    assert valid.indices.tolist() == sorted(np.random.default_rng(5).permutation(100)[70:].tolist())
    again = archgen.load("dataset", "cifar10", root=cifar10_root, valid_size=30, split_seed=5).split("valid")
    assert np.array_equal(again.indices, valid.indices)
    described = dataset.describe()
    assert json.loads(json.dumps(described)) == described
    assert described["split_sizes"] == {"train": 70, "valid": 30, "test": 20} and described["split_seed"] == 5
    assert described["class_names"][:3] == ["airplane", "automobile", "bird"]
    assert described["source"]["path"] == str(cifar10_root / "cifar-10-batches-py")
    assert described["transforms"]["test"][-1] == {"step": "normalise", "mean": list(CIFAR10_MEAN), "std": list(CIFAR10_STD)}
    with pytest.raises(ConfigError, match=r"^cifar10: valid_size 100 leaves no training image \(the training files hold 100\)$"):
        archgen.load("dataset", "cifar10", root=cifar10_root, valid_size=100).split("test")


def test_cifar10_augmentation_changes_train_items_only_and_follows_torch_seed(cifar10_root):
    plain = archgen.load("dataset", "cifar10", root=cifar10_root, valid_size=30, augment=False)
    augmented = archgen.load("dataset", "cifar10", root=cifar10_root, valid_size=30)
    steps = [step["step"] for step in augmented.describe()["transforms"]["train"]]
    assert steps == ["scale", "random_crop", "random_horizontal_flip", "normalise"]
    assert augmented.describe()["transforms"]["train"][1] == {"step": "random_crop", "padding": 4, "fill": 0}
    torch.manual_seed(0)
    drawn = _stack(augmented.split("train"))
    torch.manual_seed(0)
    assert torch.equal(drawn, _stack(augmented.split("train")))
    unchanged = _stack(plain.split("train"))
    differs = [not torch.equal(a, b) for a, b in zip(drawn, unchanged)]
    assert sum(differs) >= 60  # 1 in 162 draws is the identity (no shift, no flip)
    for which in ("valid", "test"):
        assert torch.equal(_stack(augmented.split(which)), _stack(plain.split(which)))


def test_item_transform_crops_with_zero_fill_flips_and_normalises():
    from archgen.plugins.datasets.splits import ItemTransform

    image = torch.arange(1, 33, dtype=torch.float32).view(2, 4, 4)
    torch.manual_seed(0)
    flipped = [ItemTransform((0, 0), (1, 1), flip=True)(image) for _ in range(20)]
    assert all(torch.equal(out, image) or torch.equal(out, image.flip(-1)) for out in flipped)
    assert sum(torch.equal(out, image) for out in flipped) == 7  # torch.manual_seed(0): 13 of 20 flipped
    padded = torch.nn.functional.pad(image, (1, 1, 1, 1))
    windows = {(top, left): padded[:, top : top + 4, left : left + 4] for top in range(3) for left in range(3)}
    crop = ItemTransform((0, 0), (1, 1), padding=1)
    crops = [crop(image) for _ in range(40)]
    seen = [[at for at, window in windows.items() if torch.equal(out, window)] for out in crops]
    assert all(len(at) == 1 for at in seen) and len({at[0] for at in seen}) == 9
    expected = (image - torch.tensor([1.0, 2.0]).view(2, 1, 1)) / torch.tensor([2.0, 4.0]).view(2, 1, 1)
    assert torch.equal(ItemTransform((1, 2), (2, 4))(image), expected)


def test_cifar_missing_folder_or_file_names_the_path_and_the_layout(cifar10_root, tmp_path):
    with pytest.raises(DataFileError) as caught:
        archgen.load("dataset", "cifar10", root=tmp_path / "nowhere").split("train")
    assert str(caught.value) == (
        f"cifar10: {tmp_path / 'nowhere' / 'cifar-10-batches-py'} does not exist; expected torchvision's layout "
        "ROOT/cifar-10-batches-py/{data_batch_1, ..., data_batch_5, test_batch, batches.meta}"
    )
    partial = tmp_path / "cifar-10-batches-py"
    partial.mkdir()
    for name in ("data_batch_1", "data_batch_2", "test_batch", "batches.meta"):
        (partial / name).write_bytes((cifar10_root / "cifar-10-batches-py" / name).read_bytes())
    with pytest.raises(DataFileError, match="^" + re.escape(f"cifar10: {partial / 'data_batch_3'} does not exist; expected")):
        archgen.load("dataset", "cifar10", root=tmp_path).describe()
    with pytest.raises(DataFileError) as caught:
        archgen.load("dataset", "cifar100", root=tmp_path).split("test")
    assert str(caught.value) == (
        f"cifar100: {tmp_path / 'cifar-100-python'} does not exist; expected torchvision's layout "
        "ROOT/cifar-100-python/{train, test, meta}"
    )


def test_cifar_refuses_a_pickle_that_names_code(cifar10_root, tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for source in (cifar10_root / "cifar-10-batches-py").iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    (folder / "data_batch_2").write_bytes(pickle.dumps({"data": Path("x"), "labels": []}, protocol=2))
    with pytest.raises(DataFileError, match=r"data_batch_2: not a CIFAR python batch \(UnpicklingError: refusing to load pathlib\."):
        archgen.load("dataset", "cifar10", root=tmp_path).split("train")


def test_cifar_reads_batches_written_by_python_3_pickle_too(cifar10_root, tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for source in (cifar10_root / "cifar-10-batches-py").iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    data = _images(20, 99)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": data, b"labels": [i % 10 for i in range(20)]}, protocol=2))
    image, label = archgen.load("dataset", "cifar10", root=folder, valid_size=10).split("test")[3]
    assert label == 3 and np.array_equal(_pixels(image, CIFAR10_MEAN, CIFAR10_STD), data[3])


@pytest.mark.parametrize(("label", "classes"), [("fine", 100), ("coarse", 20)])
def test_cifar100_fine_and_coarse_labels(cifar100_root, label, classes):
    dataset = archgen.load("dataset", "cifar100", root=cifar100_root, valid_size=5, label=label, augment=False)
    assert (dataset.name, dataset.num_classes) == ("cifar100", classes)
    image, got = dataset.split("test")[4]
    fine = (7 * 4 + 2) % 100
    assert got == (fine if label == "fine" else fine // 5)
    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    assert np.array_equal(_pixels(image, mean, std), _images(10, 2)[4])
    described = dataset.describe()
    assert described["split_sizes"] == {"train": 15, "valid": 5, "test": 10}
    assert described["class_names"][:2] == [f"{label}0", f"{label}1"] and len(described["class_names"]) == classes


# -- image_folder ---------------------------------------------------------------------------------------------

COLOURS = {
    "cat": [(255, 0, 0), (200, 10, 0), (150, 20, 0), (100, 30, 0), (50, 40, 0)],
    "dog": [(0, 0, 255), (0, 10, 200), (0, 20, 150), (0, 30, 100), (0, 40, 50)],
}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _write_classes(folder: Path, colours: dict[str, list[tuple[int, int, int]]], size=(12, 8)) -> None:
    from PIL import Image

    for name, shades in colours.items():
        (folder / name).mkdir(parents=True)
        for i, shade in enumerate(shades):
            Image.new("RGB", size, shade).save(folder / name / f"{i}.png")


def _colour(image: torch.Tensor) -> tuple[int, ...]:
    restored = image * torch.tensor(IMAGENET_STD).view(3, 1, 1) + torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    values = np.rint(restored.numpy() * 255).astype(int)
    assert (values == values[:, :1, :1]).all(), "a solid image stays solid"
    return tuple(values[:, 0, 0].tolist())


def test_image_folder_of_class_folders_is_split_by_seed_resized_and_normalised(tmp_path):
    _write_classes(tmp_path, COLOURS)
    dataset = archgen.load("dataset", "image_folder", root=tmp_path, image_size=4, split_seed=1)
    assert (dataset.num_classes, dataset.input_shape) == (2, (3, 4, 4))
    splits = {which: dataset.split(which) for which in ("train", "valid", "test")}
    assert {which: len(split) for which, split in splits.items()} == {"train": 6, "valid": 2, "test": 2}
    every = sorted((Path(path).parent.name, Path(path).name) for split in splits.values() for path, _ in split.samples)
    assert every == sorted((name, f"{i}.png") for name in COLOURS for i in range(5))
    order = np.random.default_rng(1).permutation(10)  # the files in order: cat/0..4, dog/0..4
    expected_test = sorted(order[8:].tolist())
    assert [(Path(p).parent.name, int(Path(p).stem)) for p, _ in splits["test"].samples] == [
        ("cat" if k < 5 else "dog", k % 5) for k in expected_test
    ]
    for path, label in splits["train"].samples:
        image, got = splits["train"][splits["train"].samples.index((path, label))]
        assert image.shape == (3, 4, 4) and got == label == ("cat", "dog").index(Path(path).parent.name)
        assert _colour(image) == COLOURS[Path(path).parent.name][int(Path(path).stem)]
    described = dataset.describe()
    assert json.loads(json.dumps(described)) == described
    assert described["class_names"] == ["cat", "dog"] and described["split_seed"] == 1
    assert described["source"]["layout"] == "class folders"
    assert described["transforms"]["valid"][-1] == {"step": "normalise", "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)}
    assert {"step": "resize_shorter_side", "size": 4, "mode": "bilinear"} in described["transforms"]["train"]


def test_image_folder_decodes_each_item_only_when_asked(tmp_path, monkeypatch):
    from PIL import Image

    _write_classes(tmp_path, COLOURS)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda path, *a, **k: opened.append(Path(path).name) or real_open(path, *a, **k))
    dataset = archgen.load("dataset", "image_folder", root=tmp_path)
    train = dataset.split("train")
    dataset.describe()
    assert opened == []
    image, _ = train[2]
    assert opened == [Path(train.samples[2][0]).name] and image.shape == (3, 32, 32)


def test_image_folder_resizes_the_shorter_side_then_center_crops(tmp_path):
    from PIL import Image

    (tmp_path / "a").mkdir()
    wide = Image.new("RGB", (30, 10), (0, 0, 0))
    wide.paste((255, 255, 255), (10, 0, 20, 10))  # a white middle third on black
    wide.save(tmp_path / "a" / "wide.png")
    dataset = archgen.load("dataset", "image_folder", root=tmp_path, image_size=5, valid_fraction=0, test_fraction=0)
    image, _ = dataset.split("train")[0]
    assert image.shape == (3, 5, 5)
    restored = image * torch.tensor(IMAGENET_STD).view(3, 1, 1) + torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    middle = restored[:, 2, 1:4]  # 30x10 -> 15x5, crop columns 5..9: the white third is columns 5..9
    assert middle.min().item() > 0.95


def test_image_folder_with_train_val_test_folders_keeps_them(tmp_path):
    _write_classes(tmp_path / "train", COLOURS)
    _write_classes(tmp_path / "valid", {"dog": [(1, 2, 3)]})
    _write_classes(tmp_path / "test", {"cat": [(4, 5, 6), (7, 8, 9)]})
    dataset = archgen.load("dataset", "image_folder", root=tmp_path, image_size=3, augment=True)
    sizes = {which: len(dataset.split(which)) for which in ("train", "valid", "test")}
    assert sizes == {"train": 10, "valid": 1, "test": 2}
    image, label = dataset.split("valid")[0]
    assert label == 1 and _colour(image) == (1, 2, 3)
    assert [label for _, label in dataset.split("test")] == [0, 0]
    described = dataset.describe()
    assert described["source"]["layout"] == "split folders" and described["split_seed"] is None
    assert described["source"]["folders"]["valid"] == str(tmp_path / "valid")
    assert described["transforms"]["train"][4] == {"step": "random_crop", "padding": 1, "fill": 0}
    assert [step["step"] for step in described["transforms"]["test"]][-1] == "normalise" and len(described["transforms"]["test"]) == 5


def test_image_folder_errors_name_the_path(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DataFileError) as caught:
        archgen.load("dataset", "image_folder", root=missing).split("train")
    assert str(caught.value) == (
        f"image_folder: root {missing} does not exist or is not a folder; expected "
        "ROOT/<class>/<image> or ROOT/{train, val, test}/<class>/<image> (torchvision ImageFolder)"
    )
    _write_classes(tmp_path / "flat", {"cat": [(1, 1, 1)]})
    (tmp_path / "flat" / "empty").mkdir()
    (tmp_path / "flat" / "empty" / "notes.txt").write_text("not an image")
    with pytest.raises(DataFileError, match="^" + re.escape(f"image_folder: class folder {tmp_path / 'flat' / 'empty'} holds no image (.bmp")):
        archgen.load("dataset", "image_folder", root=tmp_path / "flat").describe()
    _write_classes(tmp_path / "splits" / "train", {"cat": [(1, 1, 1)]})
    expected = "^" + re.escape(f"image_folder: {tmp_path / 'splits' / 'val'} (or {tmp_path / 'splits' / 'valid'}) does not exist")
    with pytest.raises(DataFileError, match=expected):
        archgen.load("dataset", "image_folder", root=tmp_path / "splits").split("test")
