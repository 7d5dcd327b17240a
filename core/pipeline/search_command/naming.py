"""What a search experiment is called and how the output describes its signal and pool."""

from __future__ import annotations

import re

from archgen.config import SearchConstraint


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@.+=-]+", "_", text).strip("_")


def experiment_name(signal: str, report: str, constraint: SearchConstraint | None, pool: str = "space") -> str:
    """The folder of one experiment: ``<signal>--<report>[--<metric>-le-<max>][--labelled]``.

    Args:
        signal: The metric the searcher sees.
        report: The metric reported of the best-signal architecture.
        constraint: The ``[search] constraint``, if any.
        pool: ``"space"`` or ``"labelled"``.
    """
    name = f"{_slug(signal)}--{_slug(report)}"
    if constraint:
        name += f"--{_slug(constraint.metric)}-le-{constraint.max:g}"
    if pool != "space":
        name += f"--{pool}"
    return name


def pool_note(space: str, size: int, signal: str, constraint: SearchConstraint | None = None) -> str:
    """What a labelled pool is, for the output: never to be read as the full space."""
    within = f" within {constraint.metric} <= {constraint.max:g}" if constraint else ""
    return (f"pool: only the {size:,} architectures with a {signal!r} entry in the table{within} "
            f"(pool = \"labelled\"), NOT the full {space} space")


def _epochs(metric: str) -> str | None:
    match = re.search(r"@(\d+)", metric)
    return match.group(1) if match else None


def signal_note(signal: str, report: str, explicit: bool) -> str:
    """One line saying how the signal relates to the reported metric.

    Args:
        signal: The metric the searcher sees.
        report: The reported metric.
        explicit: Whether ``[search] signal`` was given (else it defaults to the report).
    """
    if not explicit or signal == report:
        return f"signal = the reported metric {report!r} itself (searching on the figure that is reported)"
    note = f"signal {signal!r}, reported {report!r} of the architecture with the best signal"
    if _epochs(signal) and _epochs(report) and _epochs(signal) != _epochs(report):
        note += f" (the signal is a {_epochs(signal)}-epoch figure: no {_epochs(report)}-epoch one is available here)"
    return note
