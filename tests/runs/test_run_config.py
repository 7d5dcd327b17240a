"""A run directory as archgen wrote it before the run layer, and a 0.1 one, still open; config.json keeps its keys."""

from __future__ import annotations

import json

import numpy as np

import archgen
from archgen.runs import RunConfig, RunDirectory, read_run_config, write_run_config

NB201 = {"name": "nb201", "options": {"benchmark": None, "hw_benchmark": None, "extra_benchmarks": []}}
#: config.json exactly as resolve_config + train wrote it before archgen.runs (key order included).
WRITTEN_BEFORE = {
    "format": "archgen.run-config/2",
    "run": {"name": "old", "runs_dir": "runs", "device": "cpu", "seed": 3, "seeds": 1, "threads": "auto",
            "precision": "fp32", "nproc": 1},
    "space": NB201,
    "generator": {"name": "uniform", "options": {}},
    "predictor": None,
    "searcher": None,
    "data": {"source": "sample", "num_archs": 20, "holdout": 0.1, "split_seed": 0},
    "evaluate": {"num_samples": 10, "sampling": {}, "baseline": "uniform"},
    "predict": {"metric": None, "test_metric": None, "train_sizes": [78, 156, 469, 781, 1563], "test_on": "rest",
                "test_size": None, "trials": 10},
    "search": {"signal": None, "report": None, "budget": 400, "trials": 10, "checkpoints": [50, 100, 200, 400],
               "constraint": None, "pool": "space"},
    "seeds_trained": [3],
    "environment": {"archgen": "0.1.0", "torch": "2.3.0", "python": "3.11.7"},
    "data_stream": 2,
    "data_sizes": {"total": 20, "train": 18, "heldout": 2},
}


def _write_run(folder, config):
    """A run folder the way archgen train lays it out: marker, config.json, split.npz, one checkpoint."""
    folder.mkdir(parents=True)
    (folder / ".archgen-run").write_text(json.dumps({"format": "archgen.run/1"}) + "\n")
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    np.savez(folder / "split.npz", train=np.arange(18), heldout=np.arange(18, 20))
    space = archgen.load("space", "nb201")
    generator = archgen.load("generator", "uniform")
    generator.fit(space, [], seed=3)
    generator.save(folder / "checkpoints" / "seed-3")


def test_a_run_written_before_the_run_layer_opens(tmp_path):
    _write_run(tmp_path / "old", WRITTEN_BEFORE)
    run = archgen.open_run(tmp_path / "old")
    assert run.config.data_stream == 2 and run.config.data_sizes["train"] == 18
    assert run.trained_seeds == [3]
    assert len(run.generator(3).sample(run.space, 5, seed=0)) == 5
    assert run.directory.read_split(20)[1].tolist() == [18, 19]


def test_a_run_of_archgen_0_1_is_migrated(tmp_path):
    old = {k: v for k, v in WRITTEN_BEFORE.items() if k not in ("format", "data_stream")}
    old["evaluate"] = {"num_samples": 10, "temperature": 2.0, "top_k": None}
    _write_run(tmp_path / "v01", old)
    run = archgen.open_run(tmp_path / "v01")
    assert run.config.evaluate.sampling == {"temperature": 2.0, "top_k": None}
    assert run.config.data_stream == 1  # drawn before the named data stream


def test_config_json_keeps_exactly_the_keys_it_was_given(tmp_path):
    given = {k: v for k, v in WRITTEN_BEFORE.items() if k not in ("data_stream", "data_sizes")}
    directory = RunDirectory(tmp_path)
    write_run_config(directory, RunConfig.model_validate(given))
    assert json.loads((tmp_path / "config.json").read_text()) == given  # no defaults added before training
    trained = read_run_config(directory).model_copy(update={"data_stream": 2, "data_sizes": WRITTEN_BEFORE["data_sizes"]})
    write_run_config(directory, trained)
    assert json.loads((tmp_path / "config.json").read_text()) == WRITTEN_BEFORE
