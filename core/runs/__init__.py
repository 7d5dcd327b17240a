"""The run layer: a run directory and its typed configuration, below the commands, analyses and plugins.

``archgen.open_run(path)`` gives a :class:`Run`: its :class:`RunConfig`, its trained
seeds, each seed's checkpoint folder and loaded generator, its samples and metrics.
It imports neither :mod:`archgen.pipeline` nor :mod:`archgen.analysis` (a layout test
checks), so both, and any plugin, can use it.
"""

from archgen.runs.layout import MARKER, RunDirectory, is_run
from archgen.runs.run import Run, open_run
from archgen.runs.run_config import RunConfig, read_run_config, write_run_config

__all__ = ["MARKER", "Run", "RunConfig", "RunDirectory", "is_run", "open_run", "read_run_config", "write_run_config"]
