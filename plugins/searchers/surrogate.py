"""The predictor a searcher fits on its labels when its configuration names none.

It is ``examples/predict/nb201.toml``'s predictor without the ensemble (a searcher that wants one,
as ``guided`` does, fits its own members), without its pre-training and at ``gin``'s default width
(64, not the file's 128): ``gin`` over each architecture's class representative
(``canonical_inputs``), a ranking loss weighted 2 beside the MSE, 100 epochs. On NAS-Bench-201 it
ranks the untrained cells at Kendall τ well above plain ``gin`` from 78 labels on
(docs/results/predictors.md). Pre-training adds nothing measurable there (the same page's
ablation). The 128-wide encoder ranks better from 78 labels on but searched worse: a search's
surrogate is fitted on 10 to 100 labels, and with it ``guided`` found NB201's CIFAR-10 optimum
within 50 queries in fewer trials (docs/results/search.md). A configuration that wants either sets
``[searcher.options.predictor.options]``.
"""

from __future__ import annotations

from archgen.registry import PluginChoice

DEFAULT_SURROGATE_OPTIONS: dict[str, object] = {"canonical_inputs": True, "rank_weight": 2.0, "epochs": 100}


def default_surrogate() -> PluginChoice:
    """A fresh ``[searcher.options] predictor`` choice of the default surrogate."""
    return PluginChoice(name="gin", options=dict(DEFAULT_SURROGATE_OPTIONS))


__all__ = ["DEFAULT_SURROGATE_OPTIONS", "default_surrogate"]
