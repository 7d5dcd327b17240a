"""Every figure kind renders from small synthetic inputs, readable at a glance.

Each plot function has a ``draw*`` seam returning the unsaved ``Figure``; the checks lay it out as
``archgen.figures.save_figure`` does and then read matplotlib's objects: legends sit outside the
axes, colour bars carry a label, reference lines are labelled, and ± std bands stay inside the
axes' y-limits. The ``plot*`` functions themselves write a non-trivial PNG.
"""

from __future__ import annotations

import numpy as np
import pytest

from archgen.analysis import code_distributions, codebook_health, neighbours, sensitivity
from archgen.pipeline.predict_figure import draw_predict, plot_predict
from archgen.pipeline.report import draw_sweep, plot_sweep
from archgen.pipeline.search_command.tables import draw_anytime, plot_anytime

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _stat(mean, std=0.0):
    return {"mean": float(mean), "std": float(std)}


def _protocol(validity, uniqueness, novelty, std):
    return {
        "validity": _stat(validity, std), "absolute_uniqueness": _stat(uniqueness, std),
        "absolute_novelty": _stat(novelty, std), "heldout_coverage": _stat(30.0, std),
    }


def _sweep(seeds=3):
    temperatures = [0.5, 1.0, 1.5, 2.0]
    points = [{"value": t, "sampling": {"temperature": t},
               "paper": _protocol(99.5 - 3 * t, 40 + 15 * t, 30 + 14 * t, 6.0),  # validity ± 6 runs past 100
               "strict": _protocol(98 - 3 * t, 35 + 12 * t, 25 + 12 * t, 4.0)} for t in temperatures]
    return {"space": "toy", "generator": "g", "over": "temperature", "num_samples": 100, "seeds": seeds,
            "iid_uniqueness_ceiling": 73.86, "points": points,
            "best": {"absolute_uniqueness": {"value": 2.0, "score": 70.0}, "absolute_novelty": {"value": 2.0, "score": 58.0}}}


def _predict(trials=3):
    points = [{"n": n, "kendall_tau": _stat(tau, 0.4), "spearman": _stat(tau, 0.1), "fit_seconds": _stat(1.0),
               "reference": {"arch2vec": tau - 0.05}, "trials": [{"seed": s, "test_size": 100} for s in range(trials)]}
              for n, tau in ((10, 0.55), (100, 0.8), (1000, 0.95))]  # 0.95 + 0.4 runs past τ = 1
    return {"space": "toy", "predictor": {"name": "gin"}, "metric": "acc", "test_metric": "acc", "pool_size": 2000,
            "test_on": "rest", "trials": trials, "points": points, "reference_note": ""}


def _search():
    queries = np.arange(1, 101)
    mean = 94.0 - 3.0 / queries
    std = 8.0 / queries  # wide before the first few queries: the band would leave the plot
    return {"space": "toy", "report": "test accuracy", "signal": "validation accuracy", "note": "n",
            "checkpoints": [10, 100],
            "searchers": {"random": {"trials": 5, "budget": 100, "curve_mean": mean.tolist(), "curve_std": std.tolist(),
                                     "at": {"10": _stat(93.7, 0.2), "100": _stat(93.97, 0.01)}},
                          "evolution": {"trials": 5, "budget": 100, "curve_mean": (mean + 0.1).tolist(),
                                        "curve_std": std.tolist(), "at": {"10": _stat(93.8, 0.2), "100": _stat(94.07, 0.01)}}},
            "published": [{"method": "REA", "value": 94.1, "queries": None}, {"method": "BANANAS", "value": 94.2, "queries": 50}]}


def _codes():
    rng = np.random.default_rng(0)
    return {"space": "toy", "generator": "g", "train_counts": rng.integers(0, 20, size=(4, 16)).tolist(),
            "novel_counts": rng.integers(0, 5, size=(4, 16)).tolist(), "js_distance_train_vs_novel": [0.1, 0.2, None, 0.3],
            "train_sequences": 300, "novel_samples": 40, "novel_protocol": "strict", "samples": 100,
            "sampling": {"temperature": 1.0}}


def _codebook():
    per_seed = [{"seed": s, "codebook_size": 16, "used": 12, "perplexity": 9.5, "distinct_sequences": 200,
                 "sorted_usage": sorted(np.random.default_rng(s).integers(0, 50, 16).tolist(), reverse=True),
                 "training": {"dead_code_restarts_per_epoch": [5, 3, 1, 0]}} for s in (0, 1)]
    return {"space": "toy", "generator": "g", "train_sequences": 300, "per_seed": per_seed,
            "summary": {"used": _stat(12, 0), "perplexity": _stat(9.5, 0.5), "distinct_sequences": _stat(200, 3)}}


def _neighbours():
    return {"space": "toy", "generator": "g", "samples": 100, "novel_samples": 30, "novel_protocol": "paper",
            "histogram": {"all": [0, 10, 15, 5], "members": [0, 8, 12, 2], "off_topology": [0, 2, 3, 3]},
            "summary": {"all": {"count": 30, "median": 2.0}, "members": {"count": 22, "median": 2.0},
                        "off_topology": {"count": 8, "median": 2.5}}}


def _sensitivity():
    points = [{"parameter": p, "value": v, "reconstruction_accuracy": 90 + i, "codebook_used": 10}
              for p, values in (("codebook_size", (16, 64)), ("beta", (0.1, 0.5)), ("decay", (0.9, 0.99)))
              for i, v in enumerate(values)]
    return {"space": "toy", "generator": "g", "seed": 0, "vqvae_epochs": 2, "points": points}


def _laid_out(figure):
    figure.tight_layout()  # as save_figure does before writing
    figure.canvas.draw()
    return figure


def _legend_outside(axis):
    legend = axis.get_legend()
    assert legend is not None
    box, data = legend.get_window_extent(), axis.get_window_extent()
    assert box.x0 >= data.x1 - 0.5 or box.y1 <= data.y0 + 0.5 or box.x1 <= data.x0 + 0.5 or box.y0 >= data.y1 - 0.5, (
        f"legend {box} overlaps the data area {data}")
    return legend


def _bands_within_limits(axis):
    bands = [c for c in axis.collections if len(c.get_paths())]
    low, high = axis.get_ylim()
    for band in bands:
        for path in band.get_paths():
            y = path.vertices[:, 1]
            y = y[np.isfinite(y)]
            assert (y >= low - 1e-9).all() and (y <= high + 1e-9).all(), f"band runs to {y.min()}..{y.max()}, axes {low}..{high}"
    return bands


@pytest.mark.parametrize("plot, data", [
    (plot_sweep, _sweep()), (plot_predict, _predict()), (plot_anytime, _search()),
    (code_distributions.plot, _codes()), (codebook_health.plot, _codebook()), (neighbours.plot, _neighbours()),
    (sensitivity.plot, _sensitivity()),
], ids=["sweep", "predict", "search", "codes", "codebook", "neighbours", "sensitivity"])
def test_every_figure_kind_writes_a_non_trivial_png(plot, data, tmp_path):
    path = plot(data, tmp_path / "figure.png")
    content = path.read_bytes()
    assert content[:8] == PNG_MAGIC and len(content) > 10_000


def test_sweep_legend_sits_outside_and_every_reference_line_is_labelled():
    figure = _laid_out(draw_sweep(_sweep()))
    axis = figure.axes[0]
    texts = [t.get_text() for t in _legend_outside(axis).get_texts()]
    assert any(t.startswith("best absolute uniqueness: 70.0 at 2.0") for t in texts)
    assert any(t.startswith("best absolute novelty: 58.0 at 2.0") for t in texts)
    assert any("i.i.d. uniqueness ceiling" in t for t in texts)
    assert len(_bands_within_limits(axis)) == 3  # paper validity, uniqueness, novelty


def test_one_seed_sweep_draws_no_band_and_says_one_seed():
    figure = _laid_out(draw_sweep(_sweep(seeds=1)))
    axis = figure.axes[0]
    assert not axis.collections and "× 1 seed" in axis.get_title()


def test_predict_band_stays_inside_tau_range_and_the_axes():
    figure = _laid_out(draw_predict(_predict()))
    axis = figure.axes[0]
    _legend_outside(axis)
    assert axis.get_ylim()[1] <= 1.0
    assert len(_bands_within_limits(axis)) == 1


def test_search_band_is_clipped_near_zero_queries_and_the_legend_is_outside():
    figure = _laid_out(draw_anytime(_search()))
    axis = figure.axes[0]
    _legend_outside(axis)
    assert len(_bands_within_limits(axis)) == 2


def test_code_heatmaps_have_labelled_colour_bars():
    figure = _laid_out(code_distributions.draw(_codes()))
    images = [image for axis in figure.axes for image in axis.images]
    assert len(images) == 4
    assert all(image.colorbar is not None and image.colorbar.ax.get_ylabel() == "share" for image in images)


@pytest.mark.parametrize("draw, data", [(codebook_health.draw, _codebook()), (neighbours.draw, _neighbours())],
                         ids=["codebook", "neighbours"])
def test_analysis_legends_sit_outside_the_data(draw, data):
    figure = _laid_out(draw(data))
    for axis in figure.axes:
        _legend_outside(axis)
