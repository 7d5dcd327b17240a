"""Shared machinery for search spaces whose graph form pads at the end.

Subclassing :class:`GraphSpaceBase` is optional (the contract is the
:class:`archgen.protocols.SearchSpace` protocol); it supplies the tensor
conversions, ``is_valid`` from ``why_invalid``, the exact ``key`` and
``paper_valid`` (the space's own ``is_valid`` unless it opts in to the
arch2vec-style ops check with ``paper_ops_check = True``), so a space writes
only what is specific to it.

Its defaults make every subclass have the capabilities
:class:`~archgen.protocols.ChecksPaperValidity`, :class:`~archgen.protocols.ArrayForm`,
:class:`~archgen.protocols.Benchmarked`, :class:`~archgen.protocols.TabulatesOracles` and
:class:`~archgen.protocols.OffersOracles` (the data ones raise
:class:`~archgen.errors.DataFileError` until the space is given data); the others a
subclass offers by defining their member.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from archgen.architecture import Architecture
from archgen.benchmark import BenchmarkTable
from archgen.errors import ConfigError, DataFileError, InvalidArchitectureError, choices_text
from archgen.oracle import MetricSpec, TableOracle
from archgen.protocols import Oracle


class NoOptions(BaseModel):
    """Options of a plugin that takes none."""

    model_config = ConfigDict(extra="forbid")


class GraphSpaceBase:
    """Default implementations for a node-labelled search space.

    Subclasses set ``name``, ``op_vocabulary``, ``max_nodes``, ``input_op``,
    ``output_op`` and, when architectures have fewer than ``max_nodes``
    nodes, ``pad_op`` (a vocabulary entry used for padding nodes).
    """

    name: ClassVar[str]
    op_vocabulary: ClassVar[tuple[str, ...]]
    max_nodes: ClassVar[int]
    input_op: ClassVar[str | None] = "input"
    output_op: ClassVar[str | None] = "output"
    pad_op: ClassVar[str | None] = None
    #: Pad smaller architectures with all-zero one-hot rows instead of a ``pad_op`` label
    #: (arch2vec's NB101 form); the space's ``from_tensors`` must then say how to drop them.
    zero_padding: ClassVar[bool] = False
    #: How errors name a member ("NB201 cell"); defaults to "<name> architecture".
    member_noun: ClassVar[str] = "architecture"
    #: Appended to the "too many nodes" error (e.g. "prune it first").
    oversize_hint: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: The file formats ``read_benchmark`` accepts, for the error when no path is configured.
    benchmark_formats: ClassVar[str] = ""
    #: The metric ``oracle()`` gives when none is named (else the first accuracy column).
    default_metric: ClassVar[str | None] = None
    #: Opt in to the arch2vec-style ops check as the paper protocol's validity (see ``paper_valid``).
    #: Off by default: a space whose nodes are not ``input_op`` ... ``output_op`` would otherwise
    #: score 0 % paper validity for every generator, the ``uniform`` baseline included.
    paper_ops_check: ClassVar[bool] = False
    #: Why the space's paper rule refuses some of its members by design (NB101: arch2vec counts only
    #: 7-vertex decodes), else ``None``; ``check_search_space`` then asks only that it accepts some.
    paper_refuses_members: ClassVar[str | None] = None

    def __init__(self, options: BaseModel | None = None):
        self.options = options if options is not None else self.Options()
        self._op_index = {op: i for i, op in enumerate(self.op_vocabulary)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # -- identity and validity -------------------------------------------------
    def key(self, arch: Architecture) -> Hashable:
        """Exact identity: the adjacency and ops themselves."""
        return (arch.adjacency, arch.ops)

    def why_invalid(self, arch: Architecture) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_valid(self, arch: Architecture) -> bool:
        """Whether ``arch`` belongs to the space (``why_invalid`` is ``None``)."""
        return self.why_invalid(arch) is None

    def paper_valid(self, arch: Architecture) -> bool:
        """The paper protocol's validity: ``is_valid``, or the arch2vec-style ops check on opt-in.

        By default a space is held to its own membership rule. A space arch2vec
        has no rule for, but whose decodes are ``input_op`` ... ``output_op``
        chains of labels, may set ``paper_ops_check = True`` to count as arch2vec
        would: the first node is the input, the last the output, every other
        node one of the space's operations (padding labels dropped first); the
        adjacency is not examined. Spaces with an arch2vec rule of their own
        override this method; docs/metrics.md lists each space's rule.
        """
        if not self.paper_ops_check:
            return self.is_valid(arch)
        ops = arch.ops
        if self.pad_op is not None:
            ops = tuple(op for op in ops if op != self.pad_op)
        if len(ops) < 2 or ops[0] != self.input_op or ops[-1] != self.output_op:
            return False
        special = {self.input_op, self.output_op, self.pad_op}
        return all(op in self._op_index and op not in special for op in ops[1:-1])

    def require_valid(self, arch: Architecture) -> None:
        """Raises with the space's one-line reason if ``arch`` is not a member.

        Raises:
            InvalidArchitectureError: ``not a valid <member_noun>: <reason>``.
        """
        reason = self.why_invalid(arch)
        if reason is not None:
            raise InvalidArchitectureError(f"not a valid {self.member_noun}: {reason}")

    def require_space(self, arch: Architecture) -> None:
        """Raises if ``arch`` is tagged with another space's name."""
        if arch.space != self.name:
            raise InvalidArchitectureError(
                f"architecture belongs to space {arch.space!r}, not {self.name!r}"
            )

    def enumerate(self) -> Iterator[Architecture]:
        raise NotImplementedError(f"space {self.name!r} is too large to enumerate")

    # -- benchmark table ----------------------------------------------------------
    def benchmark(self) -> BenchmarkTable:
        """The metrics table named by the ``benchmark`` option, read once.

        Raises:
            DataFileError: If the space takes no table, none is configured, or the
                file is missing or corrupt.
        """
        if getattr(self, "_benchmark", None) is None:
            if "benchmark" not in type(self.options).model_fields:
                raise DataFileError(f"space {self.name!r} has no benchmark table")
            path = self.options.benchmark
            if path is None:
                raise DataFileError(
                    f"space {self.name!r} has no benchmark table; set [space.options] benchmark = '<path>'"
                    + (f" ({self.benchmark_formats})" if self.benchmark_formats else "")
                )
            self._benchmark = self.read_benchmark(Path(path))
        return self._benchmark

    def read_benchmark(self, path: Path) -> BenchmarkTable:
        """Reads a metrics table of this space (spaces with benchmark data override this)."""
        raise DataFileError(f"space {self.name!r} has no benchmark loader")

    # -- oracles -------------------------------------------------------------------
    def metric_spec(self, metric: str) -> MetricSpec | None:
        """Unit, direction and scale of a benchmark column, or ``None`` if it is not an oracle metric.

        Spaces with benchmark data override this; columns such as an index or
        zero-cost proxy scores return ``None`` and are not offered.
        """
        return None

    def oracle_tables(self) -> list[BenchmarkTable]:
        """The tables :meth:`oracle` draws on (the ``benchmark`` table; spaces may add more)."""
        return [self.benchmark()]

    def oracle_metrics(self) -> dict[str, str]:
        """Every metric :meth:`oracle` offers, with its unit: accuracies first, the first one the default.

        Raises:
            DataFileError: If the space has no data configured (naming the option to set).
        """
        return {name: spec.unit for name, (_, spec) in self._oracle_catalogue().items()}

    def oracle(self, metric: str | None = None) -> Oracle:
        """The oracle of one metric (by default the first of :meth:`oracle_metrics`).

        Rows of the table are identified by canonical key, so isomorphic forms
        share one value (the mean of their rows).

        Raises:
            ConfigError: If ``metric`` is not offered, listing the accepted names.
            DataFileError: If the space has no data configured or it is corrupt.
        """
        catalogue = self._oracle_catalogue()
        name = next(iter(catalogue)) if metric is None else metric
        if name not in catalogue:
            raise ConfigError(
                f"unknown metric {metric!r} for space {self.name!r}; accepted: {choices_text(catalogue)}"
            )
        oracles = self.__dict__.setdefault("_oracles", {})
        if name not in oracles:
            table, spec = catalogue[name]
            oracles[name] = TableOracle.from_table(self, table, name, spec, keys=self._row_keys(table))
        return oracles[name]

    def table_row_key(self, key: str) -> Hashable:
        """The canonical key of a benchmark row's key (a native string unless a space says otherwise)."""
        return self.canonical_key(self.from_string(key))  # type: ignore[attr-defined]

    def _oracle_catalogue(self) -> dict[str, tuple[BenchmarkTable, MetricSpec]]:
        catalogue: dict[str, tuple[BenchmarkTable, MetricSpec]] = {}
        for table in self.oracle_tables():
            for name in table.metrics:
                spec = self.metric_spec(name)
                if spec is not None and name not in catalogue and not np.isnan(table.column(name)).all():
                    catalogue[name] = (table, spec)
        if not catalogue:
            raise DataFileError(f"space {self.name!r} has no oracle metric in {[t.source for t in self.oracle_tables()]}")
        # The declared headline metric, then accuracies (in table order): the first is the default.
        return dict(
            sorted(catalogue.items(), key=lambda item: (item[0] != self.default_metric, item[1][1].unit != "%"))
        )

    def _row_keys(self, table: BenchmarkTable) -> list[Hashable]:
        # Canonical keys cost a parse per row; every metric of one table shares them.
        cache = self.__dict__.setdefault("_row_key_cache", {})
        if id(table) not in cache:
            cache[id(table)] = (table, [self.table_row_key(key) for key in table.keys])
        return cache[id(table)][1]

    # -- tensors ---------------------------------------------------------------
    def to_tensors(self, archs: Sequence[Architecture]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded ``(adjacency [B, N, N], one-hot ops [B, N, K])`` float tensors."""
        adjacency, op_indices = self.to_arrays(archs)
        ops = np.zeros((len(archs), self.max_nodes, len(self.op_vocabulary)), dtype=np.float32)
        batch, node = np.nonzero(op_indices >= 0)  # zero-padding rows (index -1) stay all zero
        ops[batch, node, op_indices[batch, node]] = 1.0
        return torch.from_numpy(adjacency).float(), torch.from_numpy(ops)

    def to_arrays(self, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """Padded ``(adjacency [B, N, N] uint8, op indices [B, N] int64)``; ``-1`` marks zero padding."""
        n = self.max_nodes
        adjacency = np.zeros((len(archs), n, n), dtype=np.uint8)
        pad = self._op_index[self.pad_op] if self.pad_op is not None else -1
        may_pad = self.pad_op is not None or self.zero_padding
        op_indices = np.full((len(archs), n), pad, dtype=np.int64)
        for b, arch in enumerate(archs):
            m = arch.num_nodes
            if m > n or (m < n and not may_pad):
                raise InvalidArchitectureError(
                    f"architecture has {m} nodes; space {self.name!r} allows at most {n}"
                    + (f" ({self.oversize_hint})" if self.oversize_hint else "")
                    if may_pad
                    else f"architecture has {m} nodes; space {self.name!r} needs exactly {n}"
                )
            adjacency[b, :m, :m] = arch.adjacency
            try:
                op_indices[b, :m] = [self._op_index[op] for op in arch.ops]
            except KeyError as error:
                raise InvalidArchitectureError(
                    f"unknown op {error.args[0]!r} for space {self.name!r}; "
                    f"expected one of {list(self.op_vocabulary)}"
                ) from None
        return adjacency, op_indices

    def from_tensors(self, adjacency: Any, ops: Any) -> list[Architecture]:
        """Inverse of :meth:`to_tensors`; trailing padding nodes are dropped."""
        adjacency = _as_numpy(adjacency)
        ops = _as_numpy(ops)
        if ops.ndim == 3:
            ops = ops.argmax(-1)
        return self.from_arrays(adjacency > 0.5, ops)

    def from_arrays(self, adjacency: np.ndarray, op_indices: np.ndarray) -> list[Architecture]:
        """Builds architectures from ``[B, N, N]`` 0/1 arrays and ``[B, N]`` op indices.

        Only the strict upper triangle of ``adjacency`` is read. Op indices must
        lie in the vocabulary.

        Raises:
            InvalidArchitectureError: For out-of-vocabulary op indices or mismatched shapes.
        """
        adjacency = np.triu(np.asarray(adjacency) != 0, k=1).astype(np.int64)
        op_indices = np.asarray(op_indices, dtype=np.int64)
        if adjacency.ndim != 3 or op_indices.shape != adjacency.shape[:2] or adjacency.shape[1] != adjacency.shape[2]:
            raise InvalidArchitectureError(
                f"expected adjacency [B, N, N] and op indices [B, N], got {adjacency.shape} and {op_indices.shape}"
            )
        if op_indices.size and (op_indices.min() < 0 or op_indices.max() >= len(self.op_vocabulary)):
            raise InvalidArchitectureError(
                f"op index out of range 0..{len(self.op_vocabulary) - 1} for space {self.name!r}"
            )
        vocabulary = self.op_vocabulary
        pad = self._op_index[self.pad_op] if self.pad_op is not None else None
        archs = []
        for adj, idx in zip(adjacency.tolist(), op_indices.tolist()):
            m = len(idx)
            if pad is not None:
                while m > 0 and idx[m - 1] == pad:
                    m -= 1
            # Checked on the whole batch above, so the per-entry checks of __init__ are skipped.
            archs.append(
                Architecture.trusted(
                    self.name, tuple(tuple(row[:m]) for row in adj[:m]), tuple(vocabulary[i] for i in idx[:m])
                )
            )
        return archs


def _as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)
