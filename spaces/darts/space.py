"""The DARTS CNN search space (discrete cells of the DARTS paper, as in NAS-Bench-301).

Native form: the DARTS release's genotype string (see
:mod:`archgen.spaces.darts.genotype`). Graph form: arch2vec's 11-node cell
encoding, normal cell then reduction cell in one block-diagonal 22-node
graph (see :mod:`archgen.spaces.darts.graph`). Identity up to the order of
the two inputs of a node: :mod:`archgen.spaces.darts.integer_codes`.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Hashable
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from torch import nn

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.config import RelativeToConfig
from archgen.errors import InvalidArchitectureError
from archgen.oracle import MetricSpec
from archgen.space_base import GraphSpaceBase
from archgen.spaces.darts import integer_codes
from archgen.spaces.darts.genotype import OPERATIONS, STEPS, Genotype
from archgen.spaces.darts.graph import (
    CELL_NODES,
    GRAPH_NODES,
    INPUT_LABELS,
    OUTPUT_LABEL,
    arch2vec_cell_is_valid,
    genotype_to_graph,
    graph_to_genotype,
    graphs_from_arrays,
)
from archgen.spaces.darts.mutation import redraw_one_pair


_METRIC_SPECS = {
    "val_accuracy": MetricSpec("%"),
    "flops": MetricSpec("MFLOPs", higher_is_better=False),
    "params": MetricSpec("M", higher_is_better=False),
}


class DartsOptions(BaseModel):
    """Options of the ``darts`` space.

    Attributes:
        benchmark: Path to the labelled NAS-Bench-301 table
            (``nb301_zc_naslib_725.csv.gz``); ``None`` for no table.
    """

    model_config = ConfigDict(extra="forbid")
    benchmark: RelativeToConfig | None = None


class DartsSpace(GraphSpaceBase):
    """DARTS genotypes (normal + reduction cell) in a 22-node arch2vec-style graph."""

    name: ClassVar[str] = "darts"
    op_vocabulary: ClassVar[tuple[str, ...]] = (*INPUT_LABELS, *OPERATIONS, OUTPUT_LABEL)
    max_nodes: ClassVar[int] = GRAPH_NODES
    input_op: ClassVar[str | None] = INPUT_LABELS[0]
    output_op: ClassVar[str | None] = OUTPUT_LABEL
    pad_op: ClassVar[str | None] = None
    Options: ClassVar[type[BaseModel]] = DartsOptions
    benchmark_formats: ClassVar[str] = "nb301_zc_naslib_725.csv.gz"

    # -- size and membership ------------------------------------------------
    def size(self) -> int:
        """Distinct genotypes up to input order: ``(prod_k C(k+2, 2) * 7**2) ** 2``."""
        return integer_codes.genotype_count()

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` genotypes, uniform and pairwise distinct by :meth:`canonical_key`.

        Raises:
            ValueError: If ``n`` is negative or exceeds :meth:`size`.
        """
        inputs, ops = integer_codes.sample_unique(n, seed)
        return [Architecture(self.name, adjacency, labels) for adjacency, labels in graphs_from_arrays(inputs, ops)]

    def why_invalid(self, arch: Architecture) -> str | None:
        """Strict: exactly the 22-node encoding of a genotype with distinct, earlier inputs and the 7 ops."""
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        return graph_to_genotype(arch.adjacency, arch.ops)[1]

    def paper_valid(self, arch: Architecture) -> bool:
        """arch2vec's ``is_valid_darts`` on each cell's 11-node block.

        Edges between the two blocks are not examined (arch2vec's graphs hold
        one cell, and its check ignores every edge it does not name).
        """
        if arch.num_nodes != GRAPH_NODES:
            return False
        adjacency = arch.adjacency_array()
        for offset in (0, CELL_NODES):
            block = slice(offset, offset + CELL_NODES)
            if not arch2vec_cell_is_valid(adjacency[block, block], arch.ops[block]):
                return False
        return True

    # -- identity -------------------------------------------------------------
    def canonical_key(self, arch: Architecture) -> Hashable:
        """The canonical integer code: the two ``(op, input)`` pairs of each node unordered."""
        return integer_codes.canonical_code(self.to_genotype(arch))

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """The same genotype with the two pairs of random nodes swapped (a node sums them)."""
        genotype = self.to_genotype(arch)
        forms = []
        for _ in range(3):
            cells = []
            for cell in genotype.cells():
                pairs = list(cell)
                for step in range(STEPS):
                    if rng.random() < 0.5:
                        pairs[2 * step], pairs[2 * step + 1] = pairs[2 * step + 1], pairs[2 * step]
                cells.append(tuple(pairs))
            forms.append(self.from_genotype(dataclasses.replace(genotype, normal=cells[0], reduce=cells[1])))
        return forms

    # -- search -----------------------------------------------------------------
    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A neighbour of ``arch``: one input or one op of one node of one cell changed.

        The DARTS mutation of BANANAS and NASLib (``naslib/search_spaces/darts/graph.py``,
        ``mutate``): pick the normal or the reduction cell, one of its 8
        ``(op, input)`` pairs and, with equal odds, either its op (to another of
        the 7) or its input (to another earlier node that the node's other pair
        does not read). Draws that change nothing, or change only the order of a
        node's two pairs, are redrawn, so the child never has the parent's
        :meth:`canonical_key`.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        genotype = self.to_genotype(arch)
        parent = integer_codes.canonical_code(genotype)
        while True:
            which = rng.randrange(2)
            cell = redraw_one_pair(genotype.cells()[which], rng)
            if cell is None:
                continue
            field = "normal" if which == 0 else "reduce"
            child = dataclasses.replace(genotype, **{field: cell})
            if integer_codes.canonical_code(child) != parent:
                return self.from_genotype(child)

    # -- genotype and native string ---------------------------------------------
    def to_genotype(self, arch: Architecture) -> Genotype:
        """The genotype ``arch`` encodes.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        if arch.space != self.name:
            raise InvalidArchitectureError(f"architecture belongs to space {arch.space!r}, not {self.name!r}")
        genotype, reason = graph_to_genotype(arch.adjacency, arch.ops)
        if genotype is None:
            raise InvalidArchitectureError(f"not a valid DARTS architecture: {reason}")
        return genotype

    def from_genotype(self, genotype: Genotype) -> Architecture:
        """The architecture of a genotype.

        Raises:
            InvalidArchitectureError: If the genotype is not a member (with the reason).
        """
        reason = genotype.why_invalid()
        if reason is not None:
            raise InvalidArchitectureError(f"not a valid DARTS genotype: {reason}")
        adjacency, labels = genotype_to_graph(genotype)
        return Architecture(self.name, adjacency, labels)

    def to_string(self, arch: Architecture) -> str:
        """The DARTS release's ``Genotype(normal=[...], normal_concat=[2, 3, 4, 5], ...)`` string."""
        return self.to_genotype(arch).to_string()

    def from_string(self, text: str) -> Architecture:
        """Parses a genotype string (``range(2, 6)`` accepted for the concatenations).

        Raises:
            InvalidArchitectureError: If the text is malformed or not a member (with the reason).
        """
        return self.from_genotype(Genotype.from_string(text))

    # -- benchmark and networks ---------------------------------------------------
    def read_benchmark(self, path: Path) -> BenchmarkTable:
        """The NAS-Bench-301 table (NASLib's zero-cost CSV layout)."""
        from archgen.spaces.darts.tables import load_benchmark

        return load_benchmark(path, self.name)

    def metric_spec(self, metric: str) -> MetricSpec | None:
        """``val_accuracy`` in %, ``flops`` in MFLOPs, ``params`` in millions; proxy scores are not offered."""
        return _METRIC_SPECS.get(metric)

    def build_model(
        self, arch: Architecture, C: int = 36, layers: int = 20, num_classes: int = 10, auxiliary: bool = False
    ) -> nn.Module:
        """DARTS' CIFAR evaluation network (``NetworkCIFAR``) for ``arch``.

        Args:
            arch: A valid architecture.
            C: Initial channels (36 in the paper).
            layers: Cells (20 in the paper); reductions at ``layers // 3`` and ``2 * layers // 3``.
            num_classes: Classifier outputs.
            auxiliary: Whether to add the auxiliary head after cell ``2 * layers // 3``.

        Returns:
            A :class:`archgen.spaces.darts.model.NetworkCIFAR`; ``forward`` gives logits.
        """
        from archgen.spaces.darts.model import NetworkCIFAR

        return NetworkCIFAR(self.to_genotype(arch), C, layers, num_classes, auxiliary)

    def count_params(
        self, arch: Architecture, C: int = 36, layers: int = 20, num_classes: int = 10, auxiliary: bool = False
    ) -> int:
        """Parameters of :meth:`build_model`, counted as DARTS does (the auxiliary head excluded).

        Computed analytically (no network is built), so ``auxiliary`` does not change it.
        """
        from archgen.spaces.darts.model import parameter_count

        del auxiliary  # excluded from the DARTS count by definition
        return parameter_count(self.to_genotype(arch), C, layers, num_classes)
