"""Former name of :mod:`archgen.plugins.encoders.loading`, kept for generator plugins that import it."""

from archgen.plugins.encoders.loading import load_encoder

__all__ = ["load_encoder"]
