"""A search space seen through a change: the base of the constraint and the labelled pool.

A view delegates every member of :class:`archgen.protocols.SearchSpace` to the
space it wraps, explicitly; a subclass overrides what it changes (what is
sampled, what is valid, how a mutation lands). It offers exactly the optional
capabilities (:data:`archgen.protocols.SPACE_CAPABILITIES`) of the wrapped space:
constructing a view picks, once per combination, a subclass that adds the
forwarding member of each capability the wrapped space has, so a searcher's
``isinstance(space, Mutates)`` answers for the wrapped space as it would for the
space itself.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import torch

from archgen.architecture import Architecture
from archgen.protocols import (
    ArrayForm,
    Benchmarked,
    BuildsModel,
    ChecksPaperValidity,
    CountsMacs,
    CountsParams,
    EquivalentForms,
    ListsLabelled,
    Mutates,
    OffersOracles,
    Prunes,
    PublishesResults,
    TabulatesOracles,
)


class SpaceView:
    """Every :class:`~archgen.protocols.SearchSpace` member of ``space``, forwarded; subclasses change some.

    Args:
        space: The space seen through the view.
    """

    def __new__(cls, space: Any, *args: Any, **kwargs: Any) -> SpaceView:
        return super().__new__(_with_capabilities(cls, _capabilities_of(space)))

    def __init__(self, space: Any):
        self.inner = space

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def op_vocabulary(self) -> tuple[str, ...]:
        return self.inner.op_vocabulary

    @property
    def max_nodes(self) -> int:
        return self.inner.max_nodes

    def size(self) -> int:
        return self.inner.size()

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        return self.inner.sample(n, seed=seed)

    def enumerate(self) -> Iterator[Architecture]:
        return self.inner.enumerate()

    def why_invalid(self, arch: Architecture) -> str | None:
        return self.inner.why_invalid(arch)

    def is_valid(self, arch: Architecture) -> bool:
        return self.why_invalid(arch) is None

    def key(self, arch: Architecture) -> Hashable:
        return self.inner.key(arch)

    def canonical_key(self, arch: Architecture) -> Hashable:
        return self.inner.canonical_key(arch)

    def to_string(self, arch: Architecture) -> str:
        return self.inner.to_string(arch)

    def from_string(self, text: str) -> Architecture:
        return self.inner.from_string(text)

    def to_tensors(self, archs: Sequence[Architecture]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inner.to_tensors(archs)

    def from_tensors(self, adjacency: Any, ops: Any) -> list[Architecture]:
        return self.inner.from_tensors(adjacency, ops)

    def mutate_within(self, arch: Architecture, rng: random.Random) -> Architecture:
        """The view's mutation (called by ``mutate`` when the wrapped space :class:`Mutates`): the space's own."""
        return self.inner.mutate(arch, rng)


# -- one forwarding member per capability -----------------------------------------------------------------


class _Mutates:
    def mutate(self: Any, arch: Architecture, rng: random.Random) -> Architecture:
        return self.mutate_within(arch, rng)


class _EquivalentForms:
    def equivalent_forms(self: Any, arch: Architecture, rng: random.Random) -> list[Architecture]:
        return self.inner.equivalent_forms(arch, rng)


class _ChecksPaperValidity:
    def paper_valid(self: Any, arch: Architecture) -> bool:
        return self.inner.paper_valid(arch)


class _Prunes:
    def prune(self: Any, arch: Architecture) -> Architecture:
        return self.inner.prune(arch)


class _ArrayForm:
    def to_arrays(self: Any, archs: Sequence[Architecture]) -> Any:
        return self.inner.to_arrays(archs)


class _Benchmarked:
    def benchmark(self: Any) -> Any:
        return self.inner.benchmark()


class _OffersOracles:
    def oracle(self: Any, metric: str | None = None) -> Any:
        return self.inner.oracle(metric)

    def oracle_metrics(self: Any) -> dict[str, str]:
        return self.inner.oracle_metrics()


class _TabulatesOracles:
    def oracle_tables(self: Any) -> list[Any]:
        return self.inner.oracle_tables()


class _ListsLabelled:
    def labelled_architectures(self: Any) -> list[Architecture]:
        return self.inner.labelled_architectures()


class _BuildsModel:
    def build_model(self: Any, arch: Architecture, *args: Any, **kwargs: Any) -> Any:
        return self.inner.build_model(arch, *args, **kwargs)


class _CountsParams:
    def count_params(self: Any, arch: Architecture, *args: Any, **kwargs: Any) -> int:
        return self.inner.count_params(arch, *args, **kwargs)


class _CountsMacs:
    def count_macs(self: Any, arch: Architecture, *args: Any, **kwargs: Any) -> int:
        return self.inner.count_macs(arch, *args, **kwargs)


class _PublishesResults:
    def published_results(self: Any) -> Any:
        return self.inner.published_results()


#: capability protocol -> the mixin that forwards it.
FORWARDERS: dict[type, type] = {
    Mutates: _Mutates,
    EquivalentForms: _EquivalentForms,
    ChecksPaperValidity: _ChecksPaperValidity,
    Prunes: _Prunes,
    ArrayForm: _ArrayForm,
    Benchmarked: _Benchmarked,
    OffersOracles: _OffersOracles,
    TabulatesOracles: _TabulatesOracles,
    ListsLabelled: _ListsLabelled,
    BuildsModel: _BuildsModel,
    CountsParams: _CountsParams,
    CountsMacs: _CountsMacs,
    PublishesResults: _PublishesResults,
}


def _capabilities_of(space: Any) -> tuple[type, ...]:
    return tuple(protocol for protocol in FORWARDERS if isinstance(space, protocol))


def _with_capabilities(cls: type, capabilities: tuple[type, ...]) -> type:
    """``cls`` with the forwarding mixin of each capability (``cls`` itself when there is none)."""
    # A view class made here is extended from its declared class, so each combination is made once.
    return _extended(cls.__dict__.get("_view_of", cls), capabilities)


@functools.cache
def _extended(base: type, capabilities: tuple[type, ...]) -> type:
    if not capabilities:
        return base
    mixins = tuple(FORWARDERS[protocol] for protocol in capabilities)
    namespace = {"__module__": base.__module__, "__qualname__": base.__qualname__, "_view_of": base}
    return type(base.__name__, (base, *mixins), namespace)
