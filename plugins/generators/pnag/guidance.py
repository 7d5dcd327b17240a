"""Conditional PNAG sampling: predictor guidance toward a target (pnag.md §3, issue 12).

pnag.md's stage 3 attaches a surrogate to the trained generator and steers generation toward
"high accuracy / low latency". What is built here is the plain (non-meta-learned) form of it:
any fitted ``archgen.predictors`` plugin scores the decoded architectures and, for every sample
asked for, the best of ``candidates`` independent draws of the unguided sampler is kept --
the highest prediction (``maximize``), the lowest (``minimize``) or the one nearest a numeric
``target``. With ``select_at = "every_scale"`` the choice is made after every scale instead: each
sample's ``candidates`` continuations of its coarser scales are scored on a look-ahead -- the
decode of their greedy completion, or of their partial feature map -- and the best continues
(:func:`every_scale_draw`). The meta-learned transferable surrogate is the ``transferable``
predictor plugin; any predictor guides either way (docs/pnag.md, "Conditional generation").

Two ways in:

* :class:`GuidanceOptions` is the ``guidance`` field of the ``pnag`` sampling options
  (``[evaluate.sampling.guidance]``): the predictor is fitted, before sampling, on ``labels``
  architectures drawn uniformly from the space and labelled by the space's own oracle metric.
* :func:`guided_draw` takes an already fitted predictor (what the ``pnag_guided`` searcher does
  with the labels it has paid for).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from archgen.errors import ConfigError, InvalidArchitectureError
from archgen.generation import SampleBatch, TokenSamplingOptions, validate_sampling
from archgen.guided_sampling import Target, best_of_candidates, member_scores, preference
from archgen.protocols import OffersOracles
from archgen.registry import PluginChoice, Slot, load

if TYPE_CHECKING:
    from archgen.protocols import Predictor, SearchSpace
    from archgen.runtime import Runtime

class GuidanceOptions(BaseModel):
    """Predictor guidance of ``pnag`` sampling (``[evaluate.sampling.guidance]``).

    Attributes:
        predictor: The predictor plugin that scores the candidates.
        metric: The space oracle's metric the predictor is fitted on (``None``: the space's
            default, its first accuracy); latency or any other metric the space offers works.
        labels: Architectures drawn uniformly from the space (seed ``label_seed``) and labelled
            by that metric to fit the predictor; draws the oracle has no entry for are skipped.
        label_seed: Seed of those draws and of the predictor's fit.
        candidates: Independent draws per sample kept; the best-scored one is returned (1 = off).
        target: ``"maximize"``, ``"minimize"``, or a number the prediction should be nearest.
        select_at: ``"final"``: the best of ``candidates`` finished draws; ``"every_scale"``: the
            best of ``candidates`` continuations after every scale (:func:`every_scale_draw`).
        lookahead: With ``every_scale``, what a prefix is judged by: ``"completion"`` (its greedy
            completion's decode) or ``"partial"`` (the decode of its partial map).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    predictor: Annotated[PluginChoice, Slot("predictor")] = Field(default_factory=lambda: PluginChoice(name="gbdt"))
    metric: str | None = None
    labels: int = Field(200, ge=2, le=10_000_000)
    label_seed: int = Field(0, ge=0)
    candidates: int = Field(8, ge=1, le=10_000)
    target: Target = "maximize"
    select_at: Literal["final", "every_scale"] = "final"
    lookahead: Literal["completion", "partial"] = "completion"


class PNAGDrawOptions(TokenSamplingOptions):
    """The knobs of one PNAG draw: the token knobs and what the decoder may output.

    Attributes:
        support: ``"any"``: every position decodes freely (the paper's decoder); ``"observed"``: each
            node's operation is one seen at that node in training and every edge all training graphs
            agreed on keeps its value (:class:`~archgen.plugins.generators.pnag.support.ObservedSupport`,
            docs/pnag.md decision 14a).
    """

    support: Literal["any", "observed"] = "any"


class PNAGSamplingOptions(PNAGDrawOptions):
    """``pnag`` sampling knobs: the draw's knobs, plus optional predictor ``guidance`` (``None`` = off).

    Attributes:
        guidance: :class:`GuidanceOptions`; unset, sampling is exactly the unguided sampler.
    """

    guidance: GuidanceOptions | None = None


@dataclass(frozen=True)
class GuidedDraw:
    """What a guided draw chose.

    Attributes:
        batch: The chosen samples (one per request), their sampling options and seed.
        scores: ``[n]`` the predictor's value of each chosen sample (NaN where it did not decode to a member).
        chosen: ``[n]`` the index of each chosen sample among the ``n * candidates`` draws.
        scale_members: Per scale, the fraction of rows whose look-ahead decode was a member of the
            space (:func:`every_scale_draw` only; where it is 0 that scale was not steered).
    """

    batch: SampleBatch
    scores: np.ndarray
    chosen: np.ndarray
    scale_members: tuple[float, ...] | None = None


def guided_draw(
    generator: Any,
    space: SearchSpace,
    n: int,
    *,
    seed: int,
    predictor: Predictor,
    candidates: int,
    target: Target = "maximize",
    sampling: PNAGDrawOptions | dict[str, Any] | None = None,
) -> GuidedDraw:
    """``n`` samples, each the best of ``candidates`` unguided draws by ``predictor`` for ``target``.

    The ``n * candidates`` draws are one call of the generator's unguided ``sample`` (seed
    ``seed``); draw ``i * candidates + j`` is candidate ``j`` of sample ``i``. A draw that does
    not decode to a member of the space is kept only when none of its group does. Ties keep
    the first candidate, so the choice is deterministic by seed.

    Args:
        generator: A fitted ``pnag`` generator (anything whose ``sample`` takes token knobs).
        space: The space it was trained on.
        n: Samples wanted.
        seed: Seed of the draws.
        predictor: A fitted predictor of the space.
        candidates: Draws per sample (``>= 1``).
        target: ``"maximize"``, ``"minimize"`` or a number.
        sampling: Draw knobs (temperature, top_k, top_p, support) of the draws.

    Returns:
        The chosen batch, their predictions and their draw indices.
    """
    if candidates < 1:
        raise ConfigError(f"guidance candidates must be >= 1, got {candidates}")
    knobs = validate_sampling(PNAGDrawOptions, sampling or {})
    found = best_of_candidates(generator, space, predictor, n, candidates, seed=seed, target=target, sampling=knobs.model_dump())
    drawn, chosen = found.drawn, found.chosen
    batch = SampleBatch(
        drawn.adjacency[chosen], drawn.op_indices[chosen], drawn.well_formed[chosen],
        [drawn.tokens[i] for i in chosen] if drawn.tokens is not None else None,
        {}, int(seed),
    )
    return GuidedDraw(batch, found.scores[chosen], chosen)


#: How :func:`every_scale_draw` judges a prefix: its greedy completion, or its partial map as it stands.
Lookahead = Literal["completion", "partial"]

#: Rows (samples x candidates) drawn together by :func:`every_scale_draw`: each row holds key/value
#: caches for the whole sequence, so the batch is bounded rather than n x candidates at once.
EVERY_SCALE_ROWS = 2048


def every_scale_draw(
    generator: Any,
    space: SearchSpace,
    n: int,
    *,
    seed: int,
    predictor: Predictor,
    candidates: int,
    target: Target = "maximize",
    sampling: PNAGDrawOptions | dict[str, Any] | None = None,
    lookahead: Lookahead = "completion",
) -> GuidedDraw:
    """``n`` samples, each grown scale by scale from the best of ``candidates`` continuations.

    After every scale, each row is judged by a look-ahead architecture, the predictor scores it,
    and the best row of each sample's group is copied to the group
    (:meth:`NextScaleTransformer.draw_selected`). The look-ahead is the decode of the row's greedy
    completion (``"completion"``: the most likely code of every remaining token) or of its partial
    map ``ê_t`` as it stands (``"partial"``: what SCC trains to lie near the final map; how often
    such decodes are members: docs/results/pnag.md). Look-aheads that are not
    members of the space score worst; ties keep the first row. The last selection is the final
    decode's, as in :func:`guided_draw`. Samples are drawn in chunks of ``EVERY_SCALE_ROWS //
    candidates``, each from the one generator seeded by ``seed``.

    Args:
        generator: A fitted ``pnag`` generator.
        space: The space it was trained on.
        n: Samples wanted.
        seed: Seed of the draws.
        predictor: A fitted predictor of the space.
        candidates: Continuations per sample and scale (``>= 1``; 1 is the unguided draw).
        target: ``"maximize"``, ``"minimize"`` or a number.
        sampling: Draw knobs (temperature, top_k, top_p, support).
        lookahead: ``"completion"`` or ``"partial"`` (above).

    Returns:
        The batch, the predictor's value of each sample (NaN for non-members), and ``chosen``:
        ``i * candidates``, the first row of the group sample ``i`` grew in (the kept row is
        copied over its group after every scale).
    """
    if candidates < 1:
        raise ConfigError(f"guidance candidates must be >= 1, got {candidates}")
    if lookahead not in ("completion", "partial"):
        raise ConfigError(f"pnag lookahead must be 'completion' or 'partial', got {lookahead!r}")
    knobs = validate_sampling(PNAGDrawOptions, sampling or {})
    autoencoder, transformer = generator._require_built(), generator.transformer
    transformer.eval()
    torch_generator = torch.Generator(device=generator.device).manual_seed(seed)

    support = generator.observed_support(knobs.support)

    def scores_of(adjacency: torch.Tensor, ops: torch.Tensor) -> np.ndarray:
        archs = SampleBatch(adjacency.cpu().numpy(), ops.cpu().numpy(), np.ones(len(ops), dtype=bool)).architectures(space)
        return member_scores(space, predictor, archs)

    members = np.zeros(len(transformer.scales))

    def select(step: int, codes: torch.Tensor, e_hat: torch.Tensor) -> torch.Tensor:
        scores = scores_of(*autoencoder.decoder.graphs(e_hat, support))
        members[step] += np.isfinite(scores).sum()
        return torch.from_numpy(preference(scores, target).reshape(-1, candidates).argmax(1))

    chunk = max(1, EVERY_SCALE_ROWS // candidates)
    pieces = []
    with torch.no_grad():
        for start in range(0, n, chunk):
            codes, e_hat = transformer.draw_selected(
                min(chunk, n - start), candidates, select, temperature=knobs.temperature, top_k=knobs.top_k,
                top_p=knobs.top_p, generator=torch_generator, complete=lookahead == "completion",
            )
            pieces.append((codes, *autoencoder.decode_drawn(codes, e_hat, transformer.codebook, support)))
        if not pieces:
            codes = torch.zeros(0, transformer.sequence_length, dtype=torch.long, device=generator.device)
            pieces.append((codes, *autoencoder.decode_codes(codes)))
    codes, adjacency, ops = (torch.cat(part) for part in zip(*pieces))
    batch = SampleBatch(adjacency.cpu().numpy(), ops.cpu().numpy(), np.ones(n, dtype=bool), codes.cpu().tolist(), {}, int(seed))
    fractions = tuple(float(m) / (n * candidates) if n else 0.0 for m in members)
    return GuidedDraw(batch, scores_of(adjacency, ops), np.arange(n) * candidates, fractions)


def fit_guidance_predictor(space: SearchSpace, options: GuidanceOptions, runtime: Runtime | None = None) -> Predictor:
    """The predictor of :class:`GuidanceOptions`, fitted on ``labels`` uniform draws labelled by the space's oracle.

    Raises:
        ConfigError: If the space has no oracle, the metric is not offered, or fewer than two
            draws have an entry.
    """
    if not isinstance(space, OffersOracles):
        raise ConfigError(f"pnag guidance needs labels, but space {space.name!r} offers no oracle; "
                          "use a space with benchmark data or archgen.plugins.generators.pnag.guidance.guided_draw with a fitted predictor")
    oracle = space.oracle(options.metric)
    archs, targets = [], []
    for arch in space.sample(options.labels, seed=options.label_seed):
        try:
            targets.append(float(oracle.query(arch)))
        except InvalidArchitectureError:
            continue  # no entry in the table: not a label
        archs.append(arch)
    if len(archs) < 2:
        raise ConfigError(f"pnag guidance: only {len(archs)} of {options.labels} drawn architectures have a "
                          f"{oracle.metric!r} entry; at least 2 are needed")
    predictor = load("predictor", options.predictor.name, **options.predictor.options)
    with torch.enable_grad():  # PNAG.sample runs under no_grad; a neural predictor trains by gradient
        predictor.fit(space, archs, np.asarray(targets), runtime=runtime, seed=options.label_seed)
    return predictor


def guided_sample(generator: Any, space: SearchSpace, n: int, *, seed: int, knobs: PNAGSamplingOptions) -> SampleBatch:
    """``PNAG.sample`` with ``knobs.guidance`` set: fit its predictor, then :func:`guided_draw`.

    The returned batch records the full sampling options, guidance included.
    """
    guidance = knobs.guidance
    assert guidance is not None
    predictor = fit_guidance_predictor(space, guidance)
    token_knobs = PNAGDrawOptions(**knobs.model_dump(exclude={"guidance"}))
    draw_with = partial(every_scale_draw, lookahead=guidance.lookahead) if guidance.select_at == "every_scale" else guided_draw
    draw = draw_with(generator, space, n, seed=seed, predictor=predictor, candidates=guidance.candidates,
                     target=guidance.target, sampling=token_knobs)
    batch = draw.batch
    return SampleBatch(batch.adjacency, batch.op_indices, batch.well_formed, batch.tokens,
                       knobs.model_dump(mode="json"), int(seed))


__all__ = [
    "GuidanceOptions", "GuidedDraw", "PNAGDrawOptions", "PNAGSamplingOptions", "every_scale_draw", "fit_guidance_predictor", "guided_draw",
    "guided_sample", "preference",
]
