"""NAS-Bench-101's labelling for the official module hash.

The dataset keys every cell by ``hash_module`` of google-research/nasbench
(``nasbench/lib/graph_util.py``), applied by ``ModelSpec.hash_spec``
(``nasbench/lib/model_spec.py``) to the *pruned* spec with the labels
``[-1] + [available_ops.index(op) for op in ops[1:-1]] + [-2]``. The hash
itself lives in core (:mod:`archgen.metrics.graph_hash`), since the paper
metrics protocol counts unique decodes of every space with it; this module
adds NAS-Bench-101's labels and re-exports it.
"""

from __future__ import annotations

from collections.abc import Sequence

from archgen.metrics.graph_hash import hash_module

#: ``config['available_ops']`` of the release, in its order: the hash labels are indices into it.
AVAILABLE_OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")

#: Labels the official code gives the input and the output vertex.
INPUT_LABEL = -1
OUTPUT_LABEL = -2


def labels_of(ops: Sequence[str]) -> list[int]:
    """The official integer labelling of a pruned spec's ops.

    Args:
        ops: Op names, first ``input`` and last ``output``.

    Returns:
        ``[-1] + [AVAILABLE_OPS.index(op) for op in ops[1:-1]] + [-2]``.

    Raises:
        ValueError: If an interior op is not in :data:`AVAILABLE_OPS`.
    """
    return [INPUT_LABEL] + [AVAILABLE_OPS.index(op) for op in ops[1:-1]] + [OUTPUT_LABEL]


__all__ = ["AVAILABLE_OPS", "INPUT_LABEL", "OUTPUT_LABEL", "hash_module", "labels_of"]
