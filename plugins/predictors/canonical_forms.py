"""One written form per architecture class, so a predictor never learns that two spellings differ.

A cell space writes one network many ways: on NAS-Bench-201 the 15,625 cells are 6,466 networks
(NATS-Bench's ``get_unique_str``), because an op on an edge that cannot reach the output, or a
``skip_connect`` beside another path, changes nothing. A predictor fed the raw cells must learn
from labels that those spellings are one network; with 78 labels it cannot, and ranks equal
networks apart. Mapping every architecture to one representative of its class before it is
featurized hands the predictor that knowledge for free -- no label is spent on it.

How the representative is found depends on what the space offers:

* ``"enumerated"``: a finite space small enough to list (at most ``ENUMERATE_LIMIT`` members) is
  listed once, and each ``canonical_key`` class is represented by its member with the smallest
  ``to_string`` -- every equivalence the key knows is used.
* ``"pruned"``: otherwise a space that :class:`~archgen.protocols.Prunes` maps each architecture to
  its pruned form (NAS-Bench-101 drops the vertices that cannot reach the output).
* ``"identity"``: otherwise architectures are used as given.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Sequence

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.protocols import Prunes, SearchSpace

ENUMERATE_LIMIT = 200_000
"""The largest space listed whole (NAS-Bench-201's 15,625 cells take 0.2 s; NAS-Bench-101's 423,624 prune instead)."""


# A searcher refits its surrogate every round; listing the space once per space object, not per fit,
# keeps that cost (0.2 s on NAS-Bench-201, ten seconds over a 100-query guided search) paid once.
_LISTED: weakref.WeakKeyDictionary[SearchSpace, dict[Hashable, Architecture]] = weakref.WeakKeyDictionary()


class CanonicalForms:
    """Maps architectures to one representative of their ``canonical_key`` class.

    Args:
        space: The architectures' space.
        enumerate_limit: The largest ``space.size()`` that is listed whole.

    Attributes:
        method: ``"enumerated"``, ``"pruned"`` or ``"identity"`` (the module docstring says which applies).
    """

    def __init__(self, space: SearchSpace, enumerate_limit: int = ENUMERATE_LIMIT):
        self.space = space
        self._representatives: dict[Hashable, Architecture] = {}
        size = finite_size(space)
        if size is not None and size <= enumerate_limit:
            self.method = "enumerated"
            listed = _LISTED.get(space)
            self._representatives = listed if listed is not None else _list_representatives(space)
            _LISTED[space] = self._representatives
        elif isinstance(space, Prunes):
            self.method = "pruned"
        else:
            self.method = "identity"

    def __call__(self, archs: Sequence[Architecture]) -> list[Architecture]:
        """Each architecture's representative (an architecture outside the listed space stays as it is)."""
        if self.method == "identity":
            return list(archs)
        return [self._representative(arch) for arch in archs]

    def _representative(self, arch: Architecture) -> Architecture:
        try:
            if self.method == "enumerated":
                return self._representatives.get(self.space.canonical_key(arch), arch)
            return self.space.prune(arch)  # type: ignore[attr-defined]
        except InvalidArchitectureError:
            return arch  # an invalid architecture has no class; the predictor sees it as written

    @property
    def classes(self) -> int | None:
        """How many classes the listed space holds (``None`` unless ``method`` is ``"enumerated"``)."""
        return len(self._representatives) if self.method == "enumerated" else None


def _list_representatives(space: SearchSpace) -> dict[Hashable, Architecture]:
    representatives: dict[Hashable, Architecture] = {}
    for arch in space.enumerate():
        key = space.canonical_key(arch)
        held = representatives.get(key)
        if held is None or space.to_string(arch) < space.to_string(held):
            representatives[key] = arch
    return representatives


def finite_size(space: SearchSpace) -> int | None:
    """``space.size()`` where the space knows it as an int, else ``None`` (an unbounded or unsized space)."""
    try:
        size = space.size()
    except (NotImplementedError, OverflowError, TypeError):
        return None
    return size if isinstance(size, int) else None


__all__ = ["CanonicalForms", "ENUMERATE_LIMIT", "finite_size"]
