"""The AutoFormer-T/S/B vision-transformer search spaces.

A subnet picks one embedding dim, a depth and, per layer, an MLP ratio and a
head count (ranges in :mod:`archgen.spaces.autoformer.ranges`). Its native
form is the dict ``{"embed_dim", "depth", "mlp_ratio": [...], "num_heads": [...]}``
and its native string the compact JSON of that dict.

Graph form (every architecture has ``max_nodes = max_depth + 2`` nodes on one
fixed chain ``0 -> 1 -> ... -> max_nodes - 1``):

* node 0 is the input and carries the embedding dim: ``embed_192``;
* nodes ``1 .. max_depth`` are the layers, ``l_r3.5_h4`` (MLP ratio 3.5, 4 heads);
  the layers past ``depth`` are ``skip``, the identity the release's supernet
  runs for blocks it does not sample (``is_identity_layer``), and must come last;
* the last node is ``output``.

So one token holds the embedding dim (no cross-layer consistency to learn),
the tensor form has a fixed adjacency, and ``from_tensors(to_tensors(a)) == a``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Hashable
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict
from torch import nn

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.config import RelativeToConfig
from archgen.errors import InvalidArchitectureError
from archgen.oracle import ComputedOracle, MetricSpec
from archgen.space_base import GraphSpaceBase
from archgen.spaces.autoformer import counters, model
from archgen.spaces.autoformer.native import SubnetConfig, parse_config
from archgen.spaces.autoformer.ranges import SearchRanges, search_ranges

SKIP_OP = "skip"
OUTPUT_OP = "output"

#: Oracle metrics computed from the subnet (free: no table, no training), in GFLOPs.
#: ``flops_release`` is the release's ``get_complexity`` (the rule AutoFormer's
#: published FLOPs come from), ``macs`` is :func:`~archgen.spaces.autoformer.counters.count_macs`.
COMPUTED_METRICS: dict[str, MetricSpec] = {
    "flops_release": MetricSpec("G", higher_is_better=False, scale=1e-9),
    "macs": MetricSpec("G", higher_is_better=False, scale=1e-9),
}


def embed_label(embed_dim: int) -> str:
    """The input-node label of an embedding dim (``embed_192``)."""
    return f"embed_{embed_dim}"


def layer_label(mlp_ratio: float, num_heads: int) -> str:
    """The node label of one layer (``l_r3.5_h4``)."""
    return f"l_r{mlp_ratio:.1f}_h{num_heads}"


def _vocabulary(ranges: SearchRanges) -> tuple[str, ...]:
    layers = [layer_label(r, h) for r in ranges.mlp_ratios for h in ranges.num_heads]
    return (*(embed_label(e) for e in ranges.embed_dims), *layers, SKIP_OP, OUTPUT_OP)


def _chain(n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(j == i + 1) for j in range(n)) for i in range(n))


_TINY = search_ranges("tiny")


class AutoFormerOptions(BaseModel):
    """Options of the ``autoformer`` space.

    Attributes:
        size: Which AutoFormer supernet's ranges: ``"tiny"``, ``"small"`` or ``"base"``.
        ranges: ``"release"`` (the supernet YAMLs of microsoft/Cream) or
            ``"nni"`` (NNI's presets, which add MLP ratio 3.0 to tiny so the
            published AutoFormer-T is a member).
        benchmark: A ``gt_autoformer*.json`` file, an Auto-Prox ``.pth`` list,
            or a directory holding ``gt_autoformer.json`` / ``gt_autoformer_2.json``;
            ``None`` for no table.
    """

    model_config = ConfigDict(extra="forbid")
    size: Literal["tiny", "small", "base"] = "tiny"
    ranges: Literal["release", "nni"] = "release"
    benchmark: RelativeToConfig | None = None


class AutoFormerSpace(GraphSpaceBase):
    """AutoFormer ViT subnets of one size, as a chain of layer nodes.

    The class attributes describe the default (release tiny) space; an
    instance sets ``op_vocabulary`` and ``max_nodes`` for its own size.
    """

    name: ClassVar[str] = "autoformer"
    op_vocabulary: tuple[str, ...] = _vocabulary(_TINY)
    max_nodes: int = _TINY.max_depth + 2
    input_op: ClassVar[str | None] = None  # the input label carries the embed dim
    output_op: ClassVar[str | None] = OUTPUT_OP
    pad_op: ClassVar[str | None] = None
    Options: ClassVar[type[BaseModel]] = AutoFormerOptions
    benchmark_formats: ClassVar[str] = "e.g. ../shared/data/autoformer, holding gt_autoformer.json and gt_autoformer_2.json"
    #: ImageNet top-1 with supernet weights: the one field every staged record has.
    default_metric: ClassVar[str | None] = "imagenet_super_acc"

    def __init__(self, options: AutoFormerOptions | None = None):
        options = options if options is not None else AutoFormerOptions()
        self.ranges = search_ranges(options.size, options.ranges)
        self.op_vocabulary = _vocabulary(self.ranges)
        self.max_nodes = self.ranges.max_depth + 2
        self.member_noun = f"AutoFormer-{self.ranges.size} architecture"
        super().__init__(options)
        self._adjacency = _chain(self.max_nodes)
        self._embed_of_label = {embed_label(e): e for e in self.ranges.embed_dims}
        self._layer_of_label = {
            layer_label(r, h): (r, h) for r in self.ranges.mlp_ratios for h in self.ranges.num_heads
        }

    def __repr__(self) -> str:
        return f"AutoFormerSpace(size={self.ranges.size!r}, ranges={self.options.ranges!r})"

    # -- size and membership ------------------------------------------------------
    def size(self) -> int:
        """``sum over depth d of |embed| * (|mlp| * |heads|) ** d`` (1,056,964,608 for release tiny)."""
        return self.ranges.size_of_space()

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` subnets drawn as the release's ``sample_configs`` draws them.

        Depth and embedding dim uniformly, then each layer's MLP ratio and
        heads uniformly (microsoft/Cream, ``AutoFormer/supernet_engine.py``);
        so every depth is equally likely, not every subnet.
        """
        rng = np.random.default_rng(seed)
        ranges, archs = self.ranges, []
        for _ in range(n):
            embed_dim = ranges.embed_dims[int(rng.integers(len(ranges.embed_dims)))]
            depth = ranges.depths[int(rng.integers(len(ranges.depths)))]
            ratios = [ranges.mlp_ratios[int(i)] for i in rng.integers(len(ranges.mlp_ratios), size=depth)]
            heads = [ranges.num_heads[int(i)] for i in rng.integers(len(ranges.num_heads), size=depth)]
            archs.append(self._from_config(SubnetConfig(embed_dim, depth, tuple(ratios), tuple(heads))))
        return archs

    def why_invalid(self, arch: Architecture) -> str | None:
        """Strict: the fixed chain, an embed label first, ``output`` last, layers then trailing skips."""
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        if arch.num_nodes != self.max_nodes:
            return f"has {arch.num_nodes} nodes; AutoFormer-{self.ranges.size} graphs have {self.max_nodes}"
        if arch.adjacency != self._adjacency:
            wrong = sorted(set(arch.edges()) ^ {(i, i + 1) for i in range(self.max_nodes - 1)})
            return f"adjacency is not the chain 0->1->...->{self.max_nodes - 1}; differs at edges {wrong}"
        first, last = arch.ops[0], arch.ops[-1]
        if first not in self._embed_of_label:
            return f"node 0 is {first!r}; expected an embed label, one of {sorted(self._embed_of_label)}"
        if last != OUTPUT_OP:
            return f"last node is {last!r}; expected {OUTPUT_OP!r}"
        depth = 0
        for position, op in enumerate(arch.ops[1:-1], start=1):
            if op == SKIP_OP:
                continue
            if op not in self._layer_of_label:
                return f"node {position} is {op!r}; expected {SKIP_OP!r} or one of {sorted(self._layer_of_label)}"
            if depth != position - 1:
                return f"layer node {position} follows a {SKIP_OP!r} node; skipped layers must come last"
            depth += 1
        if depth not in self.ranges.depths:
            return f"depth {depth} is outside AutoFormer-{self.ranges.size}'s depths {list(self.ranges.depths)}"
        return None

    def paper_valid(self, arch: Architecture) -> bool:
        """The ops check alone: an embed label, then layer or skip labels, then ``output``."""
        ops = arch.ops
        if len(ops) < 2 or ops[0] not in self._embed_of_label or ops[-1] != OUTPUT_OP:
            return False
        return all(op == SKIP_OP or op in self._layer_of_label for op in ops[1:-1])

    # -- identity -------------------------------------------------------------------
    def canonical_key(self, arch: Architecture) -> Hashable:
        """The native config tuple ``(embed_dim, depth, mlp_ratios, num_heads)``.

        Strict validity fixes the skips at the end, so a subnet has exactly one
        graph and the key is one-to-one with :meth:`key`; there is no
        equivalence to quotient by (heads and MLP ratios of different layers
        are different weights), hence no ``equivalent_forms``.
        """
        return self.to_config(arch).as_tuple()

    # -- search ---------------------------------------------------------------------------
    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A neighbour of ``arch`` by AutoFormer's evolutionary search.

        ``EvolutionSearcher.get_mutation`` of the release (microsoft/Cream,
        ``AutoFormer/evolution.py``, its defaults ``m_prob = 0.2``,
        ``s_prob = 0.4``): with probability ``s_prob`` a new depth (new layers get
        random MLP ratios and heads, removed ones are dropped); then each layer's
        MLP ratio and each layer's head count with probability ``m_prob``; then
        the embedding dim with probability ``s_prob``. A draw that changes
        nothing is redrawn.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        config = self.to_config(arch)
        ranges, m_prob, s_prob = self.ranges, 0.2, 0.4
        while True:
            depth, ratios, heads = config.depth, list(config.mlp_ratio), list(config.num_heads)
            if rng.random() < s_prob:
                new_depth = rng.choice(ranges.depths)
                ratios = (ratios + [rng.choice(ranges.mlp_ratios) for _ in range(new_depth - depth)])[:new_depth]
                heads = (heads + [rng.choice(ranges.num_heads) for _ in range(new_depth - depth)])[:new_depth]
                depth = new_depth
            for layer in range(depth):
                if rng.random() < m_prob:
                    ratios[layer] = rng.choice(ranges.mlp_ratios)
            for layer in range(depth):
                if rng.random() < m_prob:
                    heads[layer] = rng.choice(ranges.num_heads)
            embed_dim = rng.choice(ranges.embed_dims) if rng.random() < s_prob else config.embed_dim
            child = SubnetConfig(embed_dim, depth, tuple(ratios), tuple(heads))
            if child.as_tuple() != config.as_tuple():
                return self._from_config(child)

    # -- native format ----------------------------------------------------------------
    def to_config(self, arch: Architecture) -> SubnetConfig:
        """The subnet of a valid architecture.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member.
        """
        self.require_valid(arch)
        layers = [self._layer_of_label[op] for op in arch.ops[1:-1] if op != SKIP_OP]
        return SubnetConfig(
            self._embed_of_label[arch.ops[0]],
            len(layers),
            tuple(r for r, _ in layers),
            tuple(h for _, h in layers),
        )

    def to_native(self, arch: Architecture) -> dict[str, Any]:
        """``{"embed_dim", "depth", "mlp_ratio": [...], "num_heads": [...]}``."""
        return self.to_config(arch).to_dict()

    def from_native(self, value: dict[str, Any] | SubnetConfig, *, aliases: bool = False) -> Architecture:
        """Parses a native dict.

        Args:
            value: The dict (or a :class:`SubnetConfig`).
            aliases: Also accept ``hidden_dim`` / ``layer_num`` for ``embed_dim`` / ``depth``.

        Raises:
            InvalidArchitectureError: Naming the bad key or value and the accepted ones.
        """
        config = parse_config(value, aliases=aliases)
        reason = self.config_outside_ranges(config)
        if reason is not None:
            raise InvalidArchitectureError(f"not an AutoFormer-{self.ranges.size} subnet: {reason}")
        return self._from_config(config)

    def config_outside_ranges(self, config: SubnetConfig) -> str | None:
        """Why a well-formed config is not in this space's ranges, or ``None``."""
        ranges = self.ranges
        if config.embed_dim not in ranges.embed_dims:
            return f"embed_dim {config.embed_dim} not in {list(ranges.embed_dims)}"
        if config.depth not in ranges.depths:
            return f"depth {config.depth} not in {list(ranges.depths)}"
        for layer, (ratio, heads) in enumerate(zip(config.mlp_ratio, config.num_heads)):
            if ratio not in ranges.mlp_ratios:
                return f"mlp_ratio[{layer}] = {ratio} not in {list(ranges.mlp_ratios)}"
            if heads not in ranges.num_heads:
                return f"num_heads[{layer}] = {heads} not in {list(ranges.num_heads)}"
        return None

    def to_string(self, arch: Architecture) -> str:
        """Compact JSON of the native dict (keys ``embed_dim, depth, mlp_ratio, num_heads``)."""
        return self.to_config(arch).to_json()

    def from_string(self, text: str) -> Architecture:
        """Parses the native JSON string.

        Raises:
            InvalidArchitectureError: Naming the text and what is wrong with it.
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"AutoFormer arch string must be a str, got {type(text).__name__}")
        try:
            value = json.loads(text)
        # ValueError, not just JSONDecodeError: an int past Python's 4300-digit limit raises it.
        except (ValueError, RecursionError):
            raise InvalidArchitectureError(
                f"invalid AutoFormer arch string {text[:80]!r}: expected JSON like "
                '{"embed_dim":192,"depth":12,"mlp_ratio":[3.5,...],"num_heads":[3,...]}'
            ) from None
        try:
            return self.from_native(value)
        except InvalidArchitectureError as error:
            raise InvalidArchitectureError(f"invalid AutoFormer arch string {text[:80]!r}: {error}") from None

    # -- models ---------------------------------------------------------------------------
    def count_params(self, arch: Architecture, **kwargs: Any) -> int:
        """Exact parameters as the release counts them (see :mod:`~archgen.spaces.autoformer.counters`)."""
        return counters.count_params(self.to_config(arch), **kwargs)

    def count_macs(self, arch: Architecture, resolution: int = counters.IMAGE_SIZE, **kwargs: Any) -> int:
        """Exact MACs of one image at ``resolution`` (convention in :mod:`~archgen.spaces.autoformer.counters`)."""
        return counters.count_macs(self.to_config(arch), image_size=resolution, **kwargs)

    def build_model(self, arch: Architecture, **kwargs: Any) -> nn.Module:
        """The subnet's standalone ViT; its parameter count equals :meth:`count_params`."""
        return model.build_model(self.to_config(arch), **kwargs)

    # -- benchmark ------------------------------------------------------------------------
    def metric_spec(self, metric: str) -> MetricSpec | None:
        """Every Auto-Prox field is an accuracy in % (``imagenet_super_acc``, ``c100_kd_acc``...)."""
        return MetricSpec("%") if metric.endswith("_acc") else None

    def oracle_metrics(self) -> dict[str, str]:
        """The table's accuracies (first, the default first), then ``flops_release`` and ``macs`` (G).

        Raises:
            DataFileError: If no ``benchmark`` is configured (as every space without
                data does; ``oracle("flops_release")`` still answers without one).
        """
        return {**super().oracle_metrics(), **{name: spec.unit for name, spec in COMPUTED_METRICS.items()}}

    def oracle(self, metric: str | None = None) -> Any:
        """A table metric, or a computed one: ``flops_release`` (the release's
        ``get_complexity``, :func:`~archgen.spaces.autoformer.counters.count_flops_release`)
        or ``macs`` (:meth:`count_macs`), both in GFLOPs at 224 px, memoised by key; these two
        need no ``benchmark``."""
        if metric not in COMPUTED_METRICS:
            return super().oracle(metric)
        oracles = self.__dict__.setdefault("_oracles", {})
        if metric not in oracles:
            count = counters.count_flops_release if metric == "flops_release" else counters.count_macs
            oracles[metric] = ComputedOracle(self, metric, COMPUTED_METRICS[metric], lambda a: count(self.to_config(a)))
        return oracles[metric]

    def read_benchmark(self, path: Path) -> BenchmarkTable:
        """The Auto-Prox AutoFormer table (a folder or one of its JSON/.pth files)."""
        from archgen.spaces.autoformer.tables import load_benchmark

        return load_benchmark(path, self)

    # -- helpers ------------------------------------------------------------------------------
    def _from_config(self, config: SubnetConfig) -> Architecture:
        layers = [layer_label(r, h) for r, h in zip(config.mlp_ratio, config.num_heads)]
        skips = [SKIP_OP] * (self.ranges.max_depth - config.depth)
        ops = (embed_label(config.embed_dim), *layers, *skips, OUTPUT_OP)
        return Architecture(self.name, self._adjacency, ops)

