"""``check_search_space``: hypothesis properties for the SearchSpace contract."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from archgen.architecture import Architecture
from archgen.data_files import shared_data_path  # re-exported: the test kit offered it first
from archgen.errors import InvalidArchitectureError
from archgen.protocols import ChecksPaperValidity, EquivalentForms, SearchSpace, missing_members
from archgen.testing.space_capabilities import CHECKS, check_capabilities


#: Strings no architecture format should accept; ``from_string`` must raise for each.
NOT_ARCHITECTURES = ("", "   ", "\x00not an architecture\x00", "\u2603 ?! \u2603")

#: Characters of its input a ``from_string`` error may quote (the message is one line, not a paste).
MAX_ECHO = 120

#: Where a 100 KB run of ``filler`` goes in a real native string (``check_huge_input``).
HUGE_INPUT_PLACES = ("append", "prepend", "alone", "truncated", "replace-word", "replace-number")
#: The fillers: letters, digits (a 100,000-digit number) and brackets (100,000 nested lists).
HUGE_INPUT_FILLERS = ("Z", "9", "[")


def check_search_space(
    space: SearchSpace,
    *,
    entry_point_name: str | None = None,
    max_examples: int = 25,
    batch: int = 8,
    enumerate_limit: int = 20_000,
) -> None:
    """Asserts the SearchSpace contract on ``space`` with hypothesis-drawn seeds.

    Checked: the protocol's members exist (the message names the missing ones);
    ``space.name`` equals the entry-point name it is installed under; ``Options``
    is a pydantic model with ``extra="forbid"``; sampling is reproducible and
    yields valid architectures tagged with the space's name, which the space's
    paper-protocol rule (``paper_valid``, where it has one) accepts too (or, for
    a space that declares ``paper_refuses_members``, some of them); the
    native string and the tensor round trips are exact; ``canonical_key`` is
    invariant under the space's ``equivalent_forms`` (when it offers them), agrees
    with ``key`` and does not lump distinct sampled architectures into one value;
    corrupted architectures are rejected with a reason; ``from_string`` rejects
    garbage (what it does accept is valid and round-trips) and a 100 KB input
    (:func:`check_huge_input`) with one short line; ``enumerate`` (for spaces of at most ``enumerate_limit`` members)
    yields ``size()`` distinct keys; and each optional capability the space has
    (:data:`archgen.protocols.SPACE_CAPABILITIES`) keeps its contract
    (:func:`archgen.testing.space_capabilities.check_capabilities`).

    Args:
        space: The space instance under test.
        entry_point_name: The name the space is declared under in ``archgen.spaces``
            (checked against ``space.name``; architectures carry the name, so the two
            must agree for a saved run to find its space again).
        max_examples: Hypothesis examples per property.
        batch: Architectures sampled per example.
        enumerate_limit: Largest ``size()`` for which ``enumerate`` is exhausted.

    Raises:
        AssertionError: Naming the property and the offending architecture.
    """
    missing = missing_members(space, SearchSpace)
    assert not missing, f"{space!r} lacks members of the SearchSpace protocol: {', '.join(missing)}"
    if entry_point_name is not None:
        assert space.name == entry_point_name, (
            f"entry point {entry_point_name!r} builds a space named {space.name!r}; "
            "set the class's name to the entry-point name"
        )
    options = getattr(type(space), "Options", None)
    assert isinstance(options, type) and issubclass(options, BaseModel), (
        f"{type(space).__name__}.Options must be a pydantic BaseModel class, got {options!r}"
    )
    assert options.model_config.get("extra") == "forbid", f"{type(space).__name__}.Options must set extra='forbid'"
    size = space.size()
    assert isinstance(size, int) and size > 0, f"size() must be a positive int, got {size!r}"
    _check_properties(space, batch, max_examples)
    _check_canonical_key_separates(space, batch)
    for text in NOT_ARCHITECTURES:
        _check_rejected(space, text)
    _check_short_echo(space)
    if size <= enumerate_limit:
        _check_enumerate(space, size)
    check_capabilities(space, space.sample(min(batch, 3), seed=0))


def _check_properties(space: SearchSpace, batch: int, max_examples: int) -> None:
    """The hypothesis properties: sampling and round trips, equivalent forms, rejection of bad inputs."""
    common = settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

    @common
    @given(seed=st.integers(0, 2**31 - 1))
    def sampled_architectures_are_valid_and_round_trip(seed: int) -> None:
        _check_sampled(space, batch, seed)

    @common
    @given(seed=st.integers(0, 2**31 - 1))
    def canonical_key_is_invariant_under_equivalent_forms(seed: int) -> None:
        _check_equivalent_forms(space, batch, seed)

    @common
    @given(seed=st.integers(0, 2**31 - 1), garbage=st.text(string.printable, max_size=40))
    def invalid_inputs_are_rejected_with_a_reason(seed: int, garbage: str) -> None:
        _check_invalid_inputs(space, seed, garbage)

    sampled_architectures_are_valid_and_round_trip()
    canonical_key_is_invariant_under_equivalent_forms()
    invalid_inputs_are_rejected_with_a_reason()


def _check_sampled(space: SearchSpace, batch: int, seed: int) -> None:
    """Sampling is reproducible and valid; string, JSON and tensor round trips are exact."""
    archs = space.sample(batch, seed=seed)
    assert len(archs) == batch
    assert archs == space.sample(batch, seed=seed), "sample() is not reproducible for a fixed seed"
    for arch in archs:
        assert arch.space == space.name, f"{arch} is not tagged {space.name!r}"
        assert space.why_invalid(arch) is None, f"sampled {arch} is invalid: {space.why_invalid(arch)}"
        assert space.is_valid(arch)
        text = space.to_string(arch)
        assert space.from_string(text) == arch, f"string round trip changed {text!r}"
        assert space.to_string(space.from_string(text)) == text
        assert space.key(Architecture.from_json(arch.to_json())) == space.key(arch)
    adjacency, ops = space.to_tensors(archs)
    n, k = space.max_nodes, len(space.op_vocabulary)
    assert tuple(adjacency.shape) == (batch, n, n), f"adjacency shape {tuple(adjacency.shape)}"
    assert tuple(ops.shape) == (batch, n, k), f"ops shape {tuple(ops.shape)}"
    assert torch.all(torch.triu(adjacency, 1) == adjacency), "adjacency tensor is not strictly upper triangular"
    assert space.from_tensors(adjacency, ops) == archs, "tensor round trip is not exact"
    assert space.from_tensors(adjacency.numpy(), ops.argmax(-1).numpy()) == archs
    if isinstance(space, ChecksPaperValidity) and getattr(space, "paper_refuses_members", None) is None:
        CHECKS[ChecksPaperValidity](space, archs)


def _check_equivalent_forms(space: SearchSpace, batch: int, seed: int) -> None:
    """``canonical_key`` is stable, and the same for every equivalent form (where the space has them)."""
    rng = random.Random(seed)
    for arch in space.sample(batch, seed=seed):
        assert space.canonical_key(arch) == space.canonical_key(arch)
        if not isinstance(space, EquivalentForms):
            continue
        for other in space.equivalent_forms(arch, rng):
            assert space.is_valid(other), f"equivalent form {other} of {arch} is invalid"
            assert space.canonical_key(other) == space.canonical_key(arch), (
                f"canonical_key differs between {arch} and its equivalent form {other}"
            )


def _check_invalid_inputs(space: SearchSpace, seed: int, garbage: str) -> None:
    """Unknown ops, foreign spaces and garbage strings are refused with a reason."""
    rng = np.random.default_rng(seed)
    arch = space.sample(1, seed=seed)[0]
    ops = list(arch.ops)
    ops[int(rng.integers(len(ops)))] = "no_such_op"
    corrupted = Architecture(space.name, arch.adjacency, tuple(ops))
    reason = space.why_invalid(corrupted)
    assert not space.is_valid(corrupted) and isinstance(reason, str) and reason, (
        f"an unknown op was accepted: {corrupted}"
    )
    foreign = Architecture(space.name + "_other", arch.adjacency, arch.ops)
    assert not space.is_valid(foreign), "an architecture of another space was accepted"
    # A random edge flip may or may not stay valid; both answers must agree.
    adjacency = arch.adjacency_array()
    if arch.num_nodes > 1:
        i = int(rng.integers(arch.num_nodes - 1))
        j = int(rng.integers(i + 1, arch.num_nodes))
        adjacency[i, j] ^= 1
        flipped = Architecture.from_arrays(space.name, adjacency, arch.ops)
        assert space.is_valid(flipped) == (space.why_invalid(flipped) is None)
    _check_parse(space, garbage)
    # A parser that falls back to a default architecture accepts anything glued to a real string.
    _check_rejected(space, space.to_string(arch) + "\x00" + garbage)


def _check_enumerate(space: SearchSpace, size: int) -> None:
    """``enumerate`` (where the space offers it) yields ``size()`` distinct valid members."""
    try:
        members = list(space.enumerate())
    except NotImplementedError:
        return
    assert len(members) == size, f"enumerate() yielded {len(members)}, size() says {size}"
    assert len({space.key(a) for a in members}) == size, "enumerate() repeats an architecture"
    assert all(space.is_valid(a) for a in members[:: max(1, size // 500)])


def check_installed_space(name: str, *, max_examples: int = 10) -> None:
    """Loads the installed ``archgen.spaces`` entry point ``name`` and checks its contract.

    archgen's own suite runs this over every installed space, third-party ones included;
    a failure is reported as that plugin's, so a broken ``archgen-foo`` is not mistaken
    for a bug in archgen.

    Args:
        name: The entry-point name.
        max_examples: Hypothesis examples per property.

    Raises:
        AssertionError: ``plugin '<name>' from distribution '<dist>' (<target>): <what failed>``.
    """
    from archgen.registry import installed, load

    infos = [info for info in installed("space") if info.name == name]
    assert infos, f"no installed archgen.spaces entry point is named {name!r}"
    distributions = ", ".join(sorted({f"{i.distribution} {i.version}" for i in infos}))
    owner = f"plugin {name!r} from distribution {infos[0].distribution!r} ({infos[0].target}; {distributions})"
    try:
        check_search_space(load("space", name), entry_point_name=name, max_examples=max_examples)
    except AssertionError as error:
        raise AssertionError(f"{owner}: {error}") from error
    except Exception as error:  # noqa: BLE001 - any crash of a plugin is that plugin's failure
        raise AssertionError(f"{owner}: {type(error).__name__}: {error}") from error


def _check_parse(space: SearchSpace, text: str) -> None:
    """``from_string(text)`` raises with a message, or returns a valid architecture that round-trips."""
    try:
        parsed = space.from_string(text)
    except InvalidArchitectureError as error:
        assert str(error), "InvalidArchitectureError without a message"
        return
    assert space.is_valid(parsed), f"from_string({text!r}) returned an invalid architecture"
    assert space.from_string(space.to_string(parsed)) == parsed, f"from_string({text!r}) does not round-trip"


def _check_rejected(space: SearchSpace, text: str) -> None:
    try:
        parsed = space.from_string(text)
    except InvalidArchitectureError as error:
        assert str(error), "InvalidArchitectureError without a message"
    else:
        raise AssertionError(f"from_string accepted garbage {text[:80]!r} as {parsed}")


def _check_canonical_key_separates(space: SearchSpace, batch: int) -> None:
    """``canonical_key`` is a coarsening of ``key`` that still tells sampled architectures apart.

    Equivalent forms share a canonical key, but a constant (or nearly constant) one
    would make every novelty and uniqueness metric meaningless.
    """
    archs = [arch for seed in range(4) for arch in space.sample(batch, seed=seed)]
    by_key: dict[Hashable, Hashable] = {}
    for arch in archs:
        canonical = space.canonical_key(arch)
        hash(canonical)
        previous = by_key.setdefault(space.key(arch), canonical)
        assert previous == canonical, f"canonical_key differs for two architectures with the same key: {arch}"
    canonical_values = set(by_key.values())
    if len(by_key) >= 4:
        assert len(canonical_values) > 1, (
            f"canonical_key maps {len(by_key)} distinct sampled architectures to the one value "
            f"{next(iter(canonical_values))!r}; it must tell non-equivalent architectures apart"
        )


def _check_short_echo(space: SearchSpace) -> None:
    """A huge bad input is not quoted back whole: the error stays one readable line."""
    for place in HUGE_INPUT_PLACES:
        for filler in HUGE_INPUT_FILLERS:
            check_huge_input(space, place, filler)


def check_huge_input(space: SearchSpace, place: str, filler: str) -> None:
    """``from_string`` of a real string with 100 KB of ``filler`` at ``place`` fails in one short line.

    Issue 8: a space echoed a 100 KB input into its error; JSON forms raised a bare
    ``ValueError`` on a 100,000-digit number and a ``MemoryError`` on 100,000 brackets.

    Args:
        space: The space under test.
        place: One of :data:`HUGE_INPUT_PLACES` (``truncated`` follows the first half of a
            sampled string; ``replace-word`` / ``replace-number`` replace its first run of
            letters / digits).
        filler: One of :data:`HUGE_INPUT_FILLERS`.

    Raises:
        AssertionError: If the error quotes the input, is not one short line, or is not an
            ``InvalidArchitectureError``; or if the text is accepted as something other than a
            member (digits may round to an allowed number).
    """
    real = space.to_string(space.sample(1, seed=1)[0])
    huge = filler * 100_000
    token = re.search(r"[A-Za-z_]+" if place == "replace-word" else r"\d+", real)
    spliced = real[: token.start()] + huge + real[token.end() :] if token else huge
    text = {"append": real + huge, "prepend": huge + real, "alone": huge, "truncated": real[: len(real) // 2] + huge}.get(
        place, spliced
    )
    try:
        parsed = space.from_string(text)
    except InvalidArchitectureError as error:
        message = str(error)
        assert filler * MAX_ECHO not in message and len(message) < 600, (
            f"from_string's error quotes {len(message)} characters of a 100 KB input ({place}, {filler!r}); "
            f"clip what it echoes (archgen.errors.clipped): {message[:200]!r}..."
        )
    except Exception as error:  # noqa: BLE001 - the wrong exception type is the finding
        raise AssertionError(
            f"from_string on a 100 KB input ({place}, {filler!r}) raised {type(error).__name__}, "
            "not InvalidArchitectureError"
        ) from None
    else:
        assert filler == "9" and space.is_valid(parsed), (
            f"from_string accepted a 100 KB garbage string ({place}, {filler!r}) starting {text[:60]!r}"
        )


def require_shared_data(folder: str, *parts: str) -> Path:
    """The path of third-party data for a test, or a pytest skip saying where it comes from.

    Args:
        folder: The data folder under ``../shared/data`` (it holds a PROVENANCE.md).
        *parts: Path components below it.
    """
    import pytest

    path = shared_data_path(folder, *parts)
    if path is None:
        name = "/".join((folder, *parts))
        pytest.skip(f"{name} not found; see ../shared/data/{folder}/PROVENANCE.md")
    return path
