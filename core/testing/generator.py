"""``check_generator``: the Generator contract, exercised end to end on a tiny training set."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from archgen.architecture import Architecture
from archgen.errors import CheckpointError
from archgen.generation import SampleBatch
from archgen.plugin_outputs import as_assertion, check_sample_batch, check_statistics
from archgen.protocols import CodeModel, Generator, Reconstructs, SearchSpace, missing_members
from archgen.runtime import Runtime
from archgen.testing.sampling_options import check_unknown_option_refused


def check_generator(
    generator_factory: Callable[[], Any],
    space: SearchSpace,
    train: Sequence[Architecture],
    *,
    validation: Sequence[Architecture] = (),
    n: int = 64,
    sampling: dict[str, Any] | None = None,
    stochastic: bool = True,
    runtime: Runtime | None = None,
) -> dict[str, Any]:
    """Asserts the Generator contract on generators made by ``generator_factory``.

    Checked: the protocol's members and the ``Options``/``SamplingOptions``
    pydantic models (``extra="forbid"``); ``fit`` returns JSON-serialisable
    statistics and calls its epoch callbacks as ``(str, int, dict)``;
    ``sample(space, n, seed=...)`` returns a :class:`SampleBatch` of ``n``
    decoded graphs (``[n, N, N]`` 0/1 strict upper triangles, ``[n, N]`` op
    indices in the vocabulary, a bool ``well_formed`` mask with at least one
    True, the seed and valid sampling options recorded), reproducible for a
    seed and, when ``stochastic``, different across seeds; an unknown sampling
    option is a :class:`ConfigError` naming it; ``save`` then ``load`` into a
    fresh instance gives identical samples for the same seed; loading a
    missing, garbage or truncated checkpoint raises :class:`CheckpointError`;
    and, when the generator claims them, the capabilities
    :class:`~archgen.protocols.Reconstructs` (shapes, and an accuracy that
    agrees with its own round trip) and :class:`~archgen.protocols.CodeModel`
    (``decode_codes(encode(x))`` equals ``reconstruct(x)``).

    Args:
        generator_factory: Builds a fresh, untrained generator (called twice:
            the second instance receives the checkpoint), e.g.
            ``lambda: archgen.load("generator", "mine", **MyGenerator.TEST_OPTIONS)``.
        space: The space to train on.
        train: A small training set (a few hundred architectures at most).
        validation: Passed to ``fit``.
        n: Samples per draw.
        sampling: Sampling options for every draw (default: the generator's defaults).
        stochastic: Whether two seeds must give different batches (False for a
            deterministic generator).
        runtime: Passed to ``fit`` and ``load`` (default: CPU, one thread).

    Returns:
        The statistics ``fit`` returned.

    Raises:
        AssertionError: Naming the broken part of the contract.
    """
    sampling = dict(sampling or {})
    generator = generator_factory()
    name = type(generator).__name__
    missing = missing_members(generator, Generator)
    assert not missing, f"{name} lacks members of the Generator protocol: {', '.join(missing)}"
    _check_options_model(name, "Options", getattr(type(generator), "Options", None))
    _check_options_model(name, "SamplingOptions", getattr(generator, "SamplingOptions", None))

    stats = _check_fit(name, generator, space, train, validation, runtime)
    first = _check_draws(name, generator, space, n, sampling, stochastic)
    check_unknown_option_refused(name, lambda **knobs: generator.sample(space, 2, seed=0, **knobs), sampling)
    _check_checkpoints(name, generator, generator_factory, space, n, sampling, first, runtime)
    _check_capabilities(name, generator, space, list(train[:16]))
    return stats


def _check_fit(
    name: str, generator: Any, space: SearchSpace, train: Sequence[Architecture],
    validation: Sequence[Architecture], runtime: Runtime | None,
) -> dict[str, Any]:
    """Fits once; asserts JSON-ready statistics and well-typed epoch callbacks; returns the statistics."""
    calls: list[tuple[Any, ...]] = []
    fitted = generator.fit(
        space, list(train), validation=list(validation), runtime=runtime, seed=0, callbacks=[lambda *a: calls.append(a)]
    )
    with as_assertion():
        stats = check_statistics(fitted, plugin=f"{name}.fit()")
    for call in calls:
        assert len(call) == 3 and isinstance(call[0], str) and isinstance(call[1], int) and isinstance(call[2], dict), (
            f"{name}.fit() called an epoch callback with {call!r}; expected (stage: str, epoch: int, logs: dict)"
        )

    return stats


def _check_draws(
    name: str, generator: Any, space: SearchSpace, n: int, sampling: dict[str, Any], stochastic: bool
) -> SampleBatch:
    """Draws seeds 0, 0 and 1; asserts batch shapes, reproducibility and (when stochastic) variety; returns seed 0's."""
    first = _draw(generator, space, n, 0, sampling)
    _check_batch(name, space, first, n, 0)
    again = _draw(generator, space, n, 0, sampling)
    assert _same(first, again), f"{name}.sample() is not reproducible: seed 0 gave two different batches"
    other = _draw(generator, space, n, 1, sampling)
    _check_batch(name, space, other, n, 1)
    if stochastic:
        assert not _same(first, other), (
            f"{name}.sample() gave the same batch for seeds 0 and 1 (pass stochastic=False for a deterministic generator)"
        )
    assert first.well_formed.any() or other.well_formed.any(), (
        f"{name}.sample() drew no well-formed graph in {2 * n} draws, so nothing decoded could be checked; "
        "train more in its test options"
    )
    return first


def _check_options_model(owner: str, attribute: str, model: Any) -> None:
    assert isinstance(model, type) and issubclass(model, BaseModel), (
        f"{owner}.{attribute} must be a pydantic BaseModel class, got {model!r}"
    )
    assert model.model_config.get("extra") == "forbid", (
        f"{owner}.{attribute} must set model_config = ConfigDict(extra='forbid') so a misspelt key is an error"
    )


def _draw(generator: Any, space: SearchSpace, n: int, seed: int, sampling: dict[str, Any]) -> SampleBatch:
    """One draw, checked by :func:`archgen.plugin_outputs.check_sample_batch` as the pipeline checks it."""
    batch = generator.sample(space, n, seed=seed, **sampling)
    with as_assertion():
        return check_sample_batch(
            batch, space, n=n, seed=seed, plugin=f"{type(generator).__name__}.sample(n={n}, seed={seed})",
            sampling_model=getattr(generator, "SamplingOptions", None),
        )


def _check_batch(name: str, space: SearchSpace, batch: SampleBatch, n: int, seed: int) -> None:
    """Beyond the pipeline's checks (done by :func:`_draw`): the space decodes exactly the well-formed rows."""
    where = f"{name}.sample(n={n}, seed={seed})"
    archs = batch.architectures(space)
    assert [a is not None for a in archs] == batch.well_formed.tolist(), (
        f"{where}: SampleBatch.architectures() must give an architecture exactly where well_formed is True"
    )


def _same(a: SampleBatch, b: SampleBatch) -> bool:
    return (
        np.array_equal(a.adjacency, b.adjacency)
        and np.array_equal(a.op_indices, b.op_indices)
        and np.array_equal(a.well_formed, b.well_formed)
        and a.tokens == b.tokens
    )


def _check_checkpoints(
    name: str,
    generator: Any,
    factory: Callable[[], Any],
    space: SearchSpace,
    n: int,
    sampling: dict[str, Any],
    reference: SampleBatch,
    runtime: Runtime | None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="archgen-check-generator-") as scratch:
        root = Path(scratch)
        saved = root / "saved"
        saved.mkdir()
        paths = [Path(p) for p in generator.save(saved)]
        assert paths, f"{name}.save() wrote no files (it must return the paths it wrote)"
        for path in paths:
            assert path.is_file() and path.resolve().is_relative_to(saved.resolve()), (
                f"{name}.save() returned {path}, which is not a file inside the directory it was given"
            )
        fresh = factory()
        restored = fresh.load(saved, space, runtime)
        assert restored is fresh, f"{name}.load() must return self"
        assert _same(_draw(restored, space, n, 0, sampling), reference), (
            f"{name}: a fresh instance loaded from save() samples differently for the same seed"
        )

        _expect_checkpoint_error(name, factory, root / "does-not-exist", space, runtime, "a missing directory")
        (root / "empty").mkdir()
        _expect_checkpoint_error(name, factory, root / "empty", space, runtime, "an empty directory")
        for path in paths:
            relative = path.resolve().relative_to(saved.resolve())
            content = path.read_bytes()
            for damage, replacement in (("garbage", b"\x00not a checkpoint\xff" * 4), ("truncated", content[: len(content) // 2])):
                broken = root / f"{damage}-{relative.as_posix().replace('/', '_')}"
                shutil.copytree(saved, broken)
                (broken / relative).write_bytes(replacement)
                _expect_checkpoint_error(name, factory, broken, space, runtime, f"a {damage} {relative}")
            missing = root / f"missing-{relative.as_posix().replace('/', '_')}"
            shutil.copytree(saved, missing)
            (missing / relative).unlink()
            _expect_checkpoint_error(name, factory, missing, space, runtime, f"a checkpoint without {relative}")


def _expect_checkpoint_error(
    name: str, factory: Callable[[], Any], directory: Path, space: SearchSpace, runtime: Runtime | None, what: str
) -> None:
    try:
        factory().load(directory, space, runtime)
    except CheckpointError as error:
        assert str(error), f"{name}.load() raised a CheckpointError without a message for {what}"
    except Exception as error:  # noqa: BLE001 - the wrong exception type is the finding
        raise AssertionError(
            f"{name}.load() raised {type(error).__name__} for {what}; expected archgen.CheckpointError: {error}"
        ) from None
    else:
        raise AssertionError(f"{name}.load() accepted {what}; expected archgen.CheckpointError")


def _check_capabilities(name: str, generator: Any, space: SearchSpace, archs: list[Architecture]) -> None:
    m, b = space.max_nodes, len(archs)
    reconstructed = None
    if isinstance(generator, Reconstructs):
        adjacency, ops = generator.reconstruct(space, archs)
        assert adjacency.shape == (b, m, m) and ops.shape == (b, m), (
            f"{name}.reconstruct() shapes {adjacency.shape} and {ops.shape}; expected {(b, m, m)} and {(b, m)}"
        )
        reconstructed = (np.asarray(adjacency), np.asarray(ops))
        accuracy = generator.reconstruction_accuracy(space, archs)
        assert 0.0 <= accuracy <= 100.0, f"{name}.reconstruction_accuracy() = {accuracy} is not a percentage"
        target_adjacency, target_ops = space.to_tensors(archs)
        target_ops = target_ops.numpy()
        if target_ops.any(-1).all():  # zero-padded spaces leave the ops of padding rows to each model's convention
            same = (reconstructed[0] == target_adjacency.numpy().astype(np.uint8)).all((1, 2)) & (
                reconstructed[1] == target_ops.argmax(-1)
            ).all(1)
            assert abs(accuracy - 100.0 * same.mean()) < 1e-6, (
                f"{name}.reconstruction_accuracy() = {accuracy} but its own reconstruct() round-trips {100.0 * same.mean()} %"
            )
    if isinstance(generator, CodeModel):
        codes = np.asarray(generator.encode(space, archs))
        assert codes.ndim == 2 and codes.shape[0] == b and np.issubdtype(codes.dtype, np.integer), (
            f"{name}.encode() must return [B, L] integer codes, got {codes.dtype} {codes.shape}"
        )
        adjacency, ops = (np.asarray(x) for x in generator.decode_codes(codes))
        assert adjacency.shape == (b, m, m) and ops.shape == (b, m), (
            f"{name}.decode_codes() shapes {adjacency.shape} and {ops.shape}; expected {(b, m, m)} and {(b, m)}"
        )
        if reconstructed is not None:
            assert np.array_equal(adjacency, reconstructed[0]) and np.array_equal(ops, reconstructed[1]), (
                f"{name}: decode_codes(encode(x)) disagrees with reconstruct(x)"
            )
