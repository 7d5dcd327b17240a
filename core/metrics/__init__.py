"""Generation-quality metrics under the paper and strict protocols (docs/metrics.md)."""

from archgen.metrics.generation import (
    DistinctSamples,
    GenerationReference,
    evaluate_samples,
    iid_uniqueness_ceiling,
    paper_protocol,
    strict_protocol,
)
from archgen.metrics.graph_hash import hash_module, isomorphism_classes

__all__ = [
    "DistinctSamples",
    "GenerationReference",
    "evaluate_samples",
    "hash_module",
    "iid_uniqueness_ceiling",
    "isomorphism_classes",
    "paper_protocol",
    "strict_protocol",
]
