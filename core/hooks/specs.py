"""Hook specifications: what a hook plugin may implement, and when each fires.

A hook plugin is any object (module, class instance) with methods named like
these and decorated with :data:`hookimpl`, declared as an entry point in the
``archgen.hooks`` group. Hooks observe; they do not choose components.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("archgen")
hookimpl = pluggy.HookimplMarker("archgen")


@hookspec
def archgen_run_start(config: dict[str, Any], run_dir: str) -> None:
    """Called once when a command has resolved its config and chosen its run directory,
    before any training or sampling starts.

    Args:
        config: The resolved configuration (JSON-ready dict).
        run_dir: Path of the run directory.
    """


@hookspec
def archgen_epoch_end(stage: str, epoch: int, logs: dict[str, float]) -> None:
    """Called after every training epoch of every stage, with that epoch's statistics.

    Args:
        stage: Which model was trained (e.g. ``"vqvae"``, ``"prior"``).
        epoch: 1-based epoch number.
        logs: Loss and accuracy figures of the epoch.
    """


@hookspec
def archgen_samples_generated(space: str, temperature: float, num_samples: int, num_well_formed: int) -> None:
    """Called after a batch of architectures has been sampled and decoded, before evaluation.

    Args:
        space: The search space's name.
        temperature: The sampling temperature used.
        num_samples: How many sequences were drawn.
        num_well_formed: How many had the right length and no special tokens.
    """


@hookspec
def archgen_metrics_computed(seed: int, metrics: dict[str, Any]) -> None:
    """Called after the metrics of one seed have been computed.

    Args:
        seed: The replicate's seed.
        metrics: Both protocols' figures for that seed.
    """


@hookspec
def archgen_run_end(run_dir: str, summary: dict[str, Any]) -> None:
    """Called once at the very end of a command, after every output file is written.

    Args:
        run_dir: Path of the run directory.
        summary: The figures written to ``metrics.json`` (empty for commands that compute none).
    """
