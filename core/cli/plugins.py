"""The ``archgen plugins`` table."""

from __future__ import annotations

from archgen.registry import GROUPS, installed


def plugins_table() -> str:
    """Every installed plugin by group: name, class, distribution and version (nothing is imported)."""
    lines = []
    for slot, group in GROUPS.items():
        lines.append(f"{group}")
        found = installed(slot)
        if not found:
            lines.append("  (none installed)")
        width = max((len(info.name) for info in found), default=0)
        target_width = max((len(info.target) for info in found), default=0)
        for info in found:
            lines.append(f"  {info.name.ljust(width)}  {info.target.ljust(target_width)}  {info.distribution} {info.version}")
    return "\n".join(lines)
