"""The component contracts: what a plugin of each entry-point group must offer.

These are structural (``typing.Protocol``) and runtime-checkable, so a
third-party plugin needs no archgen base class: it needs the members below
and a pydantic ``Options`` class attribute that
:func:`archgen.registry.load` validates the user's options with.

A space's optional members are capabilities, each its own runtime-checkable
protocol (:data:`SPACE_CAPABILITIES`), as a generator's are (:class:`Reconstructs`,
:class:`CodeModel`, :class:`Infills`, :class:`SteersDraw`): code that wants one
asks ``isinstance(space, Mutates)`` and a space offers it by having the member.
:func:`archgen.testing.check_search_space` checks each capability a space has.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import torch

from archgen.architecture import Architecture
from archgen.generation import ArrayForm, SampleBatch

if TYPE_CHECKING:
    import random

    from archgen.benchmark import BenchmarkTable
    from archgen.published import PublishedResults
    from archgen.runtime import Runtime


@runtime_checkable
class SearchSpace(Protocol):
    """A set of architectures with identity, validity and tensor conversions.

    A space may offer more: each optional member is a capability protocol of its own
    (:data:`SPACE_CAPABILITIES`: :class:`Mutates`, :class:`EquivalentForms`,
    :class:`ChecksPaperValidity`, :class:`Prunes`, :class:`ArrayForm`, :class:`Benchmarked`,
    :class:`OffersOracles`, :class:`TabulatesOracles`, :class:`ListsLabelled`,
    :class:`BuildsModel`, :class:`CountsParams`, :class:`CountsMacs`, :class:`PublishesResults`).

    Attributes:
        name: The space's entry-point name; every :class:`Architecture` it
            makes carries it.
        op_vocabulary: Every node label of the graph form, in one-hot order
            (input/output labels included).
        max_nodes: Node count of the padded tensor form.
    """

    name: str
    op_vocabulary: tuple[str, ...]
    max_nodes: int

    def size(self) -> int:
        """The exact number of distinct architectures (by :meth:`key`), computed."""

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """Draws ``n`` valid architectures, reproducibly for a given ``seed``."""

    def enumerate(self) -> Iterator[Architecture]:
        """Yields every architecture once, in a fixed order.

        Raises:
            NotImplementedError: If the space is too large to enumerate.
        """

    def is_valid(self, arch: Architecture) -> bool:
        """Whether ``arch`` is a member of the space (strict)."""

    def why_invalid(self, arch: Architecture) -> str | None:
        """A one-line reason ``arch`` is not a member, or ``None`` if it is."""

    def key(self, arch: Architecture) -> Hashable:
        """Exact identity: equal keys mean the same adjacency and ops."""

    def canonical_key(self, arch: Architecture) -> Hashable:
        """Identity up to the space's own equivalence (isomorphism, dead edges...)."""

    def to_string(self, arch: Architecture) -> str:
        """The space's native string format."""

    def from_string(self, text: str) -> Architecture:
        """Parses the native string format.

        Raises:
            InvalidArchitectureError: Naming the bad text and what was expected.
        """

    def to_tensors(self, archs: Sequence[Architecture]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded ``(adjacency [B, N, N], one-hot ops [B, N, K])`` float tensors."""

    def from_tensors(self, adjacency: Any, ops: Any) -> list[Architecture]:
        """Inverse of :meth:`to_tensors`.

        Args:
            adjacency: ``[B, N, N]`` 0/1 (anything array-like; only the strict
                upper triangle is read).
            ops: ``[B, N]`` op indices or ``[B, N, K]`` scores (argmax is taken).
        """


# -- a space's optional capabilities ------------------------------------------------------------------------
# A class attribute counts: every GraphSpaceBase subclass inherits ChecksPaperValidity, ArrayForm,
# Benchmarked, TabulatesOracles and OffersOracles from the base class's defaults.


@runtime_checkable
class Mutates(Protocol):
    """Capability of spaces with an evolutionary neighbourhood (the ``evolution`` and ``guided`` searchers need it)."""

    def mutate(self, arch: Architecture, rng: random.Random) -> Architecture:
        """A valid neighbour of ``arch`` drawn with ``rng``, by the rule the benchmark's own evolutionary search uses.

        Never an invalid architecture, never one with ``arch``'s ``canonical_key``.
        """


@runtime_checkable
class EquivalentForms(Protocol):
    """Capability of spaces with several ways of writing one architecture."""

    def equivalent_forms(self, arch: Architecture, rng: random.Random) -> list[Architecture]:
        """Valid architectures the space deems the same as ``arch`` (same ``canonical_key``): relabellings, dead parts."""


@runtime_checkable
class ChecksPaperValidity(Protocol):
    """Capability of spaces with a validity rule of the arch2vec / Arch-VQ evaluation code (the *paper* protocol)."""

    def paper_valid(self, arch: Architecture) -> bool:
        """Validity as the paper's evaluation code counts it (without it, the strict ``is_valid`` is used)."""


@runtime_checkable
class Prunes(Protocol):
    """Capability of spaces whose architectures may hold parts that do not change the network."""

    def prune(self, arch: Architecture) -> Architecture:
        """The same architecture (same ``canonical_key``) without the parts that change nothing."""


# ArrayForm is defined in archgen.generation and imported above: SampleBatch.from_architectures checks
# for it, and generation may not import this module (it names SampleBatch: a cycle).


@runtime_checkable
class Benchmarked(Protocol):
    """Capability of spaces with a table of measured metrics."""

    def benchmark(self) -> BenchmarkTable:
        """The metrics table.

        Raises:
            DataFileError: If the space has no table configured, naming the option to set.
        """


@runtime_checkable
class OffersOracles(Protocol):
    """Capability of spaces with measured (or computed) metrics: ``archgen search`` and ``archgen predict`` need it.

    An unknown metric raises :class:`archgen.errors.ConfigError` listing the accepted ones; a
    space without its data configured raises :class:`archgen.errors.DataFileError` naming the
    option to set. Accuracies are in percent in every space.
    """

    def oracle(self, metric: str | None = None) -> Oracle:
        """The :class:`Oracle` of one metric (the space's headline metric by default)."""

    def oracle_metrics(self) -> dict[str, str]:
        """``{name: unit}`` of every metric :meth:`oracle` offers, the default first."""


@runtime_checkable
class TabulatesOracles(Protocol):
    """Capability of spaces whose oracles read tables keyed by the space's native strings."""

    def oracle_tables(self) -> list[BenchmarkTable]:
        """The tables the oracles draw on; their row keys parse with ``from_string``.

        Raises:
            DataFileError: If the space has no table configured.
        """


@runtime_checkable
class ListsLabelled(Protocol):
    """Capability of spaces whose tables are keyed by something other than their strings (e.g. a hash).

    The labelled pools of ``archgen search`` (``pool = "labelled"``) and ``archgen predict``
    come from this list instead of the table's row keys.
    """

    def labelled_architectures(self) -> list[Architecture]:
        """One architecture per labelled row of the space's table.

        Raises:
            DataFileError: If the space has no table configured.
        """


@runtime_checkable
class BuildsModel(Protocol):
    """Capability of spaces that define concrete networks."""

    def build_model(self, arch: Architecture) -> torch.nn.Module:
        """The network of ``arch`` (space-specific keyword options may follow)."""


@runtime_checkable
class CountsParams(Protocol):
    """Capability of spaces that count a network's parameters without training it."""

    def count_params(self, arch: Architecture) -> int:
        """The parameters of ``arch``'s network."""


@runtime_checkable
class CountsMacs(Protocol):
    """Capability of spaces that count a network's multiply-accumulates."""

    def count_macs(self, arch: Architecture) -> int:
        """The multiply-accumulates of one forward pass of ``arch``'s network (at the space's input size)."""


@runtime_checkable
class PublishesResults(Protocol):
    """Capability of spaces with published reference results, printed beside archgen's own."""

    def published_results(self) -> PublishedResults:
        """The published search results and predictor rank correlations (:mod:`archgen.published`)."""


#: Every optional capability of a search space, in the order the kit checks them.
SPACE_CAPABILITIES: tuple[type, ...] = (
    Mutates, EquivalentForms, ChecksPaperValidity, Prunes, ArrayForm, Benchmarked, OffersOracles,
    TabulatesOracles, ListsLabelled, BuildsModel, CountsParams, CountsMacs, PublishesResults,
)


@runtime_checkable
class Encoder(Protocol):
    """Maps a padded graph batch to one embedding per node (a ``torch.nn.Module``)."""

    out_dim: int

    def __call__(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """``[B, N, N]`` adjacency and ``[B, N, K]`` ops to ``[B, N, out_dim]``."""


@runtime_checkable
class Quantizer(Protocol):
    """A vector quantizer over a codebook of ``codebook_size`` vectors of size ``dim``."""

    codebook_size: int
    dim: int

    def __call__(self, z_e: torch.Tensor) -> Any:
        """Quantizes ``[..., dim]``; returns an object with ``z_q`` (straight-through),
        ``indices``, ``loss`` (commitment term) and ``perplexity``."""

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codebook vectors for ``indices`` (``[...]`` to ``[..., dim]``)."""


@runtime_checkable
class Prior(Protocol):
    """A generative model of fixed-length code sequences."""

    def fit(
        self,
        sequences: torch.Tensor,
        *,
        epochs: int,
        seed: int,
        runtime: Runtime | None = None,
        callbacks: Sequence[EpochCallback] = (),
    ) -> dict[str, float]:
        """Trains on ``[M, L]`` code sequences; returns final training statistics.

        ``runtime`` gives the device, autocast precision and rank (``None``: one CPU process,
        fp32); ``callbacks`` are called on rank 0 as ``(stage, epoch, logs)`` after every epoch.
        """

    def sample(self, n: int, *, seed: int = 0, **sampling: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences: ``(codes [n, L], well_formed [n] bool)``.

        ``sampling`` holds the prior's own knobs (temperature, top-k, ...),
        validated by its ``SamplingOptions`` where it declares one. A sequence
        that ended early, ran long or holds a special token inside is returned
        with ``well_formed`` False (its codes are then meaningless), never raised.
        """


#: ``(stage, epoch, logs)``: called after every training epoch (stage is e.g. ``"vqvae"``).
EpochCallback = Callable[[str, int, dict[str, float]], None]


@runtime_checkable
class Generator(Protocol):
    """Learns a space's distribution of architectures and samples from it.

    A generator class also declares ``Options`` (its configuration) and
    ``SamplingOptions`` (the knobs :meth:`sample` accepts: a temperature, a
    guidance target, a prompt...), both pydantic models with
    ``extra="forbid"``; the pipeline validates ``[evaluate.sampling]`` and
    ``archgen sweep --over KEY=...`` with the latter.
    """

    def fit(
        self,
        space: SearchSpace,
        train: Sequence[Architecture],
        *,
        validation: Sequence[Architecture] = (),
        runtime: Runtime | None = None,
        seed: int = 0,
        callbacks: Sequence[EpochCallback] = (),
    ) -> dict[str, Any]:
        """Trains on ``train``; returns JSON-ready training statistics.

        Args:
            space: The space ``train`` comes from.
            train: The training split.
            validation: The held-out split: the architectures novelty and held-out coverage are
                scored against. Never train on it (nor tune on it beyond what follows); it may be
                used only to monitor training and to stop early.
            runtime: Where and how to compute (device, threads, precision, DDP rank); ``None``
                means CPU, one thread. Never read devices, threads or ranks from the environment.
            seed: Seeds every random draw of training (initialisation, shuffling, restarts), so
                the same seed on the same runtime trains the same model.
            callbacks: Called after every epoch as ``(stage, epoch, logs)``.

        Returns:
            A dict with str keys of numbers, strings, booleans, None, lists and dicts (numpy
            scalars are accepted and converted); it is stored in
            ``checkpoints/seed-<s>/training.json``. Anything else stops the run with
            :class:`~archgen.errors.PluginOutputError` (:func:`archgen.plugin_outputs.check_statistics`).
        """

    def sample(self, space: SearchSpace, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Draws ``n`` decoded graphs (well-formed or not) as a :class:`SampleBatch`.

        The batch is checked as it enters archgen (:func:`archgen.plugin_outputs.check_sample_batch`,
        the same check :func:`archgen.testing.check_generator` runs): exactly ``n`` rows, 0/1
        strict upper triangular adjacency, op indices in the vocabulary, rows that are not well
        formed carrying no graph, ``seed`` recorded. A batch that breaks a rule stops the command
        with :class:`~archgen.errors.PluginOutputError` before anything is written.
        """

    def save(self, directory: str | Path) -> list[Path]:
        """Writes the trained state into ``directory`` (atomically, file by file).

        Args:
            directory: A directory that exists (the pipeline creates
                ``checkpoints/seed-<s>/`` before calling; the kit passes an existing one too).

        Returns:
            The paths written, each inside ``directory``.
        """

    def load(self, directory: str | Path, space: SearchSpace, runtime: Runtime | None = None) -> Generator:
        """Restores a :meth:`save` d state for ``space``; returns ``self``.

        Raises:
            CheckpointError: If a file is missing, corrupt or made for another model.
        """


@runtime_checkable
class Reconstructs(Protocol):
    """Capability of auto-encoding generators: encode then decode known architectures."""

    def reconstruct(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """``(adjacency [B, N, N] uint8, op indices [B, N])`` of the round trip."""

    def reconstruction_accuracy(self, space: SearchSpace, archs: Sequence[Architecture]) -> float:
        """Percentage of ``archs`` whose adjacency and ops both come back exactly."""


@runtime_checkable
class CodeModel(Protocol):
    """Capability of code-based generators: architectures to discrete code sequences and back."""

    def encode(self, space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
        """``[B, L]`` code indices."""

    def decode_codes(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[B, L]`` codes to ``(adjacency [B, N, N] uint8, op indices [B, N])``."""


@runtime_checkable
class Infills(Protocol):
    """Capability of generators that complete partially given code sequences (Arch-LLM's ``fill:``)."""

    def infill(self, space: SearchSpace, codes: np.ndarray, mask: np.ndarray, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """Re-draws the codes where ``mask`` is True, keeping the others; decodes the result."""


@runtime_checkable
class SteersDraw(Protocol):
    """Capability of generators that steer a draw while it is made, not only choose among finished ones.

    PNAG grows ``candidates`` continuations of each sample and keeps the best by ``predictor`` after
    every scale; a searcher that holds a fitted predictor reaches it through this method without
    importing the generator's package.
    """

    def steered_sample(
        self, space: SearchSpace, n: int, *, seed: int, predictor: Predictor, candidates: int,
        target: str | float = "maximize", sampling: dict[str, Any] | None = None, **steering: Any,
    ) -> tuple[SampleBatch, np.ndarray]:
        """``n`` samples steered toward ``target`` and the predictor's value of each (NaN for non-members).

        Args:
            space: The space the generator was trained on.
            n: Samples wanted.
            seed: Seed of the draws.
            predictor: A fitted predictor of the space.
            candidates: Continuations per sample kept at each step (1 is the unguided draw).
            target: ``"maximize"``, ``"minimize"`` or a number the prediction should be nearest.
            sampling: The generator's token knobs (temperature, top_k, top_p).
            **steering: The generator's own steering options (PNAG: ``lookahead``).

        Raises:
            ConfigError: For a steering option the generator does not know.
        """


@runtime_checkable
class Predictor(Protocol):
    """Predicts a scalar performance figure for architectures."""

    def fit(
        self,
        space: SearchSpace,
        archs: Sequence[Architecture],
        targets: np.ndarray,
        *,
        runtime: Runtime | None = None,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Trains on labelled architectures; returns JSON-ready statistics.

        Args:
            space: The space of ``archs``.
            archs: The labelled architectures.
            targets: ``[len(archs)]`` float labels.
            runtime: Where and how to compute; ``None`` means CPU, one thread.
            seed: Seeds every random draw, so two fits with one seed predict the same.

        Returns:
            A dict with str keys of JSON values (numpy scalars converted), stored in
            ``predict.json``; anything else is a :class:`~archgen.errors.PluginOutputError`.
        """

    def predict(self, space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
        """One prediction per architecture (``[B]`` float).

        Checked as it enters archgen (:func:`archgen.plugin_outputs.check_predictions`): a numpy
        array (or tensor) of shape ``[len(archs)]``, floats, every one finite.
        """


@runtime_checkable
class Oracle(Protocol):
    """Measured (or tabulated) performance of a space's architectures.

    Attributes:
        space: The space's name.
        metric: The metric's name as the space offers it (e.g. ``"cifar10/test@200"``).
        unit: ``"%"`` for accuracies (percent everywhere), ``"ms"``, ``"mJ"``...
        higher_is_better: Whether a searcher maximises it.
    """

    space: str
    metric: str
    unit: str
    higher_is_better: bool

    def query(self, arch: Architecture) -> float:
        """The metric of ``arch``, looked up by the space's canonical key.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member or has no entry.
        """


@runtime_checkable
class QueriesBatches(Protocol):
    """Capability of oracles that answer many architectures at once faster than one by one.

    A training oracle trains a batch on parallel workers; :meth:`archgen.oracle.BudgetedOracle.prefetch`
    hands it the architectures a searcher is about to query, so the searcher's own loop stays serial
    and its results are those of a serial run.
    """

    def query_many(self, archs: Sequence[Architecture]) -> list[float]:
        """The metric of each of ``archs``, in order (each evaluated at most once).

        Raises:
            InvalidArchitectureError: If one is not a member (none is evaluated then).
        """


@runtime_checkable
class Dataset(Protocol):
    """Labelled images in fixed train / validation / test splits: an ``archgen.datasets`` plugin.

    Attributes:
        name: The dataset's name as recorded with every result (e.g. ``"cifar10"``, ``"digits"``).
        num_classes: Classes of its labels ``0 .. num_classes - 1``.
        input_shape: ``(channels, height, width)`` of one image as the network receives it.
    """

    name: str
    num_classes: int
    input_shape: tuple[int, int, int]

    def split(self, which: str) -> torch.utils.data.Dataset:
        """The ``"train"``, ``"valid"`` or ``"test"`` split: items ``(image float tensor, int label)``.

        The train split applies the training augmentation (drawn from torch's global generator, so a
        seeded single-process loader is deterministic); the others apply the evaluation transform.

        Raises:
            ConfigError: For another split name.
        """

    def describe(self) -> dict[str, Any]:
        """JSON-ready record of the source, transforms, split sizes and split seed (stored with results)."""


@runtime_checkable
class OracleSource(Protocol):
    """An ``archgen.oracles`` plugin: oracles for a space that the space itself does not tabulate.

    ``[search] oracle = { name = "train", options = {...} }`` makes ``archgen search`` take its
    signal, report and constraint metrics from the source instead of the space's tables.
    """

    def oracle_metrics(self, space: SearchSpace) -> dict[str, str]:
        """Metric name -> one-line description, the default first.

        Raises:
            ConfigError: If the source cannot serve ``space`` (say why: e.g. it builds no network).
        """

    def oracle(self, space: SearchSpace, metric: str, runtime: Runtime | None = None) -> Oracle:
        """The oracle of ``metric`` over ``space``, computing where ``runtime`` says.

        Raises:
            ConfigError: For a metric not in :meth:`oracle_metrics` (listing them).
        """


@runtime_checkable
class Searcher(Protocol):
    """Proposes architectures to evaluate, given the scores of earlier ones."""

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> Any:
        """Queries ``oracle`` (a :class:`archgen.oracle.BudgetedOracle` that refuses past its
        budget) until the budget is spent; the oracle records the trajectory.

        Args:
            space: The space to search (possibly a constrained view: use its ``sample`` / ``mutate``).
            oracle: The budgeted oracle; stop at ``oracle.remaining == 0``.
            seed: Seeds everything random, so one seed queries the same architectures.
            runtime: Where and how to compute; ``None`` means CPU, one thread.

        Returns:
            The search's own statistics, JSON-ready: ``None`` or numbers, strings, booleans,
            lists and dicts with str keys (numpy scalars and arrays are converted to numbers and
            lists). Stored as ``searcher_stats`` in ``trial-<seed>.json``; anything else stops
            ``archgen search`` with :class:`~archgen.errors.PluginOutputError`
            (:func:`archgen.plugin_outputs.check_search_result`).
        """


#: The protocol each slot's plugins must satisfy; :func:`archgen.registry.load` checks it.
SLOT_PROTOCOLS: dict[str, type] = {
    "space": SearchSpace,
    "encoder": Encoder,
    "quantizer": Quantizer,
    "prior": Prior,
    "generator": Generator,
    "predictor": Predictor,
    "searcher": Searcher,
    "oracle": OracleSource,
}


def missing_members(obj: Any, protocol: type) -> list[str]:
    """Members of ``protocol`` that ``obj`` lacks (attributes set in ``__init__`` count)."""
    members = sorted(getattr(protocol, "__protocol_attrs__", None) or _protocol_members(protocol))
    return [name for name in members if not hasattr(obj, name)]


def _protocol_members(protocol: type) -> set[str]:
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass in (object, Protocol) or klass.__name__ in ("Generic",):
            continue
        names |= {n for n in vars(klass) if not n.startswith("_")}
        names |= set(getattr(klass, "__annotations__", {}))
    return names
