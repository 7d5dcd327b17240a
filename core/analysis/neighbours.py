"""``neighbours``: how far "novel" is -- each novel sample's distance to its nearest training architecture.

The distance is hash-free and structural, on the space's padded graph form: the number of node
pairs whose edge differs (strict upper triangle) plus the number of nodes whose op differs (a
padding row is an op of its own). It compares graphs node by node as they stand, so it is an upper
bound on an isomorphism-invariant edit distance (two isomorphic graphs in different node orders are
not at 0). It is computed with one matrix product per chunk, ``|a| + |b| - 2 a·b`` for the edge bits and
``N - a·b`` for the one-hot ops, against every distinct training graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs
from archgen.analysis.novelty import novel_rows
from archgen.figures import headless_pyplot, legend_outside, save_figure

FIGURE = "neighbours.png"
#: Samples per distance block: ``[chunk, T]`` float32 distances stay within a few hundred MB on NB101.
CHUNK = 256


class Options(BaseModel):
    """Options of the ``neighbours`` analysis.

    Attributes:
        n: Samples drawn from the generator.
        novel: Novelty protocol choosing the samples (``paper`` or ``strict``).
        seed: Replicate to analyse (default: the first trained one).
        sample_seed: Seed of the draws.
    """

    model_config = ConfigDict(extra="forbid")
    n: int = Field(10_000, ge=1, le=10_000_000)
    novel: Literal["paper", "strict"] = "paper"
    seed: int | None = None
    sample_seed: int = 0


def graph_features(adjacency: np.ndarray, ops: np.ndarray, num_ops: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edge bits [B, N(N-1)/2], one-hot ops [B, N * (num_ops + 1)])`` of padded graphs (op ``-1``: padding)."""
    adjacency = np.asarray(adjacency)
    n = adjacency.shape[-1]
    upper = np.triu_indices(n, k=1)
    edges = torch.from_numpy((adjacency[:, upper[0], upper[1]] != 0).astype(np.float32))
    labels = np.where(np.asarray(ops) < 0, num_ops, np.asarray(ops))
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(labels.astype(np.int64)), num_ops + 1).float()
    return edges, one_hot.reshape(len(labels), -1)


def nearest_distances(
    samples: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray], num_ops: int
) -> np.ndarray:
    """For each sample graph, the smallest structural distance (see module docstring) to a reference graph.

    Args:
        samples: ``(adjacency [S, N, N], op indices [S, N])``.
        reference: ``(adjacency [T, N, N], op indices [T, N])``; ``T >= 1``.
        num_ops: Size of the op vocabulary.

    Returns:
        ``[S]`` int64 distances.
    """
    edges_s, ops_s = graph_features(*samples, num_ops)
    edges_t, ops_t = graph_features(*reference, num_ops)
    nodes = samples[1].shape[1]
    norm_t = edges_t.sum(1)
    out = np.empty(len(edges_s), dtype=np.int64)
    for start in range(0, len(edges_s), CHUNK):
        e, o = edges_s[start : start + CHUNK], ops_s[start : start + CHUNK]
        edge_diff = e.sum(1, keepdim=True) + norm_t[None] - 2 * (e @ edges_t.T)
        op_diff = nodes - o @ ops_t.T
        out[start : start + CHUNK] = (edge_diff + op_diff).min(1).values.round().long().numpy()
    return out


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Nearest-training distances of the novel samples of one replicate; writes the histogram."""
    seed = inputs.replicate(options.seed)
    space = inputs.space
    batch = inputs.draw(inputs.generator(seed), options.n, options.sample_seed)
    novel = np.flatnonzero(novel_rows(space, batch, inputs.reference, options.novel))
    reference = inputs.reference
    num_ops = len(space.op_vocabulary)
    distances = (nearest_distances((batch.adjacency[novel], batch.op_indices[novel]),
                                   (reference.train_adjacency, reference.train_labels), num_ops)
                 if len(novel) else np.zeros(0, dtype=np.int64))
    archs = batch.architectures(space)
    member = np.array([archs[i] is not None and space.is_valid(archs[i]) for i in novel], dtype=bool)
    groups = {"all": distances, "members": distances[member], "off_topology": distances[~member]}
    result = {
        "analysis": "neighbours",
        "space": space.name,
        "generator": inputs.generator_spec["name"],
        "replicate_seed": seed,
        "sample_seed": options.sample_seed,
        "sampling": inputs.sampling,
        "samples": int(options.n),
        "novel_protocol": options.novel,
        "novel_samples": int(len(novel)),
        "distinct_training_graphs": int(len(reference.train_adjacency)),
        "summary": {name: _summary(values) for name, values in groups.items()},
        "histogram": {name: np.bincount(values).tolist() if len(values) else [] for name, values in groups.items()},
    }
    plot(result, figure)
    return result


def _summary(values: np.ndarray) -> dict[str, Any]:
    if not len(values):
        return {"count": 0}
    return {"count": int(len(values)), "min": int(values.min()), "median": float(np.median(values)),
            "mean": float(values.mean()), "max": int(values.max())}


def plot(result: dict[str, Any], path: Path) -> Path:
    """Histogram of the nearest-training distances, members of the space and off-topology decodes stacked."""
    return save_figure(draw(result), path)


def draw(result: dict[str, Any]) -> Any:
    """The figure of :func:`plot`, not yet saved; the legend sits outside the bars."""
    plt = headless_pyplot()

    figure, axis = plt.subplots(figsize=(8, 4), dpi=110)
    width = max(len(result["histogram"]["all"]), 1)
    bottom = np.zeros(width)
    for name, color in (("members", "tab:blue"), ("off_topology", "tab:orange")):
        counts = np.zeros(width)
        counts[: len(result["histogram"][name])] = result["histogram"][name]
        axis.bar(np.arange(width), counts, bottom=bottom, color=color,
                 label=f"{name.replace('_', ' ')} ({result['summary'][name]['count']})")
        bottom += counts
    axis.set_xlabel("distance to the nearest training graph (edges + ops differing)")
    axis.set_ylabel("novel samples")
    axis.set_title(f"{result['space']} · {result['generator']}: {result['novel_samples']} {result['novel_protocol']}-novel "
                   f"of {result['samples']} samples", fontsize=9)
    legend_outside(axis, fontsize=8)
    axis.grid(alpha=0.3, axis="y")
    return figure


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: how far the novel samples lie from the training graphs."""
    summary = result["summary"]

    def median(name: str) -> str:
        return f"{summary[name]['median']:g}" if summary[name]["count"] else "-"

    return (f"distance of the {result['novel_samples']} {result['novel_protocol']}-novel samples (of {result['samples']}) "
            f"to their nearest training graph: median {median('all')} (members {median('members')}, "
            f"off-topology {median('off_topology')}; {summary['off_topology']['count']} off-topology)")
