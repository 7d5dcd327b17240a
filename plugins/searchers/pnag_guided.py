"""``pnag_guided``: PNAG's conditional generation as a searcher (pnag.md §3, issue 12).

PNAG is trained, unconditionally, on the space's architectures (no oracle query: a generator
learns the space, not its labels), or loaded from a trained ``pnag`` run. The search then
spends the oracle budget in rounds:

1. query ``initial`` unguided PNAG draws;
2. fit the predictor (any ``archgen.predictors`` plugin) on every label so far;
3. draw ``generated`` guided samples -- each the best of ``candidates`` PNAG draws by the
   predictor, on the oracle's orientation (``select_at = "final"``), or grown from the best of
   ``candidates`` continuations after every scale (``"every_scale"``, PNAG's
   :meth:`~archgen.protocols.SteersDraw.steered_sample`) -- and query the ``batch``
   best-predicted that are new;
4. repeat until the budget is spent (or ``patience`` rounds in a row query nothing new).

Training PNAG is by far the dearest step, and it does not depend on the trial: the model is
trained with ``train_seed`` (not the trial's seed) and kept in the process, so the trials of an
``archgen search`` train it once.

The selection in step 3 is the one of ``pnag``'s ``guidance`` sampling option: both call
:func:`archgen.guided_sampling.best_of_candidates`, or PNAG's every-scale draw through the
:class:`~archgen.protocols.SteersDraw` capability (a searcher may not import a method package,
tests/test_layout.py, so PNAG itself is loaded through its entry point).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen import guided_sampling
from archgen.architecture import Architecture
from archgen.config import RelativeToConfig
from archgen.errors import ConfigError
from archgen.plugins.searchers.ledger import QueryLedger
from archgen.plugins.searchers.proposals import ProposalSource
from archgen.protocols import SteersDraw
from archgen.registry import PluginChoice, Slot, load

if TYPE_CHECKING:
    from archgen.protocols import Oracle, SearchSpace
    from archgen.runtime import Runtime

#: A CPU-sized PNAG: the short NB201 budget of docs/results/pnag.md (20 VAE + 6 transformer epochs, batch 64).
DEFAULT_PNAG: dict[str, Any] = {"vae_epochs": 20, "vae_lr": 1e-3, "transformer_epochs": 6, "batch_size": 64}


class PNAGGuidedOptions(BaseModel):
    """Options of the ``pnag_guided`` searcher.

    Attributes:
        generator_run: A trained ``pnag`` run directory to load instead of training one here.
        generator_seed: The run's checkpoint seed (default: trial ``k`` uses the run's ``k``-th, cycling).
        pnag: Options of the ``pnag`` generator trained here (``[generator.options]`` of ``pnag``).
        train_archs: Architectures PNAG is trained on: ``None`` is every member when the space
            enumerates at most 50,000, else 10,000 uniform draws; a number is that many draws.
        train_seed: Seed of PNAG's training set and training (the same model for every trial).
        sampling: Token knobs of PNAG's draws (temperature, top_k, top_p).
        predictor: The predictor plugin fitted on the labels each round.
        initial: Unguided PNAG draws queried before the first round.
        batch: Architectures queried per round.
        generated: Guided samples drawn per round.
        candidates: PNAG draws per guided sample (the best by prediction is kept).
        select_at: ``"final"``: the best of ``candidates`` finished draws; ``"every_scale"``: the
            best of ``candidates`` continuations after every scale.
        lookahead: With ``every_scale``, what a prefix is judged by: ``"completion"`` (the decode
            of its greedy completion) or ``"partial"`` (of its partial feature map).
        patience: Rounds in a row that query nothing new before the search stops.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    generator_run: RelativeToConfig | None = None
    generator_seed: int | None = Field(None, ge=0)
    pnag: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_PNAG))
    train_archs: int | None = Field(None, ge=2, le=10_000_000)
    train_seed: int = Field(0, ge=0)
    sampling: dict[str, Any] = Field(default_factory=dict)
    predictor: Annotated[PluginChoice, Slot("predictor")] = Field(
        default_factory=lambda: PluginChoice(name="gin", options={"epochs": 50})
    )
    initial: int = Field(10, ge=2, le=1_000_000)
    batch: int = Field(10, ge=1, le=1_000_000)
    generated: int = Field(100, ge=1, le=1_000_000)
    candidates: int = Field(8, ge=1, le=10_000)
    select_at: Literal["final", "every_scale"] = "final"
    lookahead: Literal["completion", "partial"] = "completion"
    patience: int = Field(20, ge=1)


def best_of_candidates(model: Any, space: SearchSpace, predictor: Any, n: int, candidates: int, *, seed: int,
                       sampling: dict[str, Any]) -> list[tuple[Architecture | None, float]]:
    """``n`` guided samples (:func:`archgen.guided_sampling.best_of_candidates`, maximizing the prediction).

    Returns:
        Per sample, ``(architecture, prediction)``; ``(None, nan)`` where no draw of its group was a member.
    """
    found = guided_sampling.best_of_candidates(model, space, predictor, n, candidates, seed=seed, sampling=sampling)
    return [(found.architectures[i], float(found.scores[i])) if found.scores[i] == found.scores[i] else (None, float("nan"))
            for i in found.chosen.tolist()]


# One trained model per process (key: space, options, training set): the trials of a search share it.
_TRAINED: dict[str, Any] = {}


class PNAGGuidedSearch:
    """Predictor-guided PNAG generation, refitted on the labels of each round."""

    Options: ClassVar[type[BaseModel]] = PNAGGuidedOptions
    # Tiny, but trained enough (seconds) that most draws are members of NB201.
    TEST_OPTIONS: ClassVar[dict[str, Any]] = {
        "pnag": {
            "encoder": {"name": "gin", "options": {"hidden_dims": [16, 16]}},
            "node_dim": 16, "channels": 8, "codebook_size": 32, "decoder_hidden": 16, "scales": [3, 5, 8],
            "vae_epochs": 30, "vae_lr": 3e-3, "transformer_epochs": 20, "transformer_lr": 3e-3, "batch_size": 32,
            "d_model": 16, "layers": 1, "heads": 2, "dropout": 0.0,
        },
        "train_archs": 300,
        "predictor": {"name": "gbdt", "options": {"max_iter": 30, "min_samples_leaf": 2, "ensemble": 1}},
        "initial": 4, "batch": 3, "generated": 12, "candidates": 3, "patience": 5,
    }

    def __init__(self, options: PNAGGuidedOptions | None = None):
        self.options = options if options is not None else PNAGGuidedOptions()

    def generator(self, space: SearchSpace, *, seed: int, runtime: Runtime | None = None) -> tuple[Any, str]:
        """The PNAG model the search draws from, and a description of it.

        Loaded from ``generator_run`` when given; otherwise trained on the space (cached per process).
        """
        o = self.options
        if o.generator_run is not None:
            source = ProposalSource(PluginChoice(name="pnag"), o.generator_run, o.generator_seed).open(space, seed=seed, runtime=runtime)
            return source.generator, source.described
        train = self._training_set(space)
        digest = hashlib.sha256("\n".join(space.to_string(a) for a in train).encode()).hexdigest()[:16]
        key = json.dumps([space.name, o.pnag, o.train_seed, digest], sort_keys=True, default=str)
        if key not in _TRAINED:
            _TRAINED.clear()  # keep one model: a search uses one
            model = load("generator", "pnag", **o.pnag)
            model.fit(space, train, runtime=runtime, seed=o.train_seed)
            _TRAINED[key] = model
        return _TRAINED[key], f"pnag trained here on {len(train)} architectures (train_seed {o.train_seed})"

    def _guided(self, model: Any, space: SearchSpace, predictor: Any, *, seed: int) -> list[tuple[Architecture | None, float]]:
        """One round's ``generated`` guided samples as ``(architecture, prediction)``; ``(None, nan)`` for non-members."""
        o = self.options
        if o.select_at == "final":
            return best_of_candidates(model, space, predictor, o.generated, o.candidates, seed=seed, sampling=o.sampling)
        if not isinstance(model, SteersDraw):
            raise ConfigError(f"pnag_guided select_at = 'every_scale' needs a generator that steers its draw "
                              f"(archgen.protocols.SteersDraw); {type(model).__name__} does not (accepted: 'final')")
        batch, scores = model.steered_sample(space, o.generated, seed=seed, predictor=predictor, candidates=o.candidates,
                                             sampling=o.sampling, lookahead=o.lookahead)
        return [(arch, float(score)) if score == score else (None, float("nan"))
                for arch, score in zip(batch.architectures(space), scores.tolist())]

    def _training_set(self, space: SearchSpace) -> list[Architecture]:
        o = self.options
        size = space.size() if hasattr(space, "size") else None
        if o.train_archs is None and size is not None and size <= 50_000 and hasattr(space, "enumerate"):
            return list(space.enumerate())
        return list(space.sample(o.train_archs or 10_000, seed=o.train_seed))

    def search(self, space: SearchSpace, oracle: Oracle, *, seed: int = 0, runtime: Runtime | None = None) -> dict[str, Any]:
        """Trains (or loads) PNAG, queries the initial draws, then guided rounds until the budget is spent.

        Args:
            space: The space to search.
            oracle: A :class:`archgen.oracle.BudgetedOracle`.
            seed: Seeds the draws and the predictor fits.
            runtime: Device for PNAG and the predictor.

        Returns:
            ``{"rounds", "evaluated", "stopped", "proposer", "invalid_draws"}``.
        """
        o = self.options
        model, described = self.generator(space, seed=seed, runtime=runtime)
        draw_seeds = np.random.default_rng([seed, 3])
        ledger = QueryLedger(space, oracle)
        seen, ask = ledger.seen, ledger.ask
        stats: dict[str, Any] = {"rounds": 0, "invalid_draws": 0, "proposer": described}

        labelled = ledger.labelled

        def finish(stopped: str) -> dict[str, Any]:
            return {**stats, "evaluated": oracle.num_queries, "stopped": stopped}

        stale = 0
        while len(labelled()) < o.initial and oracle.remaining > 0:
            batch = model.sample(space, o.initial, seed=int(draw_seeds.integers(2**63)), **o.sampling)
            drawn = batch.architectures(space)
            ledger.prefetch([a for a in drawn if a is not None and space.is_valid(a)], o.initial - len(labelled()))
            new = 0
            for arch in drawn:
                if arch is None or not space.is_valid(arch):
                    stats["invalid_draws"] += 1
                elif len(labelled()) < o.initial:
                    new += ask(arch)
            stale = 0 if new else stale + 1
            if stale >= o.patience:
                return finish("patience")

        while oracle.remaining > 0:
            pairs = labelled()
            predictor = load("predictor", o.predictor.name, **o.predictor.options)
            predictor.fit(space, [a for a, _ in pairs], np.array([y for _, y in pairs]), runtime=runtime,
                          seed=seed * 1000 + stats["rounds"])
            proposals: dict[Any, tuple[Architecture, float]] = {}
            for arch, score in self._guided(model, space, predictor, seed=int(draw_seeds.integers(2**63))):
                if arch is None:
                    stats["invalid_draws"] += 1
                    continue
                key = space.canonical_key(arch)
                if key not in seen and key not in proposals:
                    proposals[key] = (arch, score)
            ranked = [arch for arch, _ in sorted(proposals.values(), key=lambda item: -item[1])]  # stable: draw order breaks ties
            ledger.prefetch(ranked, o.batch)
            new = 0
            for arch in ranked:
                if new >= o.batch or oracle.remaining <= 0:
                    break
                new += ask(arch)
            stats["rounds"] += 1
            stale = 0 if new else stale + 1
            if stale >= o.patience:
                return finish("patience")
        return finish("budget")


__all__ = ["DEFAULT_PNAG", "PNAGGuidedOptions", "PNAGGuidedSearch", "best_of_candidates"]
