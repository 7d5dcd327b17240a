"""arch2vec's DARTS space: one cell, used as both the normal and the reduction cell.

arch2vec (github MSU-MLSys-Lab/arch2vec, ``preprocessing/gen_isomorphism_graphs.py``)
builds its 600,000 DARTS training architectures from one sampled cell each:
``build_mat_encoding`` encodes it as one 11-node graph and the genotype it
keeps sets ``reduce_cell = normal_cell.copy()``. Arch-VQ's Table 4 follows
that preprocessing ("Following [yan2020does], we randomly sample 600k unique
architectures", arch-vq.md section 5), so its DARTS figures are over this
space, not over pairs of independent cells (the ``darts`` space).

The graph form is the 11-node cell graph of :mod:`archgen.spaces.darts.graph`;
the native form is the DARTS genotype string with ``reduce`` equal to
``normal``. Two differences from arch2vec's data, both deliberate:

* ops are the seven of the discrete space; arch2vec also samples ``none``,
  which no derived DARTS genotype contains;
* arch2vec keeps only cells whose ImageNet network has under 600 M MACs
  (the DARTS mobile setting); no cell is dropped here.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import ClassVar

from pydantic import BaseModel

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.errors import DataFileError, InvalidArchitectureError
from archgen.space_base import NoOptions
from archgen.spaces.darts import integer_codes
from archgen.spaces.darts.genotype import CONCAT, OPERATIONS, STEPS, Cell, Genotype
from archgen.spaces.darts.graph import (
    CELL_NODES,
    arch2vec_cell_is_valid,
    cell_to_graph,
    graph_to_cell,
)
from archgen.spaces.darts.mutation import redraw_one_pair
from archgen.spaces.darts.space import DartsSpace


class DartsCellSpace(DartsSpace):
    """DARTS genotypes whose reduction cell is the normal cell, as one 11-node graph (arch2vec's form)."""

    name: ClassVar[str] = "darts_cell"
    max_nodes: ClassVar[int] = CELL_NODES
    member_noun: ClassVar[str] = "DARTS cell"
    Options: ClassVar[type[BaseModel]] = NoOptions
    benchmark_formats: ClassVar[str] = ""

    def benchmark(self) -> BenchmarkTable:
        """There is none: NAS-Bench-301's genotypes have two different cells.

        Raises:
            DataFileError: Always, naming the ``darts`` space and its option instead.
        """
        raise DataFileError(
            "space 'darts_cell' has no benchmark table (NAS-Bench-301's genotypes have two different cells); "
            "for oracle queries use [space] name = 'darts' and set [space.options] benchmark = '<path>' "
            f"({DartsSpace.benchmark_formats})"
        )

    def size(self) -> int:
        """Distinct cells up to input order: ``prod_k C(k+2, 2) * 7**2 = 1,037,664,180``."""
        return integer_codes.cell_count()

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` cells, uniform and pairwise distinct by :meth:`canonical_key`.

        Raises:
            ValueError: If ``n`` is negative or exceeds :meth:`size`.
        """
        inputs, ops = integer_codes.sample_unique_cells(n, seed)
        archs = []
        for cell_inputs, cell_ops in zip(inputs.tolist(), ops.tolist()):
            adjacency, labels = cell_to_graph(tuple(zip((OPERATIONS[o] for o in cell_ops), cell_inputs)))
            archs.append(Architecture(self.name, adjacency, labels))
        return archs

    def why_invalid(self, arch: Architecture) -> str | None:
        """Strict: exactly the 11-node encoding of a cell with distinct, earlier inputs and the 7 ops."""
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        return graph_to_cell(arch.adjacency, arch.ops)[1]

    def paper_valid(self, arch: Architecture) -> bool:
        """arch2vec's ``is_valid_darts`` on the 11-node graph."""
        return arch.num_nodes == CELL_NODES and arch2vec_cell_is_valid(arch.adjacency_array(), arch.ops)

    def canonical_key(self, arch: Architecture) -> Hashable:
        """The canonical integer code of the cell: the two ``(op, input)`` pairs of each node unordered."""
        return integer_codes.canonical_code(self.to_genotype(arch))

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """The same cell with the two pairs of random nodes swapped (a node sums them)."""
        cell = self.to_cell(arch)
        forms = []
        for _ in range(3):
            pairs = list(cell)
            for step in range(STEPS):
                if rng.random() < 0.5:
                    pairs[2 * step], pairs[2 * step + 1] = pairs[2 * step + 1], pairs[2 * step]
            forms.append(self.from_cell(tuple(pairs)))
        return forms

    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A neighbour: one input or one op of one ``(op, input)`` pair changed.

        The ``darts`` rule (:mod:`archgen.spaces.darts.mutation`) on the one cell.
        Draws that change only the order of a node's two pairs are redrawn, so
        the child never has the parent's :meth:`canonical_key`.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        cell = self.to_cell(arch)
        parent = self.canonical_key(arch)
        while True:
            pairs = redraw_one_pair(cell, rng)
            if pairs is None:
                continue
            child = self.from_cell(pairs)
            if self.canonical_key(child) != parent:
                return child

    # -- cell, genotype and native string ---------------------------------------
    def to_cell(self, arch: Architecture) -> Cell:
        """The cell ``arch`` encodes.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        self.require_space(arch)
        cell, reason = graph_to_cell(arch.adjacency, arch.ops)
        if cell is None:
            raise InvalidArchitectureError(f"not a valid DARTS cell: {reason}")
        return cell

    def from_cell(self, cell: Cell) -> Architecture:
        """The architecture of a cell.

        Raises:
            InvalidArchitectureError: If the cell is not a discrete DARTS cell (with the reason).
        """
        return self.from_genotype(Genotype(cell, CONCAT, cell, CONCAT))

    def to_genotype(self, arch: Architecture) -> Genotype:
        """The genotype ``arch`` encodes: its cell as both the normal and the reduction cell.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid member.
        """
        cell = self.to_cell(arch)
        return Genotype(cell, CONCAT, cell, CONCAT)

    def from_genotype(self, genotype: Genotype) -> Architecture:
        """The architecture of a genotype whose reduction cell equals its normal cell.

        Raises:
            InvalidArchitectureError: If the genotype is not a member, or its two cells differ.
        """
        reason = genotype.why_invalid()
        if reason is not None:
            raise InvalidArchitectureError(f"not a valid DARTS genotype: {reason}")
        if genotype.reduce != genotype.normal:
            raise InvalidArchitectureError(
                "not a member of darts_cell: the reduction cell differs from the normal cell "
                "(darts_cell is arch2vec's space of one shared cell; use the 'darts' space for two cells)"
            )
        adjacency, labels = cell_to_graph(genotype.normal)
        return Architecture(self.name, adjacency, labels)
