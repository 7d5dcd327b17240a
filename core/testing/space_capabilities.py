"""``check_capabilities``: each optional capability a search space has keeps its documented contract.

The capabilities are the protocols of :data:`archgen.protocols.SPACE_CAPABILITIES`;
a space is checked for exactly those it has (``isinstance``), so a space without
one is not asked for it. A capability that needs data the space was not given
may raise :class:`archgen.errors.DataFileError` instead of answering.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import numpy as np
import torch

from archgen.architecture import Architecture
from archgen.errors import ConfigError, DataFileError
from archgen.protocols import (
    ArrayForm,
    Benchmarked,
    BuildsModel,
    ChecksPaperValidity,
    CountsMacs,
    CountsParams,
    EquivalentForms,
    ListsLabelled,
    Mutates,
    OffersOracles,
    Prunes,
    PublishesResults,
    SearchSpace,
    TabulatesOracles,
)
from archgen.published import PublishedResults
from archgen.space_base import GraphSpaceBase

#: An oracle metric no space offers.
NO_SUCH_METRIC = "\x00no such metric\x00"
#: Members drawn to see that a paper rule that refuses some by design still accepts some.
PAPER_SAMPLE = 32


def check_capabilities(space: SearchSpace, archs: Sequence[Architecture]) -> list[str]:
    """Checks every capability ``space`` has on the sampled ``archs``.

    Args:
        space: The space under test.
        archs: A few valid architectures of the space.

    Returns:
        The names of the capabilities checked.

    Raises:
        AssertionError: Naming the capability and what broke its contract.
    """
    checked = []
    for protocol, check in CHECKS.items():
        if isinstance(space, protocol):
            check(space, archs)
            checked.append(protocol.__name__)
    return checked


def _mutates(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    for index, arch in enumerate(archs):
        child = space.mutate(arch, random.Random(index))  # type: ignore[attr-defined]
        assert isinstance(child, Architecture) and child.space == space.name, f"mutate({arch}) gave {child!r}"
        assert space.why_invalid(child) is None, f"mutate({arch}) gave an invalid {child}: {space.why_invalid(child)}"
        assert space.canonical_key(child) != space.canonical_key(arch), f"mutate({arch}) gave the parent back"


def _equivalent_forms(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    # Their validity and canonical keys are checked by check_search_space's hypothesis property.
    forms = space.equivalent_forms(archs[0], random.Random(0))  # type: ignore[attr-defined]
    assert all(isinstance(form, Architecture) for form in forms), f"equivalent_forms gave {forms!r}"


def _paper_valid(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    rule = paper_rule(space)
    answers = [space.paper_valid(arch) for arch in archs]  # type: ignore[attr-defined]
    for answer in answers:
        assert isinstance(answer, (bool, np.bool_)), f"paper_valid gave {answer!r}, not a bool ({rule})"
    # A rule that refuses the space's own samples scores every generator, the uniform baseline
    # included, near 0 % paper validity: a silently wrong figure, not a stricter one.
    why = getattr(space, "paper_refuses_members", None)
    if why is None:
        for arch, answer in zip(archs, answers):
            assert answer, (
                f"paper_valid refuses {arch}, a member drawn by the space's own sample(); the paper rule is {rule}, "
                "and it must accept every member (override paper_valid, or leave paper_ops_check off to use is_valid)"
            )
        return
    drawn = space.sample(PAPER_SAMPLE, seed=0)
    assert any(space.paper_valid(arch) for arch in drawn), (  # type: ignore[attr-defined]
        f"paper_valid refuses all {PAPER_SAMPLE} members of sample({PAPER_SAMPLE}, seed=0); the paper rule is {rule} "
        f"(it refuses some members by design: {why}), and it must accept some"
    )


def paper_rule(space: SearchSpace) -> str:
    """Names the paper-protocol validity rule ``space`` applies, for the kit's messages.

    Args:
        space: A space with ``paper_valid``.

    Returns:
        ``"GraphSpaceBase's arch2vec-style ops check (paper_ops_check = True: ...)"``,
        ``"is_valid (GraphSpaceBase's default)"`` or ``"<Class>.paper_valid"``.
    """
    method = getattr(type(space), "paper_valid", None)
    if method is not None and method is getattr(GraphSpaceBase, "paper_valid"):
        if getattr(space, "paper_ops_check", False):
            return (
                f"GraphSpaceBase's arch2vec-style ops check (paper_ops_check = True: first node "
                f"{space.input_op!r}, last node {space.output_op!r}, every other node a space op)"  # type: ignore[attr-defined]
            )
        return "is_valid (GraphSpaceBase's default)"
    owner = next((cls for cls in type(space).__mro__ if "paper_valid" in vars(cls)), type(space))
    return f"{owner.__qualname__}.paper_valid"


def _prunes(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    for arch in archs:
        pruned = space.prune(arch)  # type: ignore[attr-defined]
        assert space.why_invalid(pruned) is None, f"prune({arch}) is invalid: {space.why_invalid(pruned)}"
        assert space.canonical_key(pruned) == space.canonical_key(arch), f"prune({arch}) changed the architecture"
        assert space.prune(pruned) == pruned, f"prune is not idempotent on {arch}"  # type: ignore[attr-defined]


def _array_form(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    adjacency, ops = space.to_arrays(archs)  # type: ignore[attr-defined]
    n = space.max_nodes
    assert adjacency.shape == (len(archs), n, n) and ops.shape == (len(archs), n), (
        f"to_arrays shapes {adjacency.shape} and {ops.shape}, expected ({len(archs)}, {n}, {n}) and ({len(archs)}, {n})"
    )
    tensor_adjacency, tensor_ops = space.to_tensors(archs)
    assert np.array_equal(adjacency, tensor_adjacency.numpy()), "to_arrays and to_tensors disagree on the adjacency"
    one_hot = tensor_ops.numpy()
    expected = np.where(one_hot.any(-1), one_hot.argmax(-1), -1)
    assert np.array_equal(ops, expected), "to_arrays and to_tensors disagree on the op indices"


def _benchmarked(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    try:
        table = space.benchmark()  # type: ignore[attr-defined]
    except DataFileError as error:
        assert str(error), "DataFileError without a message"
        return
    assert hasattr(table, "keys") and hasattr(table, "metrics"), f"benchmark() gave {table!r}, not a table"


def _offers_oracles(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    try:
        metrics = space.oracle_metrics()  # type: ignore[attr-defined]
    except DataFileError as error:
        assert str(error), "DataFileError without a message"
        return
    assert metrics and all(isinstance(k, str) and isinstance(v, str) and v for k, v in metrics.items()), (
        f"oracle_metrics() must be a non-empty {{name: unit}} with non-empty units, got {metrics!r}"
    )
    first = next(iter(metrics))
    assert space.oracle().metric == first, "oracle() is not the oracle of the first of oracle_metrics()"  # type: ignore[attr-defined]
    try:
        space.oracle(NO_SUCH_METRIC)  # type: ignore[attr-defined]
    except ConfigError:
        pass
    else:
        raise AssertionError("oracle() accepted an unknown metric; raise ConfigError listing the accepted ones")
    for metric, unit in metrics.items():
        oracle = space.oracle(metric)  # type: ignore[attr-defined]
        named = (getattr(oracle, "metric", None), getattr(oracle, "unit", None))
        assert named == (metric, unit), (
            f"oracle({metric!r}) has (metric, unit) {named!r}; oracle_metrics() says {(metric, unit)!r}"
        )


def _tabulates_oracles(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    try:
        tables = space.oracle_tables()  # type: ignore[attr-defined]
    except DataFileError:
        return
    assert isinstance(tables, list) and all(hasattr(t, "keys") for t in tables), f"oracle_tables() gave {tables!r}"


def _lists_labelled(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    try:
        labelled = space.labelled_architectures()  # type: ignore[attr-defined]
    except DataFileError:
        return
    for arch in list(labelled)[:20]:
        assert space.why_invalid(arch) is None, f"labelled_architectures() lists an invalid {arch}"


def _builds_model(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    model = space.build_model(archs[0])  # type: ignore[attr-defined]
    assert isinstance(model, torch.nn.Module), f"build_model gave {type(model).__name__}, not a torch.nn.Module"


def _counts_params(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    count = space.count_params(archs[0])  # type: ignore[attr-defined]
    assert isinstance(count, (int, np.integer)) and count > 0, f"count_params gave {count!r}, not a positive int"


def _counts_macs(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    count = space.count_macs(archs[0])  # type: ignore[attr-defined]
    assert isinstance(count, (int, np.integer)) and count > 0, f"count_macs gave {count!r}, not a positive int"


def _publishes_results(space: SearchSpace, archs: Sequence[Architecture]) -> None:
    results = space.published_results()  # type: ignore[attr-defined]
    assert isinstance(results, PublishedResults), f"published_results() gave {type(results).__name__}, not PublishedResults"
    for item in results.search:
        assert item.method and item.report and math.isfinite(item.value), f"bad published search result {item}"
        assert item.queries is None or item.queries > 0, f"bad query count in {item}"
    for item in results.rank_correlations:
        assert item.method and item.train_size > 0 and -1.0 <= item.kendall_tau <= 1.0, f"bad published τ {item}"


#: capability protocol -> its check, in the order of :data:`archgen.protocols.SPACE_CAPABILITIES`.
CHECKS: dict[type, Callable[[SearchSpace, Sequence[Architecture]], None]] = {
    Mutates: _mutates,
    EquivalentForms: _equivalent_forms,
    ChecksPaperValidity: _paper_valid,
    Prunes: _prunes,
    ArrayForm: _array_form,
    Benchmarked: _benchmarked,
    OffersOracles: _offers_oracles,
    TabulatesOracles: _tabulates_oracles,
    ListsLabelled: _lists_labelled,
    BuildsModel: _builds_model,
    CountsParams: _counts_params,
    CountsMacs: _counts_macs,
    PublishesResults: _publishes_results,
}
