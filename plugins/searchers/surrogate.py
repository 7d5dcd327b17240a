"""The predictor a searcher fits on its labels when its configuration names none.

It is ``examples/predict/nb201.toml``'s predictor without the ensemble (a searcher that wants one,
as ``guided`` does, fits its own members) and without its pre-training: ``gin`` over each
architecture's class representative (``canonical_inputs``), a ranking loss weighted 2 beside the
MSE, 100 epochs. On NAS-Bench-201 it ranks the untrained cells at Kendall τ well above plain ``gin``
from 78 labels on (docs/results/predictors.md), and a searcher's early rounds have fewer labels than
that. Pre-training adds about .005 τ there (the same page's ablation), less than the spread between
search trials, and the search table was measured without it; a configuration that wants it sets
``[searcher.options.predictor.options.pretrain]``.
"""

from __future__ import annotations

from archgen.registry import PluginChoice

DEFAULT_SURROGATE_OPTIONS: dict[str, object] = {"canonical_inputs": True, "rank_weight": 2.0, "epochs": 100}


def default_surrogate() -> PluginChoice:
    """A fresh ``[searcher.options] predictor`` choice of the default surrogate."""
    return PluginChoice(name="gin", options=dict(DEFAULT_SURROGATE_OPTIONS))


__all__ = ["DEFAULT_SURROGATE_OPTIONS", "default_surrogate"]
