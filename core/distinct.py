"""Former name of :mod:`archgen.distinct_sampling`, kept so code written against it still imports.

New code imports :mod:`archgen.distinct_sampling`; ``distinct`` alone names the analysis
(:mod:`archgen.analysis.distinct`).
"""

from archgen.distinct_sampling import distinct_sample

__all__ = ["distinct_sample"]
