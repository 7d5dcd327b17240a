"""archgen.two_stage: the skeleton ArchVQ and PNAG share, on a toy autoencoder."""

from pathlib import Path

import numpy as np
import pytest
import torch
from pydantic import BaseModel
from torch import nn

from archgen import CheckpointError
from archgen.two_stage import TwoStageGenerator


class ToySpace:
    """Architectures are lists of op indices on a chain; node ``i`` feeds node ``i + 1``."""

    name, op_vocabulary, max_nodes = "toy", ["a", "b", "c"], 4

    def to_tensors(self, archs):
        ops = torch.nn.functional.one_hot(torch.tensor([list(a) for a in archs]).reshape(len(archs), 4), 3).float()
        adjacency = torch.diag(torch.ones(3), 1).expand(len(archs), 4, 4).clone()
        return adjacency, ops


class ToyAutoencoder(nn.Module):
    """Codes are the op indices, except that op ``c`` is encoded as ``b`` (a lossy code)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.batches = 0

    def encode(self, adjacency, ops):
        self.batches += 1
        return ops.argmax(-1).clamp(max=1)

    def decode_codes(self, codes):
        return torch.diag(torch.ones(3, dtype=torch.uint8), 1).expand(len(codes), 4, 4), codes


class ToyOptions(BaseModel):
    width: int = 2


class Toy(TwoStageGenerator):
    CHECKPOINT_FORMAT = "archgen.toy/1"
    MODULES = ("coder", "model")

    def __init__(self, options=None):
        super().__init__()
        self.options = options or ToyOptions()
        self.coder = self.model = None
        self.note = None

    def build(self, space, device="cpu"):
        self.coder, self.model = ToyAutoencoder(), nn.Linear(self.options.width, 1)
        self._space_signature = {"space": space.name, "max_nodes": space.max_nodes}
        return self.to(device)

    def _code_length(self, space):
        return space.max_nodes

    def _extra_meta(self):
        return {} if self.note is None else {"note": self.note}

    def _read_extra_meta(self, metas, directory, space):
        self.note = metas["coder"].get("note")


ARCHS = [[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 0], [0, 2, 2, 2], [1, 0, 1, 0]]


def test_unbuilt_generators_say_so():
    with pytest.raises(RuntimeError, match="Toy is not built yet"):
        Toy().encode(ToySpace(), ARCHS)
    with pytest.raises(RuntimeError, match="not built yet"):
        Toy().to("cpu")


def test_encode_batches_and_handles_no_architectures():
    generator = Toy().build(ToySpace())
    codes = generator.encode(ToySpace(), ARCHS, batch_size=2)
    assert generator.coder.batches == 3 and not generator.coder.training
    assert np.array_equal(codes, np.minimum(np.array(ARCHS), 1))
    assert generator.encode(ToySpace(), []).shape == (0, 4)


def test_reconstruction_accuracy_counts_exact_round_trips():
    generator = Toy().build(ToySpace())
    adjacency, ops = generator.reconstruct(ToySpace(), ARCHS)
    assert adjacency.dtype == np.uint8 and adjacency.shape == (5, 4, 4)
    assert generator.reconstruction_accuracy(ToySpace(), ARCHS) == 60.0  # two archs hold op c
    assert np.isnan(generator.reconstruction_accuracy(ToySpace(), []))


def test_checkpoints_round_trip_with_their_header(tmp_path):
    generator = Toy().build(ToySpace())
    generator.note = "kept"
    with torch.no_grad():
        generator.model.weight.fill_(0.5)
    written = generator.save(tmp_path)
    assert written == [tmp_path / "coder.pt", tmp_path / "model.pt"]
    meta = torch.load(tmp_path / "coder.pt", weights_only=True)["meta"]
    assert list(meta) == ["format", "space", "max_nodes", "options", "note"]
    assert meta["format"] == "archgen.toy/1" and meta["options"] == {"width": 2}
    restored = Toy().load(str(tmp_path), ToySpace())
    assert restored.note == "kept" and torch.equal(restored.model.weight, torch.full((1, 2), 0.5))
    assert not restored.coder.training and not restored.model.training


def test_a_checkpoint_of_another_shape_or_space_is_refused(tmp_path):
    Toy().build(ToySpace()).save(tmp_path)
    with pytest.raises(CheckpointError):
        Toy(ToyOptions(width=3)).load(tmp_path, ToySpace())
    other = ToySpace()
    other.name = "other"
    with pytest.raises(CheckpointError):
        Toy().load(tmp_path, other)
    (Path(tmp_path) / "model.pt").unlink()
    with pytest.raises(CheckpointError, match="not found"):
        Toy().load(tmp_path, ToySpace())
