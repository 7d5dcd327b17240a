"""NAS-Bench-101 search space.

A cell is a DAG of at most 7 vertices and 9 edges: ``input`` first,
``output`` last, and between them ``conv3x3-bn-relu``, ``conv1x1-bn-relu``
or ``maxpool3x3`` (the names of the official release). Validity, pruning
and the module hash follow google-research/nasbench exactly (see
:mod:`archgen.spaces.nb101.spec` and :mod:`archgen.spaces.nb101.hashing`),
so ``canonical_key`` is the key the official dataset stores for the cell.

The tensor form is arch2vec's (github MSU-MLSys-Lab/arch2vec, now
AIoT-MLSys-Lab/arch2vec, ``preprocessing/gen_json.py``): the adjacency is
zero-padded at the end to 7x7 and the one-hot ops (order ``input,
conv1x1-bn-relu, conv3x3-bn-relu, maxpool3x3, output``, its
``transform_operations``) get all-zero rows for the missing vertices, so a
5-vertex cell's output stays at row 4.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.config import OutputRelativeToConfig, RelativeToConfig
from archgen.errors import InvalidArchitectureError, clipped
from archgen.oracle import MetricSpec
from archgen.space_base import GraphSpaceBase
from archgen.spaces.nb101.cells_cache import load_cells
from archgen.spaces.nb101.enumeration import CellArrays
from archgen.spaces.nb101.hashing import AVAILABLE_OPS, hash_module, labels_of
from archgen.spaces.nb101.spec import MAX_VERTICES, domain_error, prune

#: arch2vec's one-hot order (preprocessing/gen_json.py ``transform_operations``).
ARCH2VEC_VOCABULARY = ("input", "conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output")


_OTHER_SPECS = {
    "val_accuracy": MetricSpec("%"),
    "training_time": MetricSpec("s", higher_is_better=False),
    "trainable_parameters": MetricSpec("count", higher_is_better=False),
    "params": MetricSpec("M", higher_is_better=False),
    "flops": MetricSpec("MFLOPs", higher_is_better=False),
}


class NB101Options(BaseModel):
    """Options of the ``nb101`` space.

    Attributes:
        benchmark: Official data for :meth:`NB101Space.benchmark`:
            ``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``, a
            converted ``.npz`` of either, or a NASLib-layout CSV
            (``nb101_zc_naslib_500.csv.gz``); ``None`` for no table.
        cache_dir: Folder for the enumeration and conversion caches; default
            ``$XDG_CACHE_HOME/archgen`` or ``~/.cache/archgen``.
    """

    model_config = ConfigDict(extra="forbid")
    benchmark: RelativeToConfig | None = None
    cache_dir: OutputRelativeToConfig | None = None


class NB101Space(GraphSpaceBase):
    """The 423,624 unique cells of NAS-Bench-101 in arch2vec's 7-node tensor form."""

    name: ClassVar[str] = "nb101"
    member_noun: ClassVar[str] = "NB101 cell"
    op_vocabulary: ClassVar[tuple[str, ...]] = ARCH2VEC_VOCABULARY
    max_nodes: ClassVar[int] = MAX_VERTICES
    Options: ClassVar[type[BaseModel]] = NB101Options
    # arch2vec (gen_json.py): cells of fewer than 7 vertices are zero-padded at the end,
    # their padding rows of the op matrix all zero.
    zero_padding: ClassVar[bool] = True
    oversize_hint: ClassVar[str] = "prune it first"
    # Declared for check_search_space: paper_valid below refuses smaller cells on purpose.
    paper_refuses_members: ClassVar[str | None] = "arch2vec counts only 7-vertex decodes (about 14 % of cells have fewer)"
    #: What NAS searches on NB101 select by; NASLib's CSV has ``val_accuracy`` instead (then the default).
    default_metric: ClassVar[str | None] = "validation_accuracy@108"
    benchmark_formats: ClassVar[str] = "nasbench_only108.tfrecord, nasbench_full.tfrecord, its converted .npz, or a NASLib CSV such as nb101_zc_naslib_500.csv.gz"

    def __init__(self, options: NB101Options | None = None):
        super().__init__(options)
        self._cells: CellArrays | None = None

    # -- size and membership ------------------------------------------------
    def cells(self) -> CellArrays:
        """The enumerated cells in columnar form (cached on disk and here)."""
        if self._cells is None:
            self._cells = load_cells(self.options.cache_dir)
        return self._cells

    def size(self) -> int:
        """423,624: the number of unique cells, counted by the (cached) enumeration."""
        return len(self.cells())

    def enumerate(self) -> Iterator[Architecture]:
        """Every unique cell once, in the official generator's first-seen order.

        One representative per official hash: the first graph
        ``nasbench/scripts/generate_graphs.py`` meets (vertex count, then
        edge bitmask, then labelling), already pruned.
        """
        cells = self.cells()
        for index in range(len(cells)):
            yield self._cell(cells, index)

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` unique cells drawn uniformly with replacement (``default_rng(seed)``)."""
        cells = self.cells()
        indices = np.random.default_rng(seed).integers(0, len(cells), size=n)
        return [self._cell(cells, int(i)) for i in indices]

    def why_invalid(self, arch: Architecture) -> str | None:
        """The official ``is_valid`` with its reason: prune, then check the limits.

        Ops and edges of vertices that pruning removes are not examined, as in
        ``NASBench._check_spec``.
        """
        if arch.space != self.name:
            return f"architecture belongs to space {arch.space!r}, not {self.name!r}"
        return domain_error(arch.adjacency, arch.ops)

    def paper_valid(self, arch: Architecture) -> bool:
        """Validity as arch2vec counts decoded NB101 graphs.

        arch2vec (``models/pretraining_nasbench101.py``) decodes all 7 rows
        (argmax ops, ``(adj > 0.5).triu(1)``) and asks the official
        ``nasbench.is_valid(ModelSpec(...))`` of that 7-vertex graph. The
        trailing rows :meth:`from_tensors` drops as padding are rows decoded as
        ``input``, so there the 7-vertex graph ends in ``input`` and is
        invalid: only 7-vertex cells can be paper-valid, and for those the
        check is :meth:`is_valid`.
        """
        return arch.num_nodes == self.max_nodes and self.is_valid(arch)

    # -- identity -------------------------------------------------------------
    def canonical_key(self, arch: Architecture) -> Hashable:
        """The official module hash of the pruned spec (the dataset's key).

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        matrix, ops = self.pruned(arch)
        return hash_module(matrix, labels_of(ops))

    def pruned(self, arch: Architecture) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]:
        """``(adjacency, ops)`` after the official pruning.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        self.require_valid(arch)
        result = prune(arch.adjacency, arch.ops)
        assert result is not None  # a valid spec survives pruning
        return result

    def prune(self, arch: Architecture) -> Architecture:
        """The same cell without the vertices that pruning removes."""
        matrix, ops = self.pruned(arch)
        return Architecture(self.name, matrix, ops)

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """The same cell written differently: other vertex orders and a dead vertex.

        Two random topological orders (input kept first, output last, so the
        adjacency stays strictly upper triangular) and, when fewer than 7
        vertices leave room, a copy with an extra vertex fed by the cell but
        feeding nothing, which pruning removes.
        """
        forms = [self._reordered(arch, rng) for _ in range(2)]
        if arch.num_nodes < self.max_nodes:
            forms.append(self._with_dead_vertex(arch, rng))
        return forms

    # -- search -----------------------------------------------------------------
    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A valid neighbour of ``arch`` by the NAS-Bench-101 paper's mutation.

        ``mutate_spec`` of the paper's colab (google-research/nasbench,
        ``NASBench.ipynb``, mutation rate 1): on the 7-vertex matrix, each of the
        21 upper-triangular edges is flipped with probability 1/7 and each of the
        5 interior ops is replaced by a different op with probability 1/5;
        redrawn until the result is valid. The colab mutates the unpruned matrix
        (``original_matrix``); a pruned cell of fewer vertices is first given
        isolated vertices (random ops) before its output, which pruning removes
        again, so it too can grow. Unlike the colab, a result with the parent's
        module hash is redrawn as well, so the child is never the parent.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        parent = self.canonical_key(arch)
        n = arch.num_nodes
        ops = [*arch.ops[:-1], *(rng.choice(AVAILABLE_OPS) for _ in range(MAX_VERTICES - n)), arch.ops[-1]]
        keep = [*range(n - 1), MAX_VERTICES - 1]  # where the given vertices go in the 7-vertex matrix
        matrix = [[0] * MAX_VERTICES for _ in range(MAX_VERTICES)]
        for i, row in enumerate(arch.adjacency):
            for j, bit in enumerate(row):
                matrix[keep[i]][keep[j]] = bit
        while True:
            new_matrix = [list(row) for row in matrix]
            for src in range(MAX_VERTICES - 1):
                for dst in range(src + 1, MAX_VERTICES):
                    if rng.random() < 1.0 / MAX_VERTICES:
                        new_matrix[src][dst] = 1 - new_matrix[src][dst]
            new_ops = list(ops)
            for vertex in range(1, MAX_VERTICES - 1):
                if rng.random() < 1.0 / (MAX_VERTICES - 2):
                    new_ops[vertex] = rng.choice([op for op in AVAILABLE_OPS if op != new_ops[vertex]])
            child = Architecture(self.name, tuple(map(tuple, new_matrix)), tuple(new_ops))
            if self.why_invalid(child) is None and self.canonical_key(child) != parent:
                return child

    # -- native format ----------------------------------------------------------
    def to_string(self, arch: Architecture) -> str:
        """The official record's raw form: ``"<n*n 0/1 row-major>|<op,op,...>"``.

        Example: ``"0100...0|input,conv3x3-bn-relu,...,output"``; vertex order is
        kept as given (no pruning).
        """
        self.require_space(arch)
        bits = "".join(str(v) for row in arch.adjacency for v in row)
        return f"{bits}|{','.join(arch.ops)}"

    def from_string(self, text: str) -> Architecture:
        """Parses :meth:`to_string` output into a valid cell.

        Raises:
            InvalidArchitectureError: Naming the text and what is wrong.
        """
        expected = "expected '<n*n 0/1 digits, row-major>|<comma-joined ops from input to output>'"
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"NB101 arch string must be a str, got {type(text).__name__}; {expected}")
        bits, separator, ops_text = text.strip().partition("|")
        if not separator or not bits or set(bits) - {"0", "1"}:
            raise InvalidArchitectureError(f"invalid NB101 arch string {text[:80]!r}: {expected}")
        ops = tuple(ops_text.split(","))
        n = len(ops)
        if len(bits) != n * n:
            raise InvalidArchitectureError(
                f"invalid NB101 arch string {text[:80]!r}: {len(bits)} adjacency digits for {n} ops (need {n * n})"
            )
        for op in ops:
            if op not in self._op_index:
                raise InvalidArchitectureError(
                    f"invalid NB101 arch string {text[:80]!r}: unknown op {clipped(op)}; "
                    f"expected one of {list(ARCH2VEC_VOCABULARY)}"
                )
        matrix = np.array([int(c) for c in bits], dtype=np.int64).reshape(n, n)
        if np.tril(matrix).any():
            raise InvalidArchitectureError(
                f"invalid NB101 arch string {text[:80]!r}: adjacency is not strictly upper triangular"
            )
        arch = Architecture.from_arrays(self.name, matrix, ops)
        self.require_valid(arch)
        return arch

    # -- tensors ------------------------------------------------------------------
    def from_tensors(self, adjacency: Any, ops: Any) -> list[Architecture]:
        """Inverse of :meth:`to_tensors` (exact for every valid cell).

        Ops are argmax-decoded (an all-zero padding row reads as ``input``,
        index 0). Trailing vertices labelled ``input`` without any edge are
        padding and dropped; nothing else is changed, so a decoded graph that
        is not a cell stays visibly invalid.
        """
        adjacency = np.triu(_to_numpy(adjacency) > 0.5, k=1).astype(np.uint8)
        ops = _to_numpy(ops)
        if ops.ndim == 3:
            ops = ops.argmax(-1)
        ops = ops.astype(np.int64)
        archs = []
        for adj, idx in zip(adjacency, ops):
            m = len(idx)
            while m > 1 and idx[m - 1] == 0 and not adj[m - 1, :].any() and not adj[:, m - 1].any():
                m -= 1
            archs.append(
                Architecture(
                    self.name,
                    tuple(tuple(int(v) for v in row[:m]) for row in adj[:m]),
                    tuple(self.op_vocabulary[i] for i in idx[:m]),
                )
            )
        return archs

    # -- benchmark ----------------------------------------------------------------
    def read_benchmark(self, path: Path) -> BenchmarkTable:
        """Mean metrics over the runs, keyed by the official hash (:meth:`canonical_key`).

        Look a cell up with ``table.row(space.canonical_key(arch))``, or ask
        :meth:`oracle` (which gives accuracies in %, not the table's fractions).
        """
        from archgen.spaces.nb101.tables import load_benchmark

        return load_benchmark(path, cache_dir=self.options.cache_dir)

    def labelled_architectures(self) -> list[Architecture]:
        """One pruned cell per official hash of the ``benchmark`` table, in file order.

        The table is keyed by hash, which does not give the cell back; this
        reads the cells from the same file. It is the pool of ``archgen
        search`` with ``[search] pool = "labelled"``: the 500 rows of
        ``nb101_zc_naslib_500.csv.gz`` are 292 cells.

        Raises:
            DataFileError: If no ``benchmark`` is configured or it is unreadable.
        """
        from archgen.spaces.nb101.tables import load_naslib_csv, load_official

        self.benchmark()  # the error naming the option when none is set
        path = Path(self.options.benchmark)  # type: ignore[arg-type]
        if path.name.lower().endswith((".csv", ".csv.gz")):
            archs = load_naslib_csv(path, self.name)[0]
        else:
            data = load_official(path, self.options.cache_dir)
            archs = [data.architecture(i, self.name) for i in range(len(data))]
        cells: dict[Hashable, Architecture] = {}
        for arch in archs:
            cells.setdefault(self.canonical_key(arch), arch)
        return [self.prune(arch) for arch in cells.values()]

    # -- networks -------------------------------------------------------------------
    def build_model(
        self,
        arch: Architecture,
        *,
        num_classes: int = 10,
        in_channels: int = 3,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> torch.nn.Module:
        """The NAS-Bench-101 network of ``arch``'s pruned cell (the release's ``build_model_fn``).

        Args:
            arch: A valid cell (pruned first, as the release's ``ModelSpec`` does).
            num_classes: Dense-layer outputs.
            in_channels: Image channels.
            stem_channels: Channels after the stem (128 in the benchmark).
            num_stacks: Stacks, each after the first behind a 2x2 max pool that doubles the channels (3).
            cells_per_stack: Modules per stack (3).

        Returns:
            A :class:`archgen.spaces.nb101.model.NASBench101Network`; ``forward`` gives logits
            ``[B, num_classes]`` for any input side of at least 8.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        from archgen.spaces.nb101.model import NASBench101Network

        matrix, ops = self.pruned(arch)
        return NASBench101Network(matrix, ops, num_classes, in_channels, stem_channels, num_stacks, cells_per_stack)

    def count_params(
        self,
        arch: Architecture,
        *,
        num_classes: int = 10,
        in_channels: int = 3,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> int:
        """Every parameter of :meth:`build_model`'s network, computed without building it.

        With the defaults it is the dataset's ``trainable_parameters`` (NASLib's ``params`` times 10**6).

        Raises:
            InvalidArchitectureError: If ``arch`` is not a valid cell.
        """
        from archgen.spaces.nb101.model import parameter_count

        matrix, ops = self.pruned(arch)
        return parameter_count(matrix, ops, num_classes, in_channels, stem_channels, num_stacks, cells_per_stack)

    # -- oracles --------------------------------------------------------------------
    def metric_spec(self, metric: str) -> MetricSpec | None:
        """Accuracies in % (the official fractions times 100), times in s, parameters, FLOPs.

        Official columns are ``<metric>@<epochs>`` (``test_accuracy@108``...);
        NASLib's CSV has ``val_accuracy`` (already in %), ``flops`` and
        ``params`` (millions). Zero-cost proxy scores are not offered.
        """
        name = metric.split("@", 1)[0]
        if name in ("train_accuracy", "validation_accuracy", "test_accuracy"):
            return MetricSpec("%", scale=100.0)
        return _OTHER_SPECS.get(name)

    def table_row_key(self, key: str) -> Hashable:
        """Rows are keyed by the official hash already: it is :meth:`canonical_key`."""
        return key

    # -- helpers --------------------------------------------------------------------
    def _cell(self, cells: CellArrays, index: int) -> Architecture:
        return Architecture(self.name, cells.adjacency(index), cells.ops(index))


    def _reordered(self, arch: Architecture, rng: random.Random) -> Architecture:
        """``arch`` with its vertices in a random topological order (input first, output last)."""
        n = arch.num_nodes
        if n <= 2:
            return arch
        placed = [0]
        remaining = set(range(1, n - 1))
        while remaining:
            ready = sorted(v for v in remaining if all(not arch.adjacency[u][v] or u in placed for u in range(n)))
            choice = rng.choice(ready)
            placed.append(choice)
            remaining.discard(choice)
        placed.append(n - 1)
        matrix = tuple(tuple(arch.adjacency[placed[i]][placed[j]] for j in range(n)) for i in range(n))
        return Architecture(self.name, matrix, tuple(arch.ops[v] for v in placed))

    def _with_dead_vertex(self, arch: Architecture, rng: random.Random) -> Architecture:
        """``arch`` plus a vertex just before the output, fed by a random vertex, feeding nothing."""
        n = arch.num_nodes
        source = rng.randrange(n - 1)
        matrix = [list(row[:-1]) + [0] + [row[-1]] for row in arch.adjacency]
        matrix.insert(n - 1, [0] * (n + 1))
        matrix[source][n - 1] = 1
        ops = (*arch.ops[:-1], rng.choice(AVAILABLE_OPS), arch.ops[-1])
        return Architecture(self.name, tuple(map(tuple, matrix)), ops)


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


__all__ = ["ARCH2VEC_VOCABULARY", "NB101Options", "NB101Space"]
