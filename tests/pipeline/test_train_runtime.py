"""``archgen train`` records the runtime it resolved and trains with the configured schedule."""

from __future__ import annotations

import json

from archgen import device as device_module
from archgen.cli.main import main


def test_training_json_records_the_resolved_runtime(tiny_registry, tmp_path, monkeypatch):
    # "auto" must be written down as what it became on this machine, not as "auto".
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    config = tiny_registry(vqvae_epochs=2, prior_epochs=1)
    text = config.read_text().replace('seeds = 1\n', 'seeds = 1\nprecision = "auto"\nthreads = 1\n')
    text = text.replace("vqvae_batch_size = 32\n", 'vqvae_batch_size = 32\nvqvae_schedule = "cosine"\nvqvae_warmup = 0.1\n')
    config.write_text(text)
    assert main(["train", "--config", str(config)]) == 0
    run = tmp_path / "runs" / "tiny"
    stats = json.loads((run / "checkpoints" / "seed-0" / "training.json").read_text())
    assert stats["runtime"] == {"device": "cpu", "threads": 1, "precision": "fp32", "world_size": 1}
    assert stats["vqvae_epochs_run"] == 2
    assert json.loads((run / "config.json").read_text())["generator"]["options"]["vqvae_schedule"] == "cosine"
