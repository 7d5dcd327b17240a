"""``[search] pool = "labelled"``: a space restricted to the architectures its oracle tables label."""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import numpy as np

from archgen.architecture import Architecture
from archgen.errors import ArchgenError, ConfigError, InvalidArchitectureError
from archgen.pipeline.search_command.space_view import SpaceView
from archgen.protocols import ListsLabelled, Prunes, TabulatesOracles


class LabelledPool(SpaceView):
    """A space restricted to the architectures its oracle tables label (``[search] pool = "labelled"``).

    A table may label a few hundred architectures of a space of millions: the
    space's own sampler would draw hundreds of unlabelled architectures per
    labelled one, and its mutation would almost never land on a labelled
    neighbour. In the pool

    * ``sample`` draws members uniformly (with replacement);
    * ``mutate`` (where the space mutates) applies the space's own mutation once and
      keeps the child if it is a member other than the parent; otherwise (a child
      outside the pool, or equal to the parent) it *projects* the child onto the
      pool: a member at the smallest Hamming distance from the child's padded
      tensor form (``to_arrays``; pruned first where the space :class:`~archgen.protocols.Prunes`),
      the parent excluded, ties drawn at random. :meth:`stats` counts how often;
    * ``why_invalid`` refuses non-members.

    Searching the pool is not searching the space: results say so.

    Args:
        space: The space.
        members: The labelled architectures (one per canonical key).

    Raises:
        ConfigError: If ``members`` is empty.
    """

    def __init__(self, space: Any, members: Sequence[Architecture]):
        super().__init__(space)
        self.members = list(members)
        if not self.members:
            raise ConfigError(f"[search] pool = \"labelled\": space {space.name!r} has no labelled architecture")
        self._index = {space.canonical_key(arch): i for i, arch in enumerate(self.members)}
        self._features = self._featurize(self.members)
        self.mutations = self.projections = 0

    def __len__(self) -> int:
        return len(self.members)

    def size(self) -> int:
        """The number of labelled architectures."""
        return len(self.members)

    def enumerate(self) -> Iterator[Architecture]:
        """Every member once."""
        return iter(self.members)

    def sample(self, n: int, seed: int = 0) -> list[Architecture]:
        """``n`` members drawn uniformly with replacement (``default_rng(seed)``)."""
        picks = np.random.default_rng(seed).integers(0, len(self.members), size=n)
        return [self.members[int(i)] for i in picks]

    def why_invalid(self, arch: Architecture) -> str | None:
        """The space's reason, else why ``arch`` is not a member."""
        reason = self.inner.why_invalid(arch)
        if reason is None and self.inner.canonical_key(arch) not in self._index:
            reason = f"not one of the {len(self.members)} labelled architectures of the search pool"
        return reason

    def stats(self) -> dict[str, int]:
        """Mutations asked for so far, and how many were projected onto the pool."""
        return {"pool_size": len(self.members), "mutations": self.mutations, "projected": self.projections}

    def reset_stats(self) -> None:
        """Starts the counts of :meth:`stats` again (at each trial)."""
        self.mutations = self.projections = 0

    def nearest(self, arch: Architecture, rng: random.Random, exclude: Hashable | None = None) -> Architecture:
        """A member nearest to ``arch`` (Hamming distance of the padded form), ties drawn with ``rng``."""
        distance = (self._features != self._featurize([arch])).sum(axis=1)
        if exclude is not None and exclude in self._index:
            distance[self._index[exclude]] = np.iinfo(distance.dtype).max
        ties = np.flatnonzero(distance == distance.min())
        return self.members[int(ties[rng.randrange(len(ties))])]

    def mutate_within(self, arch: Architecture, rng: random.Random) -> Architecture:
        """The space's mutation, projected onto the pool when the child is not another member."""
        self.mutations += 1
        parent = self.inner.canonical_key(arch)
        child = self.inner.mutate(arch, rng)
        key = self.inner.canonical_key(child)
        if key in self._index and key != parent:
            return child
        self.projections += 1
        return self.nearest(child, rng, exclude=parent)

    def _featurize(self, archs: Sequence[Architecture]) -> np.ndarray:
        if isinstance(self.inner, Prunes):
            archs = [self.inner.prune(arch) for arch in archs]
        adjacency, ops = self.inner.to_arrays(archs)
        return np.concatenate([adjacency.reshape(len(archs), -1).astype(np.int64), ops], axis=1)


def labelled_pool(space: Any, oracles: Sequence[Any]) -> LabelledPool:
    """The pool of architectures every one of ``oracles`` answers.

    Candidates are the space's ``labelled_architectures()`` when it has one
    (:class:`~archgen.protocols.ListsLabelled`: tables keyed by hash), else the rows
    of its oracle tables parsed with ``from_string``; a computed oracle (FLOPs,
    latency) answers any member, so it only filters by a constraint's limit.

    Raises:
        ConfigError: If the space has no table of labelled architectures.
    """
    members: dict[Any, Architecture] = {}
    for arch in _candidates(space):
        key = space.canonical_key(arch)
        if key in members:
            continue
        try:
            for oracle in oracles:
                oracle.query(arch)
        except InvalidArchitectureError:
            continue
        members[key] = arch
    return LabelledPool(space, list(members.values()))


def _candidates(space: Any) -> list[Architecture]:
    """The architectures the space's tables label (repeats and unanswered ones included)."""
    try:
        if isinstance(space, ListsLabelled):
            return list(space.labelled_architectures())
        if isinstance(space, TabulatesOracles):
            return [space.from_string(key) for table in space.oracle_tables() for key in table.keys]
        reason = "it offers neither labelled_architectures() nor oracle_tables()"
    except ArchgenError as error:
        reason = str(error)
    raise ConfigError(
        f"[search] pool = \"labelled\": space {space.name!r} has no table of labelled architectures ({reason}); "
        "use pool = \"space\""
    )
