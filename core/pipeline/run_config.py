"""A run's ``config.json`` shape: moved to :mod:`archgen.runs.run_config` (the run layer); kept so existing imports work."""

from archgen.runs.run_config import RunConfig

__all__ = ["RunConfig"]
