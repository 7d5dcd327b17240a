"""The ``uniform`` generator: draws members of the space i.i.d. and uniformly, learning nothing.

It is the reference row of the metrics table: its expected uniqueness is the
i.i.d. ceiling ``N (1 - (1 - 1/N)^n) / n`` (73.86 % for 10,000 NB201 cells), its
held-out coverage what blind sampling reaches. Draws come from
``space.sample(n, seed)``; how uniform that is depends on the space (see
docs/metrics.md): NB201 and NB101 draw uniformly with replacement, DARTS
uniformly but pairwise distinct (indistinguishable from i.i.d. among its
1.08e18 genotypes), mbv3 uniformly over distinct subnets only with
``sampling = "uniform"``, AutoFormer with every depth equally likely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from archgen.architecture import Architecture
from archgen.atomic import write_json
from archgen.errors import CheckpointError, ConfigError
from archgen.generation import NoSamplingOptions, SampleBatch, validate_sampling
from archgen.protocols import EpochCallback, SearchSpace
from archgen.runtime import Runtime

CHECKPOINT_FORMAT = "archgen.uniform/1"
CHECKPOINT_FILE = "uniform.json"


class UniformOptions(BaseModel):
    """Options of the ``uniform`` generator: none."""

    model_config = ConfigDict(extra="forbid")


class UniformGenerator:
    """Samples the space uniformly; ``fit`` only records which space it is for.

    Args:
        options: :class:`UniformOptions`.
    """

    Options: ClassVar[type[BaseModel]] = UniformOptions
    SamplingOptions: ClassVar[type[BaseModel]] = NoSamplingOptions
    #: Options for tests and ``archgen.testing`` kits: nothing to make small.
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {}

    def __init__(self, options: UniformOptions | None = None):
        self.options = options or UniformOptions()
        self.space_name: str | None = None

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
        """Records the space's name; the training data are not looked at.

        Returns:
            ``{"space": name, "space_size": N}``.
        """
        self.space_name = space.name
        return {"space": space.name, "space_size": int(space.size())}

    def sample(self, space: SearchSpace, n: int, *, seed: int = 0, **sampling: Any) -> SampleBatch:
        """``n`` draws of ``space.sample(n, seed)``, all well formed.

        Raises:
            ConfigError: For any sampling option (it takes none), or a space other
                than the one it was fitted on.
        """
        validate_sampling(self.SamplingOptions, sampling)
        if self.space_name is not None and space.name != self.space_name:
            raise ConfigError(f"uniform generator was fitted on space {self.space_name!r}, asked to sample {space.name!r}")
        return SampleBatch.from_architectures(space, space.sample(int(n), seed=int(seed)), sampling={}, seed=int(seed))

    def save(self, directory: str | Path) -> list[Path]:
        """Writes ``uniform.json`` (format and space name) into ``directory``, atomically."""
        path = Path(directory) / CHECKPOINT_FILE
        write_json(path, {"format": CHECKPOINT_FORMAT, "space": self.space_name})
        return [path]

    def load(self, directory: str | Path, space: SearchSpace, runtime: Runtime | None = None) -> UniformGenerator:
        """Restores a :meth:`save` d generator for ``space``; returns ``self``.

        Raises:
            CheckpointError: If ``uniform.json`` is missing, is not this format,
                or was saved for another space.
        """
        path = Path(directory) / CHECKPOINT_FILE
        if not path.is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} not found (train first: archgen train)")
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CheckpointError(f"checkpoint {str(path)!r} is corrupt ({type(error).__name__})") from None
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint {str(path)!r} is not an {CHECKPOINT_FORMAT} checkpoint")
        if payload.get("space") not in (None, space.name):
            raise CheckpointError(f"checkpoint {str(path)!r} was made for space {payload.get('space')!r}, not {space.name!r}")
        self.space_name = space.name
        return self
