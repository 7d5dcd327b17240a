"""`archgen run` works end to end on every installed space with no change to the generator."""

import json

import pytest

import archgen
from archgen.cli.main import main


@pytest.mark.parametrize("space", archgen.names("space"))
def test_arch_vq_runs_end_to_end(space, tiny_registry, tmp_path, capsys):
    config = tiny_registry(space=space, num_archs=120, vqvae_epochs=1, prior_epochs=1, num_samples=40)
    assert main(["run", "--config", str(config)]) == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "tiny"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["space"] == space and metrics["summary"]["paper"]["validity"]["mean"] >= 0.0
    lines = (run / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 41
    loaded = archgen.load("space", space)
    for line in lines[1:]:
        record = json.loads(line)
        if record["valid"]:  # valid samples are stored in the space's native format
            assert loaded.is_valid(loaded.from_string(record["arch"]))
