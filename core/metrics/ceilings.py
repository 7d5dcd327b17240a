"""The i.i.d. uniqueness ceilings a results table is read against, one per protocol.

Absolute uniqueness counts distinct items among ``n`` draws over ``n``. No i.i.d.
generator can expect more distinct items than the uniform one over the items
counted, ``N (1 - (1 - 1/N)^n)``, so each protocol's ceiling uses the items its
uniqueness counts (:mod:`archgen.metrics.generation`):

* *paper*: the distinct fingerprints of the decodes -- for members of the space
  one per member, so ``N`` is ``space.size()``;
* *strict*: the distinct ``canonical_key`` classes, so ``N`` is the number of
  classes, counted by enumerating the space where it is small enough. Where it is
  not, the members' ceiling is the bound (there are never more classes than
  members, and the ceiling grows with ``N``).
"""

from __future__ import annotations

from typing import Any

from archgen.metrics.generation import iid_uniqueness_ceiling

#: Spaces up to this many members are enumerated to count their canonical classes (well under a second
#: per 10,000 members).
MAX_ENUMERATED = 100_000
#: A ceiling at or above this (in %) is printed as "≈100 %": the space is too large for repeats to matter.
SHOWN_AS_ALL = 99.95


def canonical_class_count(space: Any, limit: int = MAX_ENUMERATED) -> int | None:
    """Distinct ``canonical_key`` values over the whole space, or ``None`` when it is too large to enumerate.

    Args:
        space: A search space with ``size()``, ``enumerate()`` and ``canonical_key``.
        limit: The most members enumerated.
    """
    size = space.size()
    if size > limit or not callable(getattr(space, "enumerate", None)):
        return None
    return len({space.canonical_key(arch) for arch in space.enumerate()})


def uniqueness_ceilings(space: Any, num_samples: int) -> dict[str, dict[str, Any]]:
    """Each protocol's i.i.d. ceiling of absolute uniqueness (%) for ``num_samples`` draws.

    Returns:
        ``{"paper": {...}, "strict": {...}}``, each with ``ceiling`` (%), ``over`` (what is counted:
        ``"members"`` or ``"canonical classes"``) and ``count`` (how many there are).
    """
    size = space.size()
    classes = canonical_class_count(space)
    paper = {"ceiling": iid_uniqueness_ceiling(size, num_samples), "over": "members", "count": size}
    if classes is None:
        strict = {**paper, "over": "members (a bound: classes not counted)"}
    else:
        strict = {"ceiling": iid_uniqueness_ceiling(classes, num_samples), "over": "canonical classes", "count": classes}
    return {"paper": paper, "strict": strict}


def percent_text(value: float) -> str:
    """``73.86 %``, or ``≈100 %`` for a ceiling no table can tell from 100."""
    return "≈100 %" if value >= SHOWN_AS_ALL else f"{value:.2f} %"


def ceiling_text(ceilings: dict[str, dict[str, Any]] | None, fallback: float | None = None) -> str:
    """One clause for a legend: the ceilings and what each counts.

    Args:
        ceilings: From :func:`uniqueness_ceilings` (``None`` for results written before it existed).
        fallback: The members' ceiling alone, used when ``ceilings`` is ``None``.
    """
    if not ceilings:
        return "" if fallback is None else f"i.i.d. Abs. Uniq ceiling {percent_text(fallback)} (of the members)"
    paper, strict = ceilings["paper"], ceilings["strict"]
    if paper["ceiling"] >= SHOWN_AS_ALL and strict["ceiling"] >= SHOWN_AS_ALL:
        return "i.i.d. Abs. Uniq ceiling ≈100 % (the space is too large for repeats)"
    strict_part = (f"strict {percent_text(strict['ceiling'])} of {strict['count']:,} canonical classes"
                   if strict["over"] == "canonical classes" else f"strict ≤ {percent_text(strict['ceiling'])} (classes not counted)")
    return (f"i.i.d. Abs. Uniq ceiling: paper {percent_text(paper['ceiling'])} of {paper['count']:,} members, "
            + strict_part)
