"""The architectures a run learns from, and their fixed train / held-out split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgen.architecture import Architecture
from archgen.config import DataSection
from archgen.errors import ConfigError
from archgen.progress import progress
from archgen.protocols import SearchSpace


@dataclass(frozen=True)
class Dataset:
    """All architectures of a run and the split into training and held-out parts."""

    archs: list[Architecture]
    train_index: np.ndarray
    heldout_index: np.ndarray

    @property
    def train(self) -> list[Architecture]:
        return [self.archs[i] for i in self.train_index]

    @property
    def heldout(self) -> list[Architecture]:
        return [self.archs[i] for i in self.heldout_index]


#: How ``source = "sample"`` seeds its draw: 1 = ``split_seed`` itself (runs made before the named
#: stream; their config.json has no ``data_stream``), 2 = :func:`data_stream_seed`.
CURRENT_DATA_STREAM = 2


def collect(space: SearchSpace, data: DataSection, *, stream: int = CURRENT_DATA_STREAM) -> list[Architecture]:
    """The architectures named by the ``[data]`` section, in a fixed order.

    Args:
        space: The space.
        data: The ``[data]`` section.
        stream: The sampled data set's seeding (:data:`CURRENT_DATA_STREAM`; a run records its own,
            so an older run keeps finding the data it was trained on).

    Raises:
        ConfigError: If ``source = "sample"`` lacks ``num_archs``, or the space
            cannot be enumerated.
    """
    if data.source == "enumerate":
        try:
            return list(progress(space.enumerate(), desc=f"enumerate {space.name}", total=space.size()))
        except NotImplementedError:
            raise ConfigError(
                f"space {space.name!r} cannot be enumerated; set [data] source = \"sample\" and num_archs = N"
            ) from None
    if data.num_archs is None:
        raise ConfigError("[data] source = \"sample\" needs num_archs = N")
    unique: dict[object, Architecture] = {}
    seed = data.split_seed if stream == 1 else data_stream_seed(data.split_seed)
    for arch in space.sample(data.num_archs, seed=seed):
        unique.setdefault(space.key(arch), arch)
    return list(unique.values())


#: Names the data-collection stream ("data" in ASCII), so that it is not the stream a generator
#: draws from when it calls ``space.sample(n, seed)`` with the same small seed.
DATA_STREAM = 0x64617461


def data_stream_seed(split_seed: int) -> int:
    """The ``space.sample`` seed of a sampled data set: derived from ``split_seed``, apart from every plain seed.

    Drawing the data with ``seed = split_seed`` made the ``uniform`` baseline at seed 0 redraw the
    data set's own first cells (its novelty equal to the held-out share, its coverage meaningless).
    """
    return int(np.random.SeedSequence([int(split_seed) % 2**63, DATA_STREAM]).generate_state(1, dtype=np.uint64)[0] % 2**62)


def split(archs: list[Architecture], holdout: float, seed: int) -> Dataset:
    """A reproducible random split; ``holdout`` of the architectures are held out."""
    order = np.random.default_rng(seed).permutation(len(archs))
    n_heldout = max(1, int(round(holdout * len(archs))))
    return Dataset(archs, np.sort(order[n_heldout:]), np.sort(order[:n_heldout]))


def build(space: SearchSpace, data: DataSection, *, stream: int = CURRENT_DATA_STREAM) -> Dataset:
    """Collects and splits the run's architectures."""
    return split(collect(space, data, stream=stream), data.holdout, data.split_seed)
