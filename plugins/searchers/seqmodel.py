"""``seqmodel``: Arch-LLM's sequence-modelling search (arch-llm.md, Algorithm 1).

Poddenige et al., "Arch-LLM" (§3.3, Algorithm 1): prompt the fine-tuned language
model with ``generate:`` for ``n`` code sequences and query them; then, for each
of ``T`` iterations,

1. keep the ``m`` best architectures of the population (by the signal) and drop the
   other ``n - m``;
2. make ``2m`` new ones with ``fill:`` -- two per kept architecture: a random number of
   its codes at random positions are masked and re-drawn by the model, the other codes
   kept;
3. draw ``n - 3m`` new ones with ``generate:``;
4. query the new ones; the kept ``m`` and the ``n - m`` new ones are the next population.

The answer is the architecture with the best signal (the budgeted oracle's
trajectory keeps it). Any generator that infills and encodes
(:class:`archgen.protocols.Infills` and :class:`~archgen.protocols.CodeModel`) works --
the ``fill:`` step needs the kept architectures' codes, and a generator's own encoder
gives them for any architecture, wherever it came from. The generator is a trained run
(``generator_run``, as the ``guided`` searcher's), or, without one, is fitted here on
``train_size`` uniform draws of the space (unsupervised: no oracle query).

The paper gives no values of ``n``, ``m`` and ``T`` in our copy (its appendix is
missing); the defaults are archgen's: ``n = 50``, ``m = 10`` (each iteration asks 40 new
architectures), and iterations until the budget is spent. The number of codes masked
per ``fill:`` is drawn as in training (uniform over 1..L, positions uniform), unless
``max_masked`` caps it. Draws that are malformed, not members of the space, or repeats
of an architecture already queried cost nothing and are not replaced: the algorithm's
shape (``2m`` fills, ``n - 3m`` generations per iteration) is kept exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.plugins.searchers.proposals import ProposalSource
from archgen.protocols import CodeModel, Infills
from archgen.registry import PluginChoice, Slot, load, plugin_class

if TYPE_CHECKING:
    from archgen.generation import SampleBatch
    from archgen.protocols import Oracle, SearchSpace
    from archgen.runtime import Runtime


class SeqModelOptions(BaseModel):
    """Options of the ``seqmodel`` searcher.

    Attributes:
        generator: The generator (``[generator]``-style choice); it must infill and encode.
            Fitted on ``train_size`` uniform draws of the space unless ``generator_run`` is given.
        generator_run: A trained run directory whose generator is used (its ``config.json``'s,
            not ``generator``).
        generator_seed: The run's checkpoint seed (default: trial ``k`` uses the run's ``k``-th, cycling).
        train_size: Without ``generator_run``: uniform draws of the space the generator is fitted on.
        sampling: Sampling options of both prompts (for a run: over its ``[evaluate.sampling]``).
        n: Population size: architectures generated before the first iteration, and kept + new ones per iteration.
        m: The best architectures kept per iteration; each gives two ``fill:`` candidates (``3m <= n``).
        T: Iterations (``None``: until the budget is spent).
        max_masked: At most this many codes are masked per ``fill:`` (``None``: the sequence length).
        patience: Iterations in a row that query nothing new before the search stops.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    generator: Annotated[PluginChoice, Slot("generator")] = Field(default_factory=lambda: PluginChoice(name="arch_llm"))
    generator_run: RelativeToConfig | None = None
    generator_seed: int | None = Field(None, ge=0)
    train_size: int = Field(2000, ge=1, le=10_000_000)
    sampling: dict[str, Any] = Field(default_factory=dict)
    n: int = Field(50, ge=1, le=1_000_000)
    m: int = Field(10, ge=1, le=1_000_000)
    T: int | None = Field(None, ge=0, le=1_000_000)
    max_masked: int | None = Field(None, ge=1, le=10_000)
    patience: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _shape(self) -> SeqModelOptions:
        if 3 * self.m > self.n:
            raise ConfigError(f"searcher 'seqmodel': 3m = {3 * self.m} exceeds n = {self.n} (n - 3m architectures are generated per iteration)")
        if self.generator_run is None:
            cls = plugin_class("generator", self.generator.name)
            if not (callable(getattr(cls, "infill", None)) and callable(getattr(cls, "encode", None))):
                raise ConfigError(_needs(f"generator {self.generator.name!r}"))
        return self


def _needs(described: str) -> str:
    return (f"searcher 'seqmodel' needs a generator that infills and encodes (archgen.protocols.Infills, CodeModel), "
            f"e.g. 'arch_llm'; {described} does not")


class SeqModelSearch:
    """Algorithm 1 of Arch-LLM over any infilling code-model generator."""

    Options: ClassVar[type[BaseModel]] = SeqModelOptions
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {
        # A tiny arch_llm fitted on 160 cells: arch_vq's test settings
        # (fast lr and EMA), which reconstruct NB201 cells, and a T5 prior trained long enough that
        # about a fifth of its constrained draws decode to valid cells.
        "generator": {"name": "arch_llm", "options": {"base": {"name": "arch_vq", "options": {
            "vqvae_epochs": 80, "vqvae_lr": 3e-3, "vqvae_batch_size": 16, "prior_epochs": 40,
            "encoder": {"name": "gin", "options": {"hidden_dims": [64, 64, 64, 16]}},
            "quantizer": {"name": "ema", "options": {"codebook_size": 64, "dim": 16, "decay": 0.9}},
            "prior": {"name": "llm", "options": {
                "config": {"d_model": 16, "d_ff": 32, "d_kv": 8, "num_layers": 1, "num_heads": 2, "dropout_rate": 0.0},
                "lr": 1e-2, "batch_size": 32,
            }},
        }}}},
        "train_size": 160, "sampling": {"constrained": True}, "n": 9, "m": 2,
    }

    def __init__(self, options: SeqModelOptions | None = None):
        self.options = options if options is not None else SeqModelOptions()

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Loads (or fits) the generator, then runs :meth:`run` until the iterations or the budget are spent.

        Args:
            space: The space to search.
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            seed: Picks the run's checkpoint, seeds the fitting, the draws and the masks.
            runtime: Device for the generator.

        Returns:
            :meth:`run`'s statistics and ``"proposer"``, the generator used.

        Raises:
            ConfigError: If the generator cannot infill or encode, or the run directory is unusable.
        """
        o = self.options
        if o.generator_run is not None:
            source = ProposalSource(o.generator, o.generator_run, o.generator_seed, o.sampling).open(space, seed=seed, runtime=runtime)
            generator, sampling, described = source.generator, source.sampling_options, source.described
            self._check(generator, described)
        else:
            generator, sampling = load("generator", o.generator.name, **o.generator.options), dict(o.sampling)
            self._check(generator, f"generator {o.generator.name!r}")
            generator.fit(space, space.sample(o.train_size, seed=seed), runtime=runtime, seed=seed)
            described = f"generator {o.generator.name!r} fitted on {o.train_size} uniform draws of the space"
        return {**self.run(space, oracle, generator, sampling=sampling, seed=seed), "proposer": described}

    @staticmethod
    def _check(generator: Any, described: str) -> None:
        if not (isinstance(generator, Infills) and isinstance(generator, CodeModel)):
            raise ConfigError(_needs(described))

    def run(self, space: SearchSpace, oracle: Oracle, generator: Any, *, sampling: dict[str, Any], seed: int) -> dict[str, Any]:
        """Algorithm 1 with a ready generator.

        Args:
            space: The space to search.
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            generator: An :class:`~archgen.protocols.Infills` and :class:`~archgen.protocols.CodeModel` generator.
            sampling: Options of its ``sample`` and ``infill``.
            seed: Seeds the draws and the masks.

        Returns:
            ``{"iterations", "evaluated", "stopped" ("budget" | "iterations" | "patience"),
            "invalid_draws", "history"}``; ``history`` has one entry per step (step 0 is the
            first generation) with its ``generated`` and ``filled`` draws, ``invalid`` ones and
            ``new`` queries.
        """
        o = self.options
        sign = 1.0 if oracle.higher_is_better else -1.0
        draw_seeds = np.random.default_rng([seed, 1])
        masks = np.random.default_rng([seed, 2])
        seen: dict[Any, tuple[Architecture, float]] = {}  # canonical key -> (arch, signed value); NaN: no entry
        history: list[dict[str, int]] = []

        def ask(archs: list[Architecture], population: dict[Any, tuple[Architecture, float]]) -> int:
            """Queries what was never asked (while the budget lasts); adds every labelled one to ``population``."""
            new = 0
            for arch in archs:
                key = space.canonical_key(arch)
                if key not in seen:
                    if oracle.remaining <= 0:
                        break
                    try:
                        seen[key] = (arch, sign * oracle.query(arch))
                        new += 1
                    except InvalidArchitectureError:
                        seen[key] = (arch, float("nan"))  # no entry: never asked again, never kept
                if seen[key][1] == seen[key][1]:
                    population[key] = seen[key]
            return new

        batch = generator.sample(space, o.n, seed=int(draw_seeds.integers(2**63)), **sampling)
        drawn, invalid = _valid(space, batch)
        population: dict[Any, tuple[Architecture, float]] = {}
        history.append({"generated": len(batch), "filled": 0, "invalid": invalid, "new": ask(drawn, population)})
        iterations = stale = 0
        stopped = "budget"
        while oracle.remaining > 0:
            if o.T is not None and iterations >= o.T:
                stopped = "iterations"
                break
            if stale >= o.patience:
                stopped = "patience"
                break
            best = sorted(population.values(), key=lambda item: -item[1])[: o.m]
            kept = {space.canonical_key(arch): (arch, value) for arch, value in best}
            candidates: list[Architecture] = []
            filled = invalid = 0
            if best:
                parents = [arch for arch, _ in best for _ in range(2)]
                codes = np.asarray(generator.encode(space, parents))
                mask = fill_masks(codes.shape, o.max_masked, masks)
                batch = generator.infill(space, codes, mask, seed=int(draw_seeds.integers(2**63)), **sampling)
                fills, invalid = _valid(space, batch)
                candidates += fills
                filled = len(batch)
            generated = o.n - 3 * len(best) if best else o.n
            if generated:
                batch = generator.sample(space, generated, seed=int(draw_seeds.integers(2**63)), **sampling)
                drawn, bad = _valid(space, batch)
                candidates += drawn
                invalid += bad
            population = kept
            new = ask(candidates, population)
            iterations += 1
            history.append({"generated": generated, "filled": filled, "invalid": invalid, "new": new})
            stale = 0 if new else stale + 1
        return {"iterations": iterations, "evaluated": oracle.num_queries, "stopped": stopped,
                "invalid_draws": sum(step["invalid"] for step in history), "history": history}


def fill_masks(shape: tuple[int, int], max_masked: int | None, rng: np.random.Generator) -> np.ndarray:
    """The ``fill:`` masks: per row a uniform number 1..``max_masked`` of codes at uniform positions.

    Args:
        shape: ``(rows, L)``.
        max_masked: The most codes masked in a row (``None`` or more than ``L``: ``L``, the
            training task's distribution).
        rng: Draws the counts and positions.

    Returns:
        ``[rows, L]`` bool, True at the codes to re-draw; every row has at least one.
    """
    rows, length = shape
    most = length if max_masked is None else min(max_masked, length)
    mask = np.zeros(shape, dtype=bool)
    for row in range(rows):
        mask[row, rng.choice(length, size=int(rng.integers(1, most + 1)), replace=False)] = True
    return mask


def _valid(space: SearchSpace, batch: SampleBatch) -> tuple[list[Architecture], int]:
    """The batch's members of the space, in draw order, and how many draws were not."""
    kept = [arch for arch in batch.architectures(space) if arch is not None and space.is_valid(arch)]
    return kept, len(batch) - len(kept)


__all__ = ["SeqModelOptions", "SeqModelSearch", "fill_masks"]
