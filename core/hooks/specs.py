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
def archgen_run_start(command: str, config: dict[str, Any], run_dir: str) -> None:
    """Called once by every command that works on a run (``run``, ``train``, ``generate``,
    ``evaluate``, ``sweep``) after its configuration is validated and the run is staged,
    before any data is prepared, trained or sampled.

    Args:
        command: The command's name.
        config: The resolved configuration (JSON-ready dict).
        run_dir: Path of the run directory (its final place, not the staging folder).
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
def archgen_samples_generated(space: str, sampling: dict[str, Any], num_samples: int, num_well_formed: int) -> None:
    """Called after a batch of architectures has been sampled and decoded, before evaluation.

    Args:
        space: The search space's name.
        sampling: The generator's sampling options used (e.g. temperature, top-k).
        num_samples: How many sequences were drawn.
        num_well_formed: How many decoded to a graph (e.g. a code sequence of the right length).
    """


@hookspec
def archgen_metrics_computed(seed: int, metrics: dict[str, Any]) -> None:
    """Called after the metrics of one seed have been computed.

    Args:
        seed: The replicate's seed.
        metrics: Both protocols' figures for that seed.
    """


@hookspec
def archgen_run_end(command: str, run_dir: str, summary: dict[str, Any]) -> None:
    """Called once at the very end of every command that fired ``archgen_run_start``, after
    the run directory has been committed (every output file is written and in place).
    Not called when the command failed: the earlier run is then untouched.

    Args:
        command: The command's name.
        run_dir: Path of the run directory.
        summary: The figures written to ``metrics.json`` (empty for commands that compute none).
    """
