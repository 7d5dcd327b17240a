"""``samples.jsonl``: the generated architectures of a run as decoded graphs, one a line.

The first line is a header (``{"kind": "archgen.samples/2", ...}``); every
other line is one draw::

    {"seed": 0, "index": 17, "well_formed": true, "graph": {"adjacency": [[...]], "ops": [...]},
     "valid": true, "arch": "<native string>", "tokens": [81, 19, ...]}

``graph`` is the raw decoded graph (off-topology graphs included) and is all
evaluation reads, so scoring never needs the generator; ``arch`` (the native
string of valid members) and ``tokens`` (the generator's own representation)
are for people and tools. A damaged file is refused with its path and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archgen.architecture import Architecture
from archgen.errors import ArchgenError, RunDirectoryError
from archgen.generation import SampleBatch
from archgen.protocols import SearchSpace

KIND = "archgen.samples/2"


def sample_lines(space: SearchSpace, batch: SampleBatch) -> list[str]:
    """The JSON lines of one batch."""
    lines = []
    tokens = batch.tokens or [None] * len(batch)
    for index, arch in enumerate(batch.architectures(space)):
        record: dict[str, Any] = {"seed": batch.seed, "index": index, "well_formed": arch is not None}
        if arch is None:
            record.update(graph=None, valid=False, reason="not well formed (the generator produced no graph)")
        else:
            record["graph"] = {"adjacency": [list(row) for row in arch.adjacency], "ops": list(arch.ops)}
            reason = space.why_invalid(arch)
            record.update(valid=reason is None, arch=space.to_string(arch) if reason is None else None)
            if reason is not None:
                record["reason"] = reason
        if tokens[index] is not None:
            record["tokens"] = tokens[index]
        lines.append(json.dumps(record, separators=(",", ":")) + "\n")
    return lines


def header(space: SearchSpace, generator: str, sampling: dict[str, Any], num_samples: int, seeds: list[int]) -> str:
    """The header line."""
    return json.dumps(
        {"kind": KIND, "space": space.name, "generator": generator, "sampling": sampling, "num_samples": num_samples, "seeds": seeds}
    ) + "\n"


def read_samples(path: Path, space: SearchSpace, shown: str | None = None) -> tuple[dict[str, Any], dict[int, SampleBatch]]:
    """Reads ``samples.jsonl`` back into one :class:`SampleBatch` per seed.

    Args:
        path: The file.
        space: The run's space (graphs are checked against its vocabulary and size).
        shown: How to name the file in errors (default: ``path``).

    Raises:
        RunDirectoryError: If the file is missing, or naming the line of the first
            problem: not JSON, a missing or mistyped field, a graph that is not one of
            the space's form, a seed or index out of place, a count that disagrees
            with the header, or no samples at all.
    """
    where = shown or repr(str(path))
    if not path.is_file():
        raise RunDirectoryError(f"{where} not found; run 'archgen generate' first")
    rows: dict[int, list[Architecture | None]] = {}
    with path.open("rb") as handle:
        first = handle.readline()
        try:
            head = json.loads(first.decode("utf-8"))
            if not isinstance(head, dict) or head.get("kind") != KIND:
                raise ValueError(f"not an {KIND} header")
            seeds, num_samples = head["seeds"], head["num_samples"]
            if not (isinstance(seeds, list) and all(type(s) is int for s in seeds) and type(num_samples) is int):
                raise ValueError("header seeds/num_samples mistyped")
            if head.get("space") != space.name:
                raise ValueError(f"samples of space {head.get('space')!r}, not {space.name!r}")
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            raise RunDirectoryError(f"{where} line 1: {_short(error)}; re-run 'archgen generate'") from None
        rows = {seed: [] for seed in seeds}
        for number, line in enumerate(handle, start=2):
            try:
                seed, index, arch = _parse(line, space, rows)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError, ArchgenError) as error:
                raise RunDirectoryError(f"{where} line {number}: {_short(error)}; re-run 'archgen generate'") from None
            rows[seed].append(arch)
    if not any(rows.values()):
        raise RunDirectoryError(f"{where} holds no samples (only its header); re-run 'archgen generate'")
    for seed, archs in rows.items():
        if len(archs) != num_samples:
            raise RunDirectoryError(
                f"{where}: seed {seed} has {len(archs)} samples, the header says {num_samples} "
                "(truncated file?); re-run 'archgen generate'"
            )
    sampling = head.get("sampling") or {}
    batches = {
        seed: SampleBatch.from_architectures(space, archs, sampling=sampling, seed=seed) for seed, archs in rows.items()
    }
    return head, batches


def _parse(line: bytes, space: SearchSpace, rows: dict[int, list[Any]]) -> tuple[int, int, Architecture | None]:
    record = json.loads(line.decode("utf-8"))
    if not isinstance(record, dict):
        raise ValueError("a line must be a JSON object")
    seed, index, well_formed = record["seed"], record["index"], record["well_formed"]
    if type(seed) is not int or seed not in rows:
        raise ValueError(f"seed {seed!r} is not one of the header's seeds {sorted(rows)}")
    if type(index) is not int or index != len(rows[seed]):
        raise ValueError(f"index {index!r} out of order (expected {len(rows[seed])} for seed {seed})")
    if type(well_formed) is not bool:
        raise ValueError(f"well_formed must be true or false, got {well_formed!r}")
    graph = record["graph"]
    if not well_formed:
        if graph is not None:
            raise ValueError("a draw that is not well formed has no graph")
        return seed, index, None
    if not isinstance(graph, dict):
        raise ValueError("graph must be an object with adjacency and ops")
    adjacency, ops = graph["adjacency"], graph["ops"]
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        raise ValueError("graph ops must be a list of op names")
    unknown = sorted({op for op in ops if op not in space.op_vocabulary})
    if unknown:
        raise ValueError(f"op {unknown[0][:40]!r} is not in the space's vocabulary")
    if not 1 <= len(ops) <= space.max_nodes:
        raise ValueError(f"graph has {len(ops)} nodes; the space's graphs have 1..{space.max_nodes}")
    if not isinstance(adjacency, list) or not all(
        isinstance(row, list) and all(type(v) is int and v in (0, 1) for v in row) for row in adjacency
    ):
        raise ValueError("graph adjacency must be a list of rows of 0/1 integers")
    return seed, index, Architecture(space.name, tuple(map(tuple, adjacency)), tuple(ops))


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, KeyError):
        text = f"missing field {error.args[0]!r}"
    return text[:200]
