"""The papers' analyses of a trained run (``archgen analyze <run> <analysis>``), one module each.

Every analysis module offers ``Options`` (a pydantic model, ``extra="forbid"``),
``FIGURE`` (the file name of its PNG or Markdown table) and
``analyze(inputs, options, figure) -> dict``: it reads the run through an
:class:`archgen.analysis.inputs.AnalysisInputs`, writes its figure atomically to
``figure`` and returns the JSON-ready result that
:mod:`archgen.pipeline.analyze` stores as ``<run>/analysis/<name>.json``; and
``headline(result) -> str``, the one line ``archgen analyze`` prints: the figure
the analysis is about.
docs/analyses.md says what each one measures and where it comes from.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from archgen.errors import ConfigError

#: Analysis name -> module, in the order docs/analyses.md presents them.
ANALYSES: dict[str, str] = {
    "permutation": "archgen.analysis.permutation",
    "codes": "archgen.analysis.code_distributions",
    "codebook": "archgen.analysis.codebook_health",
    "reconstruction": "archgen.analysis.reconstruction",
    "distinct": "archgen.analysis.distinct",
    "neighbours": "archgen.analysis.neighbours",
    "ablation": "archgen.analysis.ablation",
    "sensitivity": "archgen.analysis.sensitivity",
}


def analysis_module(name: str) -> ModuleType:
    """The module of one analysis, imported only when asked for.

    Raises:
        ConfigError: For an unknown name, listing the analyses.
    """
    if name not in ANALYSES:
        raise ConfigError(f"unknown analysis {name!r}; choose one of {list(ANALYSES)}")
    return importlib.import_module(ANALYSES[name])


__all__ = ["ANALYSES", "analysis_module"]
