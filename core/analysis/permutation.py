"""``permutation``: do permuted code sequences decode to the original architecture? (arch-vq.md 5.4.1, Table 6;
arch-llm.md 4.4).

The papers sample 1,000 code sequences from the prior, permute each in 100 random ways, decode, and
count the decodes equal to the original (Arch-VQ: 5.1 % on NB101; Arch-LLM: 47 of 1,000 sequences).
Here the original is the architecture the generator returned for the sampled sequence, and each
permutation is a uniformly random non-identity reordering of the sequence's positions. A decode
counts as the original when its adjacency and ops are identical (``exact``), and, more leniently,
when it is a member of the space with the original's ``canonical_key`` (``canonical``). Permutations
that leave the sequence unchanged (they only swap equal codes) are counted apart: their decode is the
original by construction. docs/analyses.md explains what the test measures for a per-node decoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from archgen.analysis.inputs import AnalysisInputs, sampled_codes
from archgen.atomic import write_text
from archgen.generation import SampleBatch
from archgen.metrics.graph_hash import exact_keys
from archgen.protocols import SearchSpace

FIGURE = "permutation.md"
#: Decodes per decoder call: bounds memory (``[chunk, N, N]``) on large runs.
CHUNK = 65_536


class Options(BaseModel):
    """Options of the ``permutation`` analysis.

    Attributes:
        n: Code sequences sampled from the prior (papers: 1,000).
        permutations: Random non-identity permutations of each (papers: 100).
        seed: Replicate to analyse (default: the first trained one).
        sample_seed: Seed of the prior's draws and of the permutations.
    """

    model_config = ConfigDict(extra="forbid")
    n: int = Field(1000, ge=1, le=1_000_000)
    permutations: int = Field(100, ge=1, le=10_000)
    seed: int | None = None
    sample_seed: int = 0


@dataclass(frozen=True)
class PermutationOutcome:
    """Per sequence and permutation, how the permuted decode compares with the original.

    Attributes:
        permutations: ``[S, P, L]`` the position orders applied (``permuted = codes[perm]``).
        identity_matches: ``[S]`` whether decoding the unpermuted sequence gives the original.
        same_sequence: ``[S, P]`` the permutation left the sequence unchanged (it only moved equal codes).
        exact: ``[S, P]`` the decode has the original's adjacency and ops.
        canonical: ``[S, P]`` the decode is a member with the original's canonical key.
        original_valid: ``[S]`` whether each original is a member of the space.
    """

    permutations: np.ndarray
    identity_matches: np.ndarray
    same_sequence: np.ndarray
    exact: np.ndarray
    canonical: np.ndarray
    original_valid: np.ndarray


def random_permutations(count: int, permutations: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``[count, permutations, length]`` uniformly random permutations of ``range(length)``, none the identity.

    Raises:
        ValueError: If ``length < 2`` (no non-identity permutation exists).
    """
    if length < 2:
        raise ValueError(f"a sequence of length {length} has no non-identity permutation")
    orders = np.argsort(rng.random((count, permutations, length)), axis=-1)
    identity = np.arange(length)
    while True:
        redraw = (orders == identity).all(-1)
        if not redraw.any():
            return orders
        orders[redraw] = np.argsort(rng.random((int(redraw.sum()), length)), axis=-1)


def decode_in_chunks(model: Any, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``model.decode_codes`` over ``[M, L]`` codes, :data:`CHUNK` at a time."""
    parts = [model.decode_codes(codes[start : start + CHUNK]) for start in range(0, len(codes), CHUNK)]
    if not parts:
        return np.zeros((0, 0, 0), dtype=np.uint8), np.zeros((0, 0), dtype=np.int64)
    return (np.concatenate([np.asarray(p[0], dtype=np.uint8) for p in parts]),
            np.concatenate([np.asarray(p[1], dtype=np.int64) for p in parts]))


def canonical_keys(space: SearchSpace, adjacency: np.ndarray, ops: np.ndarray) -> list[Any]:
    """The canonical key of each decoded graph, ``None`` for a non-member (each distinct graph judged once)."""
    adjacency = np.triu(adjacency != 0, k=1).astype(np.uint8)
    _, first, inverse = np.unique(exact_keys(adjacency, ops), return_index=True, return_inverse=True)
    archs = SampleBatch(adjacency[first], ops[first], np.ones(len(first), dtype=bool)).architectures(space)
    keys = [space.canonical_key(a) if space.is_valid(a) else None for a in archs]
    return [keys[i] for i in np.asarray(inverse).reshape(-1).tolist()]


def permutation_test(
    model: Any,
    space: SearchSpace,
    codes: np.ndarray,
    originals: tuple[np.ndarray, np.ndarray],
    permutations: int,
    rng: np.random.Generator,
) -> PermutationOutcome:
    """Decodes ``permutations`` random reorderings of every sequence and compares each with its original.

    Args:
        model: A code model (``decode_codes``).
        space: The space the codes decode into.
        codes: ``[S, L]`` sampled code sequences.
        originals: ``(adjacency [S, N, N], op indices [S, N])``: the architectures the generator
            returned for ``codes``.
        permutations: Permutations per sequence.
        rng: Source of the permutations.
    """
    codes = np.asarray(codes, dtype=np.int64)
    count, length = codes.shape
    adjacency0 = np.triu(np.asarray(originals[0]) != 0, k=1).astype(np.uint8)
    ops0 = np.asarray(originals[1], dtype=np.int64)
    identity_adjacency, identity_ops = decode_in_chunks(model, codes)
    identity_matches = (identity_adjacency == adjacency0).all((1, 2)) & (identity_ops == ops0).all(1)

    orders = random_permutations(count, permutations, length, rng)
    permuted = np.take_along_axis(np.repeat(codes[:, None, :], permutations, axis=1), orders, axis=-1)
    same_sequence = (permuted == codes[:, None, :]).all(-1)
    adjacency, ops = decode_in_chunks(model, permuted.reshape(-1, length))
    n = adjacency.shape[-1]
    adjacency = adjacency.reshape(count, permutations, n, n)
    ops = ops.reshape(count, permutations, n)
    exact = (adjacency == adjacency0[:, None]).all((2, 3)) & (ops == ops0[:, None]).all(2)

    original_keys = canonical_keys(space, adjacency0, ops0)
    permuted_keys = canonical_keys(space, adjacency.reshape(-1, n, n), ops.reshape(-1, n))
    canonical = np.array(
        [key is not None and key == original_keys[i // permutations] for i, key in enumerate(permuted_keys)], dtype=bool
    ).reshape(count, permutations)
    return PermutationOutcome(
        orders, identity_matches, same_sequence, exact, canonical, np.array([k is not None for k in original_keys])
    )


def summarise(outcome: PermutationOutcome) -> dict[str, Any]:
    """Table 6's counts (per sequence) and the per-permutation rates, with and without unchanged sequences."""
    sequences, permutations = outcome.exact.shape
    changed = ~outcome.same_sequence

    def rows(mask: np.ndarray) -> dict[str, Any]:
        return {
            "sequences_with_any": int(mask.any(1).sum()),
            "sequences_with_any_percent": 100.0 * float(mask.any(1).mean()) if sequences else math.nan,
            "permutations": int(mask.sum()),
            "permutations_percent": 100.0 * float(mask.mean()) if mask.size else math.nan,
        }

    return {
        "sequences": sequences,
        "permutations_per_sequence": permutations,
        "identity_decodes_to_original": int(outcome.identity_matches.sum()),
        "originals_valid": int(outcome.original_valid.sum()),
        "unchanged_sequences": rows(outcome.same_sequence),
        "exact": rows(outcome.exact),
        "exact_changed_only": rows(outcome.exact & changed),
        "canonical": rows(outcome.canonical),
        "canonical_changed_only": rows(outcome.canonical & changed),
    }


def analyze(inputs: AnalysisInputs, options: Options, figure: Path) -> dict[str, Any]:
    """Samples ``options.n`` code sequences of one replicate and runs :func:`permutation_test`."""
    seed = inputs.replicate(options.seed)
    model = inputs.code_model(seed, "permutation")
    space = inputs.space
    codes, adjacency, ops, drawn = _sample_sequences(inputs, model, options.n, options.sample_seed)
    outcome = permutation_test(model, space, codes, (adjacency, ops), options.permutations,
                               np.random.default_rng(options.sample_seed))
    result = {
        "analysis": "permutation",
        "space": space.name,
        "generator": inputs.generator_spec["name"],
        "replicate_seed": seed,
        "sample_seed": options.sample_seed,
        "sampling": inputs.sampling,
        "draws": drawn,
        **summarise(outcome),
        "papers": {"arch_vq_nb101_percent": 5.1, "arch_llm_nb101_sequences_with_duplicates": 47},
    }
    write_text(figure, render(result))
    return result


def _sample_sequences(inputs: AnalysisInputs, model: Any, wanted: int, seed: int) -> tuple[np.ndarray, ...]:
    """The first ``wanted`` well-formed sequences of the prior (drawing more while too few are well formed)."""
    codes, adjacency, ops, drawn, have = [], [], [], 0, 0
    length = inputs.space.max_nodes
    n = wanted
    for attempt in range(8):
        batch = inputs.draw(model, n, seed + attempt)
        drawn += n
        found, rows = sampled_codes(batch, length)
        codes.append(found)
        adjacency.append(batch.adjacency[rows])
        ops.append(batch.op_indices[rows])
        have += len(found)
        if have >= wanted:
            break
        # Ask for what is missing at the well-formed rate seen so far (at most 20x the request).
        n = min(20 * wanted, math.ceil((wanted - have) * drawn / max(have, 1) * 1.2))
    return (np.concatenate(codes)[:wanted], np.concatenate(adjacency)[:wanted], np.concatenate(ops)[:wanted], drawn)


def render(result: dict[str, Any]) -> str:
    """Table 6 as Markdown: sequences decoded to the original, unpermuted and permuted."""
    s = result["sequences"]
    identity = result["identity_decodes_to_original"]
    lines = [
        f"# Permutation test: {result['space']} · {result['generator']} (replicate {result['replicate_seed']}, "
        f"sampling {result['sampling']})",
        "",
        f"{s} sampled code sequences, {result['permutations_per_sequence']} random non-identity permutations each "
        "(arch-vq.md Table 6). A sequence counts as 'decoded to original' when at least one of its permutations does.",
        "",
        "| Sequence setting | Decoded to original | Not decoded to original |",
        "|---|---|---|",
        f"| Original ordering | {identity} ({100.0 * identity / s:.1f} %) | {s - identity} ({100.0 * (s - identity) / s:.1f} %) |",
    ]
    for label, key in (("Permuted, exact graph", "exact"), ("Permuted, exact, sequence changed", "exact_changed_only"),
                       ("Permuted, canonical key", "canonical"), ("Permuted, canonical, sequence changed", "canonical_changed_only")):
        hit = result[key]["sequences_with_any"]
        lines.append(f"| {label} | {hit} ({100.0 * hit / s:.1f} %) | {s - hit} ({100.0 * (s - hit) / s:.1f} %) |")
    lines += [
        "",
        "| Per permutation | count | % |",
        "|---|---|---|",
        *(f"| {label} | {result[key]['permutations']} | {result[key]['permutations_percent']:.2f} |"
          for label, key in (("sequence unchanged (only equal codes moved)", "unchanged_sequences"), ("exact", "exact"),
                             ("exact, sequence changed", "exact_changed_only"), ("canonical", "canonical"),
                             ("canonical, sequence changed", "canonical_changed_only"))),
        "",
        "Papers (NB101): Arch-VQ 5.1 % of permuted sequences decoded to the original; Arch-LLM 47 of 1,000.",
        "",
    ]
    return "\n".join(lines)


def headline(result: dict[str, Any]) -> str:
    """The figure the analysis is about: how often a permuted code sequence still decodes to the original."""
    s, exact, canonical = result["sequences"], result["exact"], result["canonical"]
    return (f"permuted sequences decoded to the original: {exact['permutations_percent']:.2f} % of permutations exactly "
            f"({exact['sequences_with_any']} of {s} sequences at least once), {canonical['permutations_percent']:.2f} % "
            f"by canonical key ({canonical['sequences_with_any']} of {s}); Arch-VQ (NB101): 5.1 %")
