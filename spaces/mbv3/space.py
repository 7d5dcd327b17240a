"""Once-for-All's MobileNetV3 search space (``ofa_mbv3_d234_e346_k357``).

5 stages of 2-4 MBConv blocks; every block picks a kernel size in {3, 5, 7}
and an expand ratio in {3, 4, 6}: per stage 9**2 + 9**3 + 9**4 = 7,371
choices, 7,371**5 ~ 2.2e19 subnets. The native format is OFA's subnet dict
``{"ks": [...20], "e": [...20], "d": [...5]}`` as compact JSON, normalised
(unused slots written as kernel 3, expand 3; see
:mod:`archgen.spaces.mbv3.subnet`). The graph form is a chain of 22 nodes:
``input``, the 20 block slots (``mb_k{k}_e{e}`` for a block that runs,
``skip`` for a slot beyond its stage's depth), ``output``, with edges
``i -> i + 1``.

Beyond the protocol the space offers exact ``count_params`` / ``count_macs``,
``build_model`` (a runnable, randomly initialised PyTorch network), the
released OFA accuracy predictor and the Note10 latency lookup tables as
oracles, ``space.oracle("imagenet/top1")`` (in %) and
``space.oracle("note10/latency")`` (ms), both read from paths given as options.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.errors import ConfigError, DataFileError, InvalidArchitectureError, choices_text
from archgen.oracle import ComputedOracle, MetricSpec
from archgen.space_base import GraphSpaceBase
from archgen.spaces.mbv3 import counters
from archgen.spaces.mbv3.accuracy_predictor import AccuracyPredictor, load_predictor
from archgen.spaces.mbv3.blueprint import Blueprint, blueprint
from archgen.spaces.mbv3.latency_table import LatencyTable
from archgen.spaces.mbv3.model import build_network
from archgen.spaces.mbv3.subnet import (
    DEPTHS,
    EXPAND_RATIOS,
    KERNEL_SIZES,
    MAX_BLOCKS_PER_STAGE,
    NUM_SLOTS,
    NUM_STAGES,
    Subnet,
    is_used,
    subnet_from_json,
    subnet_from_native,
)

SKIP_OP = "skip"
BLOCK_OPS = tuple(f"mb_k{k}_e{e}" for k in KERNEL_SIZES for e in EXPAND_RATIOS)
_BLOCK_OF_OP = {f"mb_k{k}_e{e}": (k, e) for k in KERNEL_SIZES for e in EXPAND_RATIOS}
NUM_NODES = NUM_SLOTS + 2

#: The one graph topology: a chain input -> slot 1 -> ... -> slot 20 -> output.
CHAIN_ADJACENCY: tuple[tuple[int, ...], ...] = tuple(
    tuple(int(j == i + 1) for j in range(NUM_NODES)) for i in range(NUM_NODES)
)

RELEASED_WIDTHS = (1.0, 1.2)

#: Oracle metric names: OFA's predicted ImageNet top-1 and the Note10 lookup-table latency.
ACCURACY_METRIC = "imagenet/top1"
LATENCY_METRIC = "note10/latency"


class MobileNetV3Options(BaseModel):
    """Options of the ``mbv3`` space.

    Attributes:
        width_mult: OFA width multiplier of the network, 1.0 or 1.2 (the two
            released OFA MobileNetV3 networks). The accuracy predictor and the
            Note10 tables belong to the 1.2 network.
        resolution: Default input side for ``count_macs`` and the oracles
            (``count_macs`` takes ``resolution=``, an oracle metric ``@<side>``).
        num_classes: Classifier outputs of built models and counts.
        sampling: ``"ofa"`` draws depth, kernel and expand ratio uniformly and
            independently per stage/slot (OFA's ``sample_active_subnet``);
            ``"uniform"`` draws uniformly over the distinct subnets (depth 4
            then has probability 6561/7371 per stage).
        predictor: Path of ``acc_predictor.npz`` (or the original ``.pth``).
        latency_tables: Folder of ``{resolution}_lookup_table.yaml`` files.
    """

    model_config = ConfigDict(extra="forbid")
    width_mult: float = 1.2
    resolution: int = Field(224, ge=32, le=1024)
    num_classes: int = Field(1000, ge=1)
    sampling: Literal["ofa", "uniform"] = "ofa"
    predictor: RelativeToConfig | None = None
    latency_tables: RelativeToConfig | None = None

    @field_validator("width_mult")
    @classmethod
    def _released_width(cls, value: float) -> float:
        if value not in RELEASED_WIDTHS:
            raise ValueError(
                f"width_mult {value} is not a released OFA MobileNetV3 width; expected one of {list(RELEASED_WIDTHS)}"
            )
        return float(value)


class MobileNetV3Space(GraphSpaceBase):
    """The ~2.2e19 subnets of OFA's elastic MobileNetV3 as 22-node chains."""

    name: ClassVar[str] = "mbv3"
    op_vocabulary: ClassVar[tuple[str, ...]] = ("input", *BLOCK_OPS, SKIP_OP, "output")
    max_nodes: ClassVar[int] = NUM_NODES
    Options: ClassVar[type[BaseModel]] = MobileNetV3Options
    # arch2vec has no MobileNetV3 rule; its published-style figures use the generic ops check.
    paper_ops_check: ClassVar[bool] = True

    def __init__(self, options: MobileNetV3Options | None = None):
        super().__init__(options)
        self._predictor: AccuracyPredictor | None = None
        self._latency: LatencyTable | None = None

    # -- size and membership ------------------------------------------------
    def size(self) -> int:
        """Distinct subnets: per stage the sum over depths d of (kernels x expands)**d, to the 5th power."""
        per_block = len(KERNEL_SIZES) * len(EXPAND_RATIOS)
        return sum(per_block**depth for depth in DEPTHS) ** NUM_STAGES

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` subnets drawn with ``numpy.random.default_rng(seed)`` (see the ``sampling`` option)."""
        rng = np.random.default_rng(seed)
        if self.options.sampling == "uniform":
            per_block = len(KERNEL_SIZES) * len(EXPAND_RATIOS)
            weights = np.array([per_block**d for d in DEPTHS], dtype=float)
            depths = rng.choice(DEPTHS, size=(n, NUM_STAGES), p=weights / weights.sum())
        else:
            depths = rng.choice(DEPTHS, size=(n, NUM_STAGES))
        kernels = rng.choice(KERNEL_SIZES, size=(n, NUM_SLOTS))
        expands = rng.choice(EXPAND_RATIOS, size=(n, NUM_SLOTS))
        return [
            self.from_native({"ks": k.tolist(), "e": e.tolist(), "d": d.tolist()})
            for k, e, d in zip(kernels, expands, depths)
        ]

    def why_invalid(self, arch: Architecture) -> str | None:
        """Strict: 22 nodes in the fixed chain; per stage 2-4 blocks, then only skips."""
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        if arch.num_nodes != NUM_NODES:
            return f"has {arch.num_nodes} nodes; mbv3 graphs have {NUM_NODES} (input, 20 block slots, output)"
        if arch.adjacency != CHAIN_ADJACENCY:
            wrong = sorted(set(arch.edges()) ^ {(i, i + 1) for i in range(NUM_NODES - 1)})
            return f"adjacency differs from the mbv3 chain (edges i -> i+1) at edges {wrong}"
        if arch.ops[0] != "input" or arch.ops[-1] != "output":
            return f"first/last nodes are {arch.ops[0]!r}/{arch.ops[-1]!r}; expected 'input'/'output'"
        for node, op in enumerate(arch.ops[1:-1], start=1):
            if op != SKIP_OP and op not in _BLOCK_OF_OP:
                return f"node {node} has op {op!r}; expected 'skip' or one of {list(BLOCK_OPS)}"
        for stage in range(NUM_STAGES):
            ops = arch.ops[1 + stage * MAX_BLOCKS_PER_STAGE : 1 + (stage + 1) * MAX_BLOCKS_PER_STAGE]
            depth = sum(op != SKIP_OP for op in ops)
            if any(op != SKIP_OP for op in ops[depth:]):
                return f"stage {stage} has a block after a skip ({list(ops)}); blocks must come first"
            if depth not in DEPTHS:
                return f"stage {stage} has {depth} blocks; expected one of {list(DEPTHS)}"
        return None

    # -- identity -------------------------------------------------------------
    def canonical_key(self, arch: Architecture) -> Hashable:
        """The normalised native subnet ``(ks, e, d)``: equal keys are the same network."""
        subnet = self.subnet(arch)
        return (subnet.ks, subnet.e, subnet.d)

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """Re-imports of ``arch``'s native dict with random kernels/expands in the unused slots.

        Those slots never run, so every such dict names the same network; the
        normalisation on import must map them all back to ``arch``.
        """
        subnet = self.subnet(arch)
        forms = []
        for _ in range(2):
            native = subnet.to_native()
            for slot in range(NUM_SLOTS):
                if not is_used(slot, subnet.d):
                    native["ks"][slot] = rng.choice((0, *KERNEL_SIZES))
                    native["e"][slot] = rng.choice((0, *EXPAND_RATIOS))
            forms.append(self.from_native(native))
        return forms

    # -- search -----------------------------------------------------------------
    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A neighbour of ``arch`` by OFA's evolutionary search.

        ``EvolutionFinder.mutate_sample`` (mit-han-lab/once-for-all,
        ``ofa/tutorial/evolution_finder.py``, ``mutate_prob = 0.1``): every one of
        the 20 block slots has its kernel and expand ratio redrawn with
        probability 0.1, every one of the 5 stage depths with probability 0.1
        (the resolution is fixed here, so it is not mutated). OFA's dict keeps
        random values in the slots a stage does not use, which a deeper depth
        later switches on; the normalised form here does not keep them, so slots
        a depth increase switches on are drawn afresh, as OFA's would have been.
        A draw that leaves the network unchanged is redrawn. A latency limit is
        the caller's to apply (OFA redraws until its constraint holds).

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        subnet = self.subnet(arch)
        parent = (subnet.ks, subnet.e, subnet.d)
        while True:
            native = subnet.to_native()
            for slot in range(NUM_SLOTS):
                if rng.random() < 0.1:
                    native["ks"][slot] = rng.choice(KERNEL_SIZES)
                    native["e"][slot] = rng.choice(EXPAND_RATIOS)
            for stage in range(NUM_STAGES):
                if rng.random() < 0.1:
                    native["d"][stage] = rng.choice(DEPTHS)
            for slot in range(NUM_SLOTS):
                if is_used(slot, native["d"]) and not is_used(slot, subnet.d):
                    native["ks"][slot] = rng.choice(KERNEL_SIZES)
                    native["e"][slot] = rng.choice(EXPAND_RATIOS)
            child = self.from_native(native)
            if self.canonical_key(child) != parent:
                return child

    # -- native format ----------------------------------------------------------
    def subnet(self, arch: Architecture) -> Subnet:
        """The normalised OFA subnet of a valid architecture.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member of the space.
        """
        reason = self.why_invalid(arch)
        if reason is not None:
            raise InvalidArchitectureError(f"not a valid mbv3 architecture: {reason}")
        ks, e, d = [], [], []
        for stage in range(NUM_STAGES):
            depth = 0
            for i in range(MAX_BLOCKS_PER_STAGE):
                op = arch.ops[1 + stage * MAX_BLOCKS_PER_STAGE + i]
                kernel, expand = _BLOCK_OF_OP.get(op, (KERNEL_SIZES[0], EXPAND_RATIOS[0]))
                depth += op != SKIP_OP
                ks.append(kernel)
                e.append(expand)
            d.append(depth)
        return Subnet(tuple(ks), tuple(e), tuple(d))

    def from_subnet(self, subnet: Subnet) -> Architecture:
        """The graph form of a (normalised) subnet."""
        ops = [
            f"mb_k{subnet.ks[slot]}_e{subnet.e[slot]}" if is_used(slot, subnet.d) else SKIP_OP
            for slot in range(NUM_SLOTS)
        ]
        return Architecture(self.name, CHAIN_ADJACENCY, ("input", *ops, "output"))

    def to_native(self, arch: Architecture) -> dict[str, list[int]]:
        """OFA's ``{"ks": [...20], "e": [...20], "d": [...5]}`` dict, unused slots as kernel 3, expand 3."""
        return self.subnet(arch).to_native()

    def from_native(self, config: Any) -> Architecture:
        """Imports an OFA subnet dict (unused slots may hold any allowed value or 0).

        Raises:
            InvalidArchitectureError: Naming the bad key or value.
        """
        return self.from_subnet(subnet_from_native(config))

    def to_string(self, arch: Architecture) -> str:
        """Compact JSON of :meth:`to_native`, keys ks, e, d in that order."""
        return self.subnet(arch).to_json()

    def from_string(self, text: str) -> Architecture:
        """Parses the JSON native format.

        Raises:
            InvalidArchitectureError: Naming the text and what is wrong with it.
        """
        return self.from_subnet(subnet_from_json(text))

    # -- concrete networks ----------------------------------------------------------
    def blueprint(self, arch: Architecture, resolution: int | None = None, num_classes: int | None = None) -> Blueprint:
        """The layer plan (channels, strides, feature-map sizes) of ``arch``.

        Args:
            arch: A valid architecture.
            resolution: Input side (default: the space's ``resolution``).
            num_classes: Classifier outputs (default: the space's ``num_classes``).
        """
        resolution = self._resolution(resolution)
        classes = self.options.num_classes if num_classes is None else num_classes
        return blueprint(self.subnet(arch), self.options.width_mult, resolution, classes)

    def build_model(self, arch: Architecture, num_classes: int | None = None) -> torch.nn.Module:
        """A runnable, randomly initialised PyTorch network of ``arch`` (any input side >= 32).

        Args:
            arch: A valid architecture.
            num_classes: Classifier outputs (default: the space's ``num_classes``, 1000 for ImageNet).
        """
        return build_network(self.blueprint(arch, num_classes=num_classes))

    def count_params(self, arch: Architecture) -> int:
        """Exact trainable parameters of :meth:`build_model`'s network."""
        return counters.count_params(self.blueprint(arch))

    def count_macs(self, arch: Architecture, resolution: int | None = None) -> int:
        """Exact conv + linear multiply-accumulates for one image (OFA's ``count_net_flops`` convention)."""
        return counters.count_macs(self.blueprint(arch, resolution))

    # -- oracles ----------------------------------------------------------------------
    def oracle_metrics(self) -> dict[str, str]:
        """The oracles the configured data allow: ``imagenet/top1`` (%) and ``note10/latency`` (ms).

        Both are for the space's ``resolution``; ``oracle("imagenet/top1@192")``
        asks for another input side.

        Raises:
            DataFileError: If neither ``predictor`` nor ``latency_tables`` is set.
        """
        metrics = {}
        if self.options.predictor is not None:
            metrics[ACCURACY_METRIC] = "%"
        if self.options.latency_tables is not None:
            metrics[LATENCY_METRIC] = "ms"
        if not metrics:
            raise DataFileError(
                "space 'mbv3' has no oracle data; set [space.options] predictor = "
                "'../shared/data/ofa_mbv3/acc_predictor.npz' and/or latency_tables = "
                "'../shared/data/ofa_mbv3/latency_table_note10'"
            )
        return metrics

    def oracle(self, metric: str | None = None) -> ComputedOracle:
        """OFA's predicted ImageNet top-1 (in %: the predictor's fraction times 100) or Note10 latency (ms).

        Args:
            metric: ``imagenet/top1`` or ``note10/latency``, optionally with
                ``@<resolution>``; default the first of :meth:`oracle_metrics`.

        Raises:
            ConfigError: For an unknown metric or resolution, or a ``width_mult``
                other than 1.2 (the predictor's and the tables' network).
            DataFileError: If the metric's data is not configured or is corrupt.
        """
        metrics = self.oracle_metrics()
        name, _, suffix = (metric if metric is not None else next(iter(metrics))).partition("@")
        if name not in (ACCURACY_METRIC, LATENCY_METRIC):
            raise ConfigError(
                f"unknown metric {metric!r} for space 'mbv3'; accepted: {choices_text(metrics)} "
                "(optionally with @<resolution>)"
            )
        if suffix and not suffix.isdigit():
            raise ConfigError(f"metric {metric!r} has resolution {suffix!r}; expected an integer like @192")
        resolution = self._resolution(int(suffix) if suffix else None)
        if self.options.width_mult != 1.2:
            raise ConfigError(
                f"the OFA accuracy predictor and Note10 tables belong to the width-1.2 network; this space has "
                f"width_mult={self.options.width_mult} (set width_mult=1.2)"
            )
        label = metric if metric is not None else name
        if name == ACCURACY_METRIC:
            predictor = self._accuracy_predictor()
            return ComputedOracle(
                self, label, MetricSpec("%", scale=100.0), lambda a: predictor.predict([self.subnet(a)], resolution)[0]
            )
        tables = self._latency_tables()
        return ComputedOracle(
            self, label, MetricSpec("ms", higher_is_better=False), lambda a: tables.latency(self.blueprint(a, resolution))
        )

    def _accuracy_predictor(self) -> AccuracyPredictor:
        if self._predictor is None:
            if self.options.predictor is None:
                raise DataFileError(
                    "space 'mbv3' has no accuracy predictor; set [space.options] predictor = "
                    "'../shared/data/ofa_mbv3/acc_predictor.npz'"
                )
            self._predictor = load_predictor(self.options.predictor)
        return self._predictor

    def _latency_tables(self) -> LatencyTable:
        if self._latency is None:
            if self.options.latency_tables is None:
                raise DataFileError(
                    "space 'mbv3' has no latency tables; set [space.options] latency_tables = "
                    "'../shared/data/ofa_mbv3/latency_table_note10'"
                )
            self._latency = LatencyTable(self.options.latency_tables)
        return self._latency

    def _resolution(self, resolution: int | None) -> int:
        if resolution is None:
            return self.options.resolution
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 32:
            raise ConfigError(f"resolution {resolution!r} is not an int >= 32")
        return resolution


def all_stage_patterns() -> list[tuple[str, ...]]:
    """Every valid 4-slot op pattern of one stage (7,371 of them), for tests and enumeration by stage."""
    patterns = []
    for depth in DEPTHS:
        for blocks in itertools.product(BLOCK_OPS, repeat=depth):
            patterns.append((*blocks, *(SKIP_OP,) * (MAX_BLOCKS_PER_STAGE - depth)))
    return patterns
