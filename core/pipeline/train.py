"""``archgen train``: create a run, prepare its data and split, and train one generator per seed."""

from __future__ import annotations

import time
from typing import Any

import torch

from archgen.pipeline import dataset as datasets
from archgen.pipeline.session import Session
from archgen.plugin_outputs import PluginRef, check_statistics
from archgen.runs import write_run_config


def train(session: Session, overall: Any = None) -> dict[str, Any]:
    """Builds the data and split and trains every replicate into the (staged) run.

    Args:
        session: The staged run.
        overall: The command's overall progress (:class:`archgen.pipeline.stages.RunProgress`), if any.

    Returns:
        Per seed, the training statistics written to ``checkpoints/seed-<s>/training.json``.

    Raises:
        PluginOutputError: If the generator's ``fit`` returns statistics that are not JSON-ready
            (nothing of the run is kept: it is staged).
    """
    run = session.run
    data = datasets.build(session.space, session.run_config.data)
    run.write_split(data.train_index, data.heldout_index)
    session._dataset = data
    sizes = {"total": len(data.archs), "train": len(data.train_index), "heldout": len(data.heldout_index)}
    session.run_config = session.run_config.model_copy(
        update={"data_stream": datasets.CURRENT_DATA_STREAM, "data_sizes": sizes}
    )
    write_run_config(run, session.run_config)
    statistics = {}
    for seed in session.seeds:
        generator = session.new_generator()
        started = time.perf_counter()
        feed = () if overall is None else (overall.training(seed),)
        fitted = generator.fit(
            session.space, data.train, validation=data.heldout, runtime=session.runtime, seed=seed,
            callbacks=(session.epoch_callback, *feed),
        )
        stats = check_statistics(fitted, plugin=PluginRef("generator", session.generator_name, generator))
        stats["seconds"] = time.perf_counter() - started
        # What the run actually trained with: "auto" settings resolve per machine.
        runtime = session.runtime
        stats["runtime"] = {"device": str(runtime.device), "threads": runtime.threads, "precision": runtime.precision, "world_size": runtime.world_size}
        if runtime.device.type == "cuda":
            stats["runtime"]["peak_cuda_mib"] = torch.cuda.max_memory_allocated(runtime.device) / 2**20
        if session.runtime.is_main:
            # The Generator contract: save() is handed a directory that exists (the kit does the same).
            run.checkpoint_dir(seed).mkdir(parents=True, exist_ok=True)
            generator.save(run.checkpoint_dir(seed))
            run.write_json(f"checkpoints/seed-{seed}/training.json", stats)
        statistics[seed] = stats
    return statistics
