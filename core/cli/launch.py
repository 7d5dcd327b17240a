"""``--nproc N``: run ``archgen train`` / ``archgen run`` as N data-parallel processes through torchrun.

We do not build a launcher: PyTorch's own (``torch.distributed.run``, the module behind the
``torchrun`` script) starts the processes, sets ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` and
the rendezvous, and reports a failed rank. Each process then runs the same ``archgen`` command
line; the training loop shards the data, wraps the models in DDP, all-reduces the EMA codebook
statistics and writes from rank 0 only (``archgen.training``, ``archgen.pipeline.session``).
Several machines are torchrun's own ``--nnodes`` / ``--rdzv-*`` options, used directly:
``torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 -m archgen.cli.main run``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

from archgen.errors import ConfigError


def under_launcher() -> bool:
    """True inside a process that torchrun (or another launcher setting ``LOCAL_RANK``) started."""
    return "LOCAL_RANK" in os.environ


#: The ``archgen`` arguments of a launched process. They travel in the environment, not on
#: torchrun's command line: torchrun's parser reads abbreviations of its own options anywhere
#: (``--nproc`` or ``--n`` after the module name are "ambiguous" to it).
ARGV_VARIABLE = "ARCHGEN_LAUNCH_ARGV"


def launched_argv() -> list[str] | None:
    """The ``archgen`` arguments this launched process was started for, or ``None``."""
    text = os.environ.get(ARGV_VARIABLE)
    return json.loads(text) if text is not None and under_launcher() else None


def relaunch_command(nproc: int) -> list[str]:
    """The command line that runs ``archgen`` as ``nproc`` local processes.

    ``--standalone`` gives a single-machine rendezvous on a free port, so two launches on one
    machine do not collide.

    Args:
        nproc: Processes (one per GPU on a GPU machine; CPU processes use gloo).
    """
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
            "-m", "archgen.cli.main"]


def relaunch(argv: Sequence[str], nproc: int) -> int:
    """Runs ``archgen <argv>`` as ``nproc`` processes; returns 0 when every one succeeded.

    Args:
        argv: The ``archgen`` arguments (without the program name), handed on unchanged: the
            started processes see ``LOCAL_RANK`` and do not launch again.
        nproc: Processes to start.

    Raises:
        ConfigError: If one of the processes failed (torchrun has printed its traceback above).
    """
    env = {**os.environ, ARGV_VARIABLE: json.dumps(list(argv))}
    code = subprocess.run(relaunch_command(nproc), check=False, env=env).returncode
    if code != 0:
        raise ConfigError(
            f"--nproc {nproc}: a training process failed (torchrun exit code {code}); its error is printed above, "
            "and the run directory is as it was before this command"
        )
    return 0


__all__ = ["ARGV_VARIABLE", "launched_argv", "relaunch", "relaunch_command", "under_launcher"]
