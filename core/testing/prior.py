"""``check_prior``: the Prior contract on tiny code sequences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel

from archgen.protocols import Prior, missing_members
from archgen.testing.sampling_options import check_unknown_option_refused

#: The sampling option no prior declares; every prior must refuse it by name.


def tiny_code_sequences(vocab_size: int, seq_len: int, count: int = 64, seed: int = 0) -> torch.Tensor:
    """``[count, seq_len]`` code sequences with structure a prior can pick up in a few epochs.

    Each row repeats one of four random motifs, so the data are neither
    uniform nor a single sequence.
    """
    rng = np.random.default_rng(seed)
    motifs = rng.integers(0, vocab_size, size=(4, seq_len))
    return torch.from_numpy(motifs[rng.integers(0, 4, size=count)]).long()


def check_prior(
    prior_factory: Callable[[], Any],
    sequences: torch.Tensor,
    *,
    vocab_size: int,
    n: int = 64,
    training: dict[str, Any] | None = None,
    sampling: dict[str, Any] | None = None,
    stochastic: bool = True,
) -> dict[str, Any]:
    """Asserts the Prior contract on priors made by ``prior_factory``.

    Checked: the protocol's members and the ``Options``/``SamplingOptions``
    pydantic models (``extra="forbid"``; ``SamplingOptions`` where declared);
    ``fit`` returns JSON-serialisable statistics; ``sample(n, seed=...)``
    returns ``(codes [n, L] integers, well_formed [n] bool)`` with every code
    of a well-formed row in ``0..vocab_size-1`` and at least one well-formed
    row; draws are reproducible for a seed and, when ``stochastic``, differ
    across seeds; an unknown sampling option is a :class:`ConfigError` naming
    it; and a prior that is a ``torch.nn.Module`` (as Arch-VQ saves priors)
    samples identically after its ``state_dict`` is loaded into a fresh one.

    Args:
        prior_factory: Builds a fresh, untrained prior sized for ``vocab_size``
            and ``sequences.shape[1]``, e.g. ``lambda: archgen.load("prior",
            "mine", vocab_size=8, seq_len=4, **MyPrior.TEST_OPTIONS)``.
        sequences: ``[M, L]`` training codes (see :func:`tiny_code_sequences`).
        vocab_size: Number of codes.
        n: Sequences per draw.
        training: Keyword arguments of ``fit`` (default ``epochs=2, seed=0``:
            Arch-VQ passes those two).
        sampling: Sampling options for every draw (default: the prior's defaults).
        stochastic: Whether two seeds must give different draws.

    Returns:
        The statistics ``fit`` returned.

    Raises:
        AssertionError: Naming the broken part of the contract.
    """
    training = {"epochs": 2, "seed": 0, **(training or {})}
    sampling = dict(sampling or {})
    prior = prior_factory()
    name = type(prior).__name__
    missing = missing_members(prior, Prior)
    assert not missing, f"{name} lacks members of the Prior protocol: {', '.join(missing)}"
    _check_option_models(name, prior)

    stats = prior.fit(sequences, **training)
    assert isinstance(stats, dict), f"{name}.fit() must return a dict of statistics, got {type(stats).__name__}"
    try:
        json.dumps(stats)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{name}.fit() returned statistics that are not JSON-serialisable: {error}") from None

    seq_len = int(sequences.shape[1])
    first = _draw(name, prior, n, 0, sampling, vocab_size, seq_len)
    again = _draw(name, prior, n, 0, sampling, vocab_size, seq_len)
    assert _same(first, again), f"{name}.sample() is not reproducible: seed 0 gave two different draws"
    other = _draw(name, prior, n, 1, sampling, vocab_size, seq_len)
    if stochastic:
        assert not _same(first, other), f"{name}.sample() gave the same draws for seeds 0 and 1"
    assert first[1].any() or other[1].any(), (
        f"{name}.sample() drew no well-formed sequence in {2 * n} draws after fit(); train more in its test options"
    )

    check_unknown_option_refused(name, lambda **knobs: prior.sample(2, seed=0, **knobs), sampling)

    if isinstance(prior, torch.nn.Module):
        fresh = prior_factory()
        fresh.load_state_dict(prior.state_dict())
        assert _same(_draw(name, fresh, n, 0, sampling, vocab_size, seq_len), first), (
            f"{name}: a fresh prior given the trained state_dict samples differently for the same seed"
        )
    return stats


def _check_option_models(name: str, prior: Any) -> None:
    """Asserts ``Options`` (required) and ``SamplingOptions`` (optional) are pydantic models that forbid extras."""
    for attribute, required in (("Options", True), ("SamplingOptions", False)):
        model = getattr(prior, attribute, None)
        if model is None and not required:
            continue
        assert isinstance(model, type) and issubclass(model, BaseModel), (
            f"{name}.{attribute} must be a pydantic BaseModel class, got {model!r}"
        )
        assert model.model_config.get("extra") == "forbid", f"{name}.{attribute} must set extra='forbid'"


def _draw(
    name: str, prior: Any, n: int, seed: int, sampling: dict[str, Any], vocab_size: int, seq_len: int
) -> tuple[np.ndarray, np.ndarray]:
    where = f"{name}.sample(n={n}, seed={seed})"
    result = prior.sample(n, seed=seed, **sampling)
    assert isinstance(result, tuple) and len(result) == 2, f"{where} must return (codes, well_formed)"
    codes, well_formed = (np.asarray(x.cpu() if isinstance(x, torch.Tensor) else x) for x in result)
    assert codes.shape == (n, seq_len), f"{where}: codes shape {codes.shape}, expected {(n, seq_len)}"
    assert np.issubdtype(codes.dtype, np.integer), f"{where}: codes must be integers, got {codes.dtype}"
    assert well_formed.shape == (n,) and well_formed.dtype == np.bool_, (
        f"{where}: well_formed must be a bool array of shape {(n,)}, got {well_formed.dtype} {well_formed.shape}"
    )
    kept = codes[well_formed]
    assert ((kept >= 0) & (kept < vocab_size)).all(), (
        f"{where}: a well-formed sequence holds codes outside 0..{vocab_size - 1}: "
        f"{sorted(set(kept[(kept < 0) | (kept >= vocab_size)].tolist()))}"
    )
    return codes, well_formed


def _same(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
