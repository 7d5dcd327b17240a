"""Generation-quality metrics under the paper and strict protocols."""

from archgen.metrics.generation import (
    GenerationReference,
    evaluate_samples,
    iid_uniqueness_ceiling,
    paper_protocol,
    strict_protocol,
)

__all__ = ["GenerationReference", "evaluate_samples", "iid_uniqueness_ceiling", "paper_protocol", "strict_protocol"]
