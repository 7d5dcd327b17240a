"""Module checkpoints: round trip, and a one-line refusal of every kind of wrong file."""

import pytest
import torch
from torch import nn

from archgen.errors import CheckpointError
from archgen.io.module_checkpoint import load_module, save_module

META = {"format": "archgen.test/1", "space": "nb201"}


def test_a_saved_module_loads_back_exactly(tmp_path):
    torch.manual_seed(0)
    saved = nn.Linear(3, 2)
    path = save_module(tmp_path / "m.pt", saved, META)
    loaded = nn.Linear(3, 2)
    assert load_module(path, loaded, checkpoint_format="archgen.test/1", signature={"space": "nb201"}) == META
    assert all(torch.equal(a, b) for a, b in zip(saved.state_dict().values(), loaded.state_dict().values()))
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary left beside it


@pytest.mark.parametrize(
    ("write", "module", "signature", "message"),
    [
        (None, nn.Linear(3, 2), {}, "not found"),
        (lambda p: p.write_bytes(b"not a torch file"), nn.Linear(3, 2), {}, "is corrupt or not a torch file"),
        (lambda p: save_module(p, nn.Linear(3, 2), {"format": "other/1"}), nn.Linear(3, 2), {}, "is not an archgen.test/1 checkpoint"),
        (lambda p: save_module(p, nn.Linear(3, 2), META), nn.Linear(3, 2), {"space": "nb101"}, "was made for space='nb201', not 'nb101'"),
        (lambda p: save_module(p, nn.Linear(3, 2), META), nn.Linear(4, 2), {}, "does not fit the configured model"),
    ],
)
def test_a_wrong_file_is_a_one_line_checkpoint_error(tmp_path, write, module, signature, message):
    path = tmp_path / "m.pt"
    if write is not None:
        write(path)
    with pytest.raises(CheckpointError, match=None) as caught:
        load_module(path, module, checkpoint_format="archgen.test/1", signature=signature)
    assert message in str(caught.value) and "\n" not in str(caught.value)
