"""NAS-Bench-201 (NATS-Bench topology) search space.

A cell has 4 feature-map nodes; each of the 6 edges ``i -> j`` (``i < j``)
carries one of 5 ops, so there are 5**6 = 15,625 cells. The official string
is ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (node 1's input edge, node 2's,
node 3's). archgen's graph form is the node-labelled one of arch2vec and
Arch-VQ: 8 nodes -- input, the six edge ops as nodes, output -- with one
fixed adjacency.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict
from torch import nn

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.config import RelativeToConfig
from archgen.errors import InvalidArchitectureError, clipped
from archgen.oracle import MetricSpec
from archgen.published import PublishedResults
from archgen.space_base import GraphSpaceBase

OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")

#: The cell edge ``(from, to)`` each op node stands for, in node order 1..6.
EDGE_OF_NODE = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))

#: Op node of each position of the official string (edges 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3).
NODE_OF_STRING_POSITION = (1, 2, 4, 3, 5, 6)

#: The fixed node-form adjacency: op node (a->b) feeds op node (b->c); edges into cell node 3 feed the output.
FIXED_ADJACENCY: tuple[tuple[int, ...], ...] = tuple(
    tuple(
        int(
            (i == 0 and 1 <= j <= 6 and EDGE_OF_NODE[j - 1][0] == 0)
            or (1 <= i <= 6 and 1 <= j <= 6 and EDGE_OF_NODE[i - 1][1] == EDGE_OF_NODE[j - 1][0])
            or (1 <= i <= 6 and j == 7 and EDGE_OF_NODE[i - 1][1] == 3)
        )
        for j in range(8)
    )
    for i in range(8)
)


_PERCENT = MetricSpec("%")
_COST_SPECS = {
    "flops": MetricSpec("MFLOPs", higher_is_better=False),
    "params": MetricSpec("M", higher_is_better=False),
    "latency": MetricSpec("s", higher_is_better=False),
}
_HW_SPECS = {"latency": MetricSpec("ms", higher_is_better=False), "energy": MetricSpec("mJ", higher_is_better=False)}


class NB201Options(BaseModel):
    """Options of the ``nb201`` space.

    Attributes:
        benchmark: Path to an accuracy table (the CSV layout of
            ``nb201_accuracies.csv.gz``, a NAS-Bench-201 ``.pth`` or a
            NATS-Bench topology pickle); ``None`` for no table.
        hw_benchmark: Path to HW-NAS-Bench-360's latency/energy table
            (``nb201_hw360_latency_energy.csv.gz``); it adds
            ``hw360/...`` metrics (and ``ninapro/test@200``, NAS-Bench-360's
            NinaPro accuracy) to :meth:`NB201Space.oracle` and needs
            ``benchmark`` too (for the index -> cell map).
        extra_benchmarks: More accuracy tables of the same cells whose metrics
            join :meth:`NB201Space.oracle` (e.g. ``nb201_cifar10valid_val200.csv.gz``,
            the 200-epoch cifar10-valid validation accuracy that searches select
            by); a metric already offered by an earlier table keeps that table's values.
    """

    model_config = ConfigDict(extra="forbid")
    benchmark: RelativeToConfig | None = None
    hw_benchmark: RelativeToConfig | None = None
    extra_benchmarks: list[RelativeToConfig] = []


class NB201Space(GraphSpaceBase):
    """The 15,625 cells of NAS-Bench-201 in arch2vec's 8-node form."""

    name: ClassVar[str] = "nb201"
    member_noun: ClassVar[str] = "NB201 cell"
    op_vocabulary: ClassVar[tuple[str, ...]] = ("input", *OPERATIONS, "output")
    max_nodes: ClassVar[int] = 8
    Options: ClassVar[type[BaseModel]] = NB201Options
    benchmark_formats: ClassVar[str] = "e.g. nb201_accuracies.csv.gz, NAS-Bench-201-v1_1-096897.pth or a NATS-tss pickle"

    # -- size and membership ------------------------------------------------
    def size(self) -> int:
        """5 ops on each of 6 edges."""
        return len(OPERATIONS) ** len(EDGE_OF_NODE)

    def enumerate(self) -> Iterator[Architecture]:
        """All 15,625 cells, ops varying fastest on the last edge (in ``OPERATIONS`` order)."""
        for edge_ops in itertools.product(OPERATIONS, repeat=6):
            yield self._from_node_ops(edge_ops)

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` cells drawn uniformly (with replacement)."""
        choices = np.random.default_rng(seed).integers(0, len(OPERATIONS), size=(n, 6))
        return [self._from_node_ops(tuple(OPERATIONS[i] for i in row)) for row in choices.tolist()]

    def why_invalid(self, arch: Architecture) -> str | None:
        """Strict: 8 nodes, exactly the fixed adjacency, input/output at the ends, 5 ops between."""
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        if arch.num_nodes != 8:
            return f"has {arch.num_nodes} nodes; NB201 cells have 8 (input, 6 edge ops, output)"
        if arch.adjacency != FIXED_ADJACENCY:
            wrong = sorted(set(arch.edges()) ^ {(i, j) for i in range(8) for j in range(8) if FIXED_ADJACENCY[i][j]})
            return f"adjacency differs from the fixed NB201 topology at edges {wrong}"
        if arch.ops[0] != "input" or arch.ops[-1] != "output":
            return f"first/last nodes are {arch.ops[0]!r}/{arch.ops[-1]!r}; expected 'input'/'output'"
        for position, op in enumerate(arch.ops[1:-1], start=1):
            if op not in OPERATIONS:
                return f"node {position} has op {op!r}; expected one of {list(OPERATIONS)}"
        return None

    def paper_valid(self, arch: Architecture) -> bool:
        """arch2vec's ``is_valid_nasbench201`` (github MSU-MLSys-Lab/arch2vec, ``utils/utils.py``), literally.

        ``ops[0] == 'input'``, ``ops[-1] == 'output'`` and the ops at positions
        2 .. N-2 among the five edge ops. Position 1 is never checked (its loop
        is ``range(2, len(ops) - 1)``) and the adjacency is ignored, so a decode
        off the fixed topology, or with ``input``/``output`` at node 1, counts as valid.
        """
        ops = arch.ops
        if not ops or ops[0] != "input" or ops[-1] != "output":
            return False
        return all(op in OPERATIONS for op in ops[2:-1])

    # -- identity -------------------------------------------------------------
    def canonical_key(self, arch: Architecture) -> Hashable:
        """NATS-Bench's isomorphism key (``Structure.to_unique_str(consider_zero=True)``).

        ``none`` edges and edges fed only by a zero node become the zero term
        ``#``, ``skip_connect`` passes its input through, and each node's
        inputs are summed in sorted order, so edges that cannot reach the output
        drop out. Over the whole space this gives the 6,466 classes of the
        NAS-Bench-201 release (its ``get_unique_str``).
        """
        self.require_valid(arch)
        values = {0: "0"}
        for cell_node, incoming in ((1, (1,)), (2, (2, 4)), (3, (3, 5, 6))):
            terms = []
            for op_node in incoming:
                op, source = arch.ops[op_node], values[EDGE_OF_NODE[op_node - 1][0]]
                if op == "none" or source == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(source)
                else:
                    terms.append(f"({source})@{op}")
            values[cell_node] = "+".join(sorted(terms))
        return values[3]

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """Cells that differ from ``arch`` only on edges that cannot matter.

        With ``2 -> 3`` set to ``none``, node 2 never reaches the output, so the
        ops of ``0 -> 2`` and ``1 -> 2`` are free; with ``0 -> 1`` set to
        ``none``, node 1 is zero, so the ops of ``1 -> 2`` and ``1 -> 3`` are free.
        """
        forms = []
        ops = list(arch.ops)
        for guard, free in ((6, (2, 4)), (1, (4, 5))):
            if ops[guard] == "none":
                changed = list(ops)
                for node in free:
                    changed[node] = rng.choice(OPERATIONS)
                forms.append(Architecture(self.name, FIXED_ADJACENCY, tuple(changed)))
        return forms

    # -- search -----------------------------------------------------------------
    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A neighbour of ``arch``: one edge's op switched to another op.

        The rule of NAS-Bench-201's regularized evolution (D-X-Y/AutoDL-Projects,
        ``exps/NATS-algos/regularized_ea.py``, ``mutate_topology_func``): pick a
        cell node uniformly (1, 2 or 3), one of its incoming edges uniformly, and
        a different op uniformly. A change that leaves the isomorphism class as
        it was (an op on an edge that cannot reach the output) is drawn again, so
        the child is never the parent under :meth:`canonical_key`.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        parent = self.canonical_key(arch)
        while True:
            cell_node = rng.randint(1, 3)
            incoming = [k + 1 for k, (_, target) in enumerate(EDGE_OF_NODE) if target == cell_node]
            op_node = incoming[rng.randint(0, len(incoming) - 1)]
            ops = list(arch.ops)
            ops[op_node] = rng.choice([op for op in OPERATIONS if op != ops[op_node]])
            child = Architecture(self.name, FIXED_ADJACENCY, tuple(ops))
            if self.canonical_key(child) != parent:
                return child

    # -- native format ----------------------------------------------------------
    def edge_ops(self, arch: Architecture) -> tuple[str, ...]:
        """The cell's six ops in the official string's order: edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        self.require_valid(arch)
        return tuple(arch.ops[node] for node in NODE_OF_STRING_POSITION)

    def to_string(self, arch: Architecture) -> str:
        """The official ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` string."""
        ops = self.edge_ops(arch)
        return f"|{ops[0]}~0|+|{ops[1]}~0|{ops[2]}~1|+|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|"

    def from_string(self, text: str) -> Architecture:
        """Parses the official string.

        Raises:
            InvalidArchitectureError: Naming the text and the part that is wrong.
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"NB201 arch string must be a str, got {type(text).__name__}")
        parts = text.strip().split("+")
        if len(parts) != 3:
            raise InvalidArchitectureError(
                f"invalid NB201 arch string {clipped(text)}: expected 3 '+'-separated nodes "
                "like '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'"
            )
        edge_ops: list[str] = []
        for node, part in enumerate(parts, start=1):
            if not (part.startswith("|") and part.endswith("|")):
                raise InvalidArchitectureError(f"invalid NB201 arch string {clipped(text)}: node {node} {clipped(part)} is not '|...|'")
            items = part[1:-1].split("|")
            if len(items) != node:
                raise InvalidArchitectureError(
                    f"invalid NB201 arch string {clipped(text)}: node {node} needs {node} inputs, got {len(items)}"
                )
            for source, item in enumerate(items):
                op, _, index = item.partition("~")
                if index != str(source):
                    raise InvalidArchitectureError(
                        f"invalid NB201 arch string {clipped(text)}: {clipped(item)} should read '<op>~{source}'"
                    )
                if op not in OPERATIONS:
                    raise InvalidArchitectureError(
                        f"invalid NB201 arch string {clipped(text)}: unknown op {clipped(op)}; expected one of {list(OPERATIONS)}"
                    )
                edge_ops.append(op)
        node_ops = [""] * 6
        for position, node in enumerate(NODE_OF_STRING_POSITION):
            node_ops[node - 1] = edge_ops[position]
        return self._from_node_ops(tuple(node_ops))

    # -- benchmark ----------------------------------------------------------------
    def read_benchmark(self, path: Path) -> BenchmarkTable:
        """An accuracy table in any format :func:`archgen.spaces.nb201.tables.load_benchmark` reads."""
        from archgen.spaces.nb201.tables import load_benchmark

        return load_benchmark(path, self)

    # -- networks -------------------------------------------------------------------
    def build_model(
        self,
        arch: Architecture,
        *,
        num_classes: int = 10,
        in_channels: int = 3,
        C: int = 16,
        N: int = 5,
    ) -> nn.Module:
        """The NAS-Bench-201 / NATS-Bench network of ``arch`` (xautodl's ``TinyNetwork``).

        Args:
            arch: A valid cell.
            num_classes: Classifier outputs (10 for CIFAR-10, 100 for CIFAR-100, 120 for ImageNet16-120).
            in_channels: Image channels.
            C: Channels of the first stage (16 in the benchmark).
            N: Cells per stage (5 in the benchmark).

        Returns:
            A :class:`archgen.spaces.nb201.model.TinyNetwork`; ``forward`` gives logits
            ``[B, num_classes]`` for any input side of at least 8.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        from archgen.spaces.nb201.model import TinyNetwork

        return TinyNetwork(self.edge_ops(arch), C, N, num_classes, in_channels)

    def count_params(
        self,
        arch: Architecture,
        *,
        num_classes: int = 10,
        in_channels: int = 3,
        C: int = 16,
        N: int = 5,
    ) -> int:
        """Every parameter of :meth:`build_model`'s network, computed without building it.

        With the defaults it is the benchmark's CIFAR-10 ``params`` times 10**6 (NATS-Bench's
        ``count_parameters_in_MB``); ``num_classes=100`` / ``120`` give CIFAR-100's / ImageNet16-120's.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        from archgen.spaces.nb201.model import parameter_count

        return parameter_count(self.edge_ops(arch), C, N, num_classes, in_channels)

    # -- oracles --------------------------------------------------------------------
    def metric_spec(self, metric: str) -> MetricSpec | None:
        """Accuracies in %, FLOPs in MFLOPs, parameters in millions, latency in s (ms on HW), energy in mJ."""
        head, _, what = metric.partition("/")
        if head == "hw360":
            return _HW_SPECS.get(metric.rsplit("/", 1)[-1])
        if metric == "index" or not what:
            return None
        return _COST_SPECS.get(what, _PERCENT if "@" in what else None)

    def oracle_tables(self) -> list[BenchmarkTable]:
        """The accuracy table, the ``extra_benchmarks`` and the HW-NAS-Bench-360 table when set."""
        tables = [self.benchmark()]
        if self.options.extra_benchmarks:
            if getattr(self, "_extra_benchmarks", None) is None:
                self._extra_benchmarks = [self.read_benchmark(Path(path)) for path in self.options.extra_benchmarks]
            tables.extend(self._extra_benchmarks)
        if self.options.hw_benchmark is not None:
            if getattr(self, "_hw_benchmark", None) is None:
                from archgen.spaces.nb201.hw_tables import load_hw_benchmark

                arch_of_index = {int(i): key for i, key in zip(tables[0].column("index"), tables[0].keys)}
                self._hw_benchmark = load_hw_benchmark(self.options.hw_benchmark, arch_of_index, self.name)
            tables.append(self._hw_benchmark)
        return tables

    def published_results(self) -> PublishedResults:
        """Published search results and predictor τ on this benchmark (:mod:`archgen.spaces.nb201.published`)."""
        from archgen.spaces.nb201.published import PUBLISHED_RESULTS

        return PUBLISHED_RESULTS

    # -- helpers --------------------------------------------------------------------
    def _from_node_ops(self, edge_ops: tuple[str, ...]) -> Architecture:
        return Architecture(self.name, FIXED_ADJACENCY, ("input", *edge_ops, "output"))

