"""OFA's Samsung Note10 latency lookup tables: per-layer mean latency (ms), summed over a subnet.

One YAML file per input resolution, ``{r}_lookup_table.yaml``, maps a layer key
to ``count`` / ``mean`` / ``std`` of its measured latency. The sum follows the
OFA tutorial's ``LatencyEstimator.predict_network_latency`` (github
mit-han-lab/once-for-all, ``tutorial/latency_table.py`` at commit 698a5c10;
``ofa/tutorial/latency_table.py`` later): the stem ``Conv``, every MBConv
block (the fixed first block included) as ``expanded_conv`` with its input and
output shapes, expanded width, kernel, stride, identity skip, SE and h_swish
flags, then ``Conv_1`` (final expand), ``AvgPool2D``, ``Conv_2`` (feature mix)
and ``Logits``. The released tables were measured for the width-1.2 network,
so only ``width_mult = 1.2`` subnets find their keys.

The files use a tiny subset of YAML (top-level ``key:`` lines, each followed
by indented ``count:``, ``mean:`` and ``std:`` numbers), so they are read by a
strict line parser here rather than by adding PyYAML as a dependency.
"""

from __future__ import annotations

import re
from pathlib import Path

from archgen.errors import DataFileError
from archgen.spaces.mbv3.blueprint import Blueprint

_ENTRY_FIELDS = ("count", "mean", "std")
_FIELD_LINE = re.compile(r"^  (count|mean|std): (\S+)$")


def parse_lookup_table(text: str, source: str = "<text>") -> dict[str, dict[str, float]]:
    """Parses one lookup-table file.

    Args:
        text: The file's contents.
        source: Its name, for error messages.

    Returns:
        ``{layer key: {"count": ..., "mean": ..., "std": ...}}``.

    Raises:
        DataFileError: On any line outside the expected layout, naming it.
    """
    table: dict[str, dict[str, float]] = {}
    current: dict[str, float] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not line.startswith(" "):
            if not line.endswith(":") or ": " in line:
                raise DataFileError(f"{source}:{number}: expected '<layer key>:', got {line[:80]!r}")
            _require_complete(current, table, source)
            key = line[:-1]
            if key in table:
                raise DataFileError(f"{source}:{number}: layer key {key!r} appears twice")
            current = table[key] = {}
            continue
        match = _FIELD_LINE.match(line)
        if match is None or current is None:
            raise DataFileError(f"{source}:{number}: expected '  count|mean|std: <number>', got {line[:80]!r}")
        try:
            current[match.group(1)] = float(match.group(2))
        except ValueError:
            raise DataFileError(f"{source}:{number}: {match.group(1)} is not a number: {match.group(2)!r}") from None
    _require_complete(current, table, source)
    if not table:
        raise DataFileError(f"{source}: no layer entries")
    return table


def _require_complete(entry: dict[str, float] | None, table: dict[str, dict[str, float]], source: str) -> None:
    if entry is not None and "mean" not in entry:
        key = next(k for k, v in table.items() if v is entry)
        raise DataFileError(f"{source}: layer {key!r} has no 'mean' (fields {sorted(entry)})")


def layer_keys(plan: Blueprint) -> list[str]:
    """The lookup-table keys of every layer of ``plan``, in network order."""
    fsize = plan.first_conv.output_size
    keys = [f"Conv-input:{plan.resolution}x{plan.resolution}x3-output:{fsize}x{fsize}x{plan.first_conv.out_channels}"]
    for block in plan.blocks:
        keys.append(
            f"expanded_conv-input:{block.input_size}x{block.input_size}x{block.in_channels}"
            f"-output:{block.output_size}x{block.output_size}x{block.out_channels}"
            f"-expand:{block.mid_channels}-kernel:{block.kernel}-stride:{block.stride}"
            f"-idskip:{int(block.residual)}-se:{int(block.se)}-hs:{int(block.activation == 'h_swish')}"
        )
    size, expand, mix = plan.final_expand.output_size, plan.final_expand, plan.feature_mix
    keys += [
        f"Conv_1-input:{size}x{size}x{expand.in_channels}-output:{size}x{size}x{expand.out_channels}",
        f"AvgPool2D-input:{size}x{size}x{expand.out_channels}-output:1x1x{expand.out_channels}",
        f"Conv_2-input:1x1x{mix.in_channels}-output:1x1x{mix.out_channels}",
        f"Logits-input:1x1x{plan.classifier_in}-output:{plan.num_classes}",
    ]
    return keys


class LatencyTable:
    """The Note10 tables of one folder, read lazily one resolution at a time.

    Args:
        folder: Directory holding ``{resolution}_lookup_table.yaml`` files.

    Raises:
        DataFileError: If ``folder`` is not a directory.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DataFileError(
                f"latency table folder {str(self.folder)!r} not found; expected a directory of "
                "{resolution}_lookup_table.yaml files (see ../shared/data/ofa_mbv3/PROVENANCE.md)"
            )
        self._tables: dict[int, dict[str, dict[str, float]]] = {}

    def resolutions(self) -> list[int]:
        """Resolutions that have a table file."""
        found = (re.fullmatch(r"(\d+)_lookup_table\.yaml", p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def table(self, resolution: int) -> dict[str, dict[str, float]]:
        """The parsed table for ``resolution`` (cached).

        Raises:
            DataFileError: If there is no file for it, or it is malformed.
        """
        if resolution not in self._tables:
            path = self.folder / f"{resolution}_lookup_table.yaml"
            if not path.is_file():
                raise DataFileError(
                    f"no Note10 latency table for resolution {resolution} in {str(self.folder)!r}; "
                    f"available: {self.resolutions()}"
                )
            self._tables[resolution] = parse_lookup_table(path.read_text(encoding="utf-8"), str(path))
        return self._tables[resolution]

    def layer_latencies(self, plan: Blueprint) -> list[tuple[str, float]]:
        """``(key, mean ms)`` of every layer of ``plan``.

        Raises:
            DataFileError: If a layer's key is not in the table (naming it).
        """
        table = self.table(plan.resolution)
        out = []
        for key in layer_keys(plan):
            if key not in table:
                raise DataFileError(
                    f"layer {key!r} is not in the Note10 table for resolution {plan.resolution}; the released "
                    "tables cover the width-1.2 OFA network (space option width_mult=1.2)"
                )
            out.append((key, table[key]["mean"]))
        return out

    def latency(self, plan: Blueprint) -> float:
        """Predicted latency (ms) of the network laid out by ``plan``: the sum of its layers' means."""
        return float(sum(mean for _, mean in self.layer_latencies(plan)))
