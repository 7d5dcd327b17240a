"""``samples.jsonl``: moved to :mod:`archgen.runs.samples` (the run layer); kept so existing imports work."""

from archgen.runs.samples import KIND, header, read_samples, sample_lines

__all__ = ["KIND", "header", "read_samples", "sample_lines"]
