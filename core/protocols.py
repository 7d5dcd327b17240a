"""The component contracts: what a plugin of each entry-point group must offer.

These are structural (``typing.Protocol``) and runtime-checkable, so a
third-party plugin needs no archgen base class: it needs the members below
and a pydantic ``Options`` class attribute that
:func:`archgen.registry.load` validates the user's options with.

Optional extras are looked up with ``getattr`` by the code that wants them and
are documented on :class:`SearchSpace` rather than required by it:

* ``equivalent_forms(arch, rng)`` -- architectures the space deems the same
  (used by :func:`archgen.testing.check_search_space`);
* ``paper_valid(arch)`` -- validity as the arch2vec/Arch-VQ evaluation code
  counts it (the *paper* metrics protocol); defaults to an ops check;
* ``benchmark()`` -- a :class:`archgen.benchmark.BenchmarkTable` of measured
  metrics;
* ``build_model(arch)``, ``count_params(arch)``, ``count_macs(arch)`` for
  spaces that define concrete networks.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from archgen.architecture import Architecture


@runtime_checkable
class SearchSpace(Protocol):
    """A set of architectures with identity, validity and tensor conversions.

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

    def fit(self, sequences: torch.Tensor, **training: Any) -> dict[str, float]:
        """Trains on ``[M, L]`` code sequences; returns final training statistics."""

    def sample(
        self,
        n: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int = 0,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draws ``n`` sequences: ``(codes [n, L], well_formed [n] bool)``.

        A sequence that ended early, ran long or holds a special token inside
        is returned with ``well_formed`` False (its codes are then meaningless),
        never raised.
        """


@runtime_checkable
class Generator(Protocol):
    """Learns a space's distribution of architectures and samples from it."""

    def fit(self, space: SearchSpace, train: Sequence[Architecture], **context: Any) -> dict[str, Any]:
        """Trains on ``train``; returns training statistics."""

    def reconstruct(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[np.ndarray, np.ndarray]:
        """Encodes and decodes ``archs``: ``(adjacency [B, N, N], op indices [B, N])``."""

    def sample(self, space: SearchSpace, n: int, **sampling: Any) -> Any:
        """Draws ``n`` decoded graphs as a :class:`archgen.generation.SampleBatch`."""


@runtime_checkable
class Predictor(Protocol):
    """Predicts a scalar performance figure for architectures."""

    def fit(self, space: SearchSpace, archs: Sequence[Architecture], targets: np.ndarray) -> dict[str, float]:
        """Trains on labelled architectures."""

    def predict(self, space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
        """One prediction per architecture."""


@runtime_checkable
class Searcher(Protocol):
    """Proposes architectures to evaluate, given the scores of earlier ones."""

    def search(self, space: SearchSpace, objective: Any, budget: int, seed: int = 0) -> list[tuple[Architecture, float]]:
        """Runs ``budget`` evaluations of ``objective``; returns them in order."""
