"""The commands' work: train, generate, evaluate, sweep and run (all of them).

Every step reads and writes one :class:`RunDirectory`. ``train`` (and
``run``) create it from ``registry.toml``; the later steps read the resolved
configuration saved there, so they always act on the run as it was trained.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archgen.atomic import write_text, write_with
from archgen.config import DataSection, RegistryConfig
from archgen.device import resolve_device
from archgen.errors import ConfigError, RunDirectoryError
from archgen.generation import SampleBatch
from archgen.hooks import hook_manager
from archgen.metrics import GenerationReference, evaluate_samples, iid_uniqueness_ceiling
from archgen.pipeline import dataset as datasets
from archgen.pipeline.report import aggregate, markdown_table, plot_sweep, table_rows, text_table
from archgen.pipeline.rundir import RunDirectory, StagedRun
from archgen.progress import progress
from archgen.registry import load, validate_options


@dataclass
class Session:
    """Everything a step needs: the run, its config, the loaded space and the hooks."""

    run: RunDirectory
    config: dict[str, Any]
    device: torch.device
    space: Any = None
    hooks: Any = None
    _dataset: datasets.Dataset | None = field(default=None, repr=False)

    @property
    def seeds(self) -> list[int]:
        return self.config["seeds_trained"]

    def dataset(self) -> datasets.Dataset:
        """The run's architectures and its saved split."""
        if self._dataset is None:
            data = DataSection.model_validate(self.config["data"])
            archs = datasets.collect(self.space, data)
            train, heldout = self.run.read_split()
            if len(train) + len(heldout) != len(archs):
                raise RunDirectoryError(
                    f"{str(self.run.split_file)!r} covers {len(train) + len(heldout)} architectures, "
                    f"but the space now yields {len(archs)}"
                )
            self._dataset = datasets.Dataset(archs, train, heldout)
        return self._dataset

    def generator(self, seed: int) -> Any:
        """The trained generator of one replicate."""
        spec = self.config["generator"]
        generator = load("generator", spec["name"], **spec["options"])
        return generator.load(self.run.checkpoint_dir(seed), self.space, self.device)


def resolved_config(config: RegistryConfig, seeds: int) -> dict[str, Any]:
    """The JSON-ready configuration saved in the run (plugin options validated and filled in)."""
    space_options = validate_options("space", config.space.name, config.space.options)
    generator_options = validate_options("generator", config.generator.name, config.generator.options)
    return {
        "run": config.run.model_dump(mode="json"),
        "space": {"name": config.space.name, "options": space_options.model_dump(mode="json") if space_options else {}},
        "generator": {
            "name": config.generator.name,
            "options": generator_options.model_dump(mode="json") if generator_options else {},
        },
        "data": config.data.model_dump(mode="json"),
        "evaluate": config.evaluate.model_dump(mode="json"),
        "seeds_trained": [config.run.seed + k for k in range(seeds)],
        "environment": {"archgen": _version(), "torch": torch.__version__, "python": platform.python_version()},
    }


def _version() -> str:
    from archgen import __version__

    return __version__


def open_session(run_dir: str | Path, device: str | None = None, extra_hooks: Sequence[object] = ()) -> Session:
    """Opens an existing run for generate / evaluate / sweep."""
    run = RunDirectory(run_dir)
    config = run.read_config()
    session = Session(run, config, resolve_device(device or config["run"]["device"]))
    session.space = load("space", config["space"]["name"], **config["space"]["options"])
    session.hooks = hook_manager(tuple(extra_hooks)).hook
    return session


# -- train -------------------------------------------------------------------------
def train(config: RegistryConfig, *, run_dir: Path, seeds: int, overwrite: bool, device: str | None = None,
          extra_hooks: Sequence[object] = ()) -> Session:
    """Creates the run directory and trains one generator per seed.

    The directory appears only when training finished (see :class:`StagedRun`).
    """
    resolved = resolved_config(config, seeds)
    if device is not None:
        resolved["run"]["device"] = device
    hooks = hook_manager(tuple(extra_hooks)).hook
    space = load("space", config.space.name, **config.space.options)
    staged = StagedRun(run_dir, overwrite)
    with staged as run:
        session = Session(run, resolved, resolve_device(resolved["run"]["device"]), space, hooks)
        hooks.archgen_run_start(config=resolved, run_dir=str(run_dir))
        data = datasets.build(space, config.data)
        run.write_split(data.train_index, data.heldout_index)
        session._dataset = data
        resolved["data_sizes"] = {"total": len(data.archs), "train": len(data.train_index), "heldout": len(data.heldout_index)}
        run.write_json("config.json", resolved)
        for seed in session.seeds:
            generator = load("generator", config.generator.name, **config.generator.options)
            started = time.perf_counter()
            stats = generator.fit(
                space, data.train, validation=data.heldout, device=session.device, seed=seed,
                on_epoch_end=lambda stage, epoch, logs: hooks.archgen_epoch_end(stage=stage, epoch=epoch, logs=logs),
            )
            stats["seconds"] = time.perf_counter() - started
            generator.save(run.checkpoint_dir(seed))
            run.write_json(f"checkpoints/seed-{seed}/training.json", stats)
    session.run = RunDirectory(run_dir)
    return session


# -- generate ------------------------------------------------------------------------
def _sample(session: Session, seed: int, n: int, sampling: dict[str, Any], generator: Any = None) -> SampleBatch:
    generator = generator or session.generator(seed)
    batch = generator.sample(session.space, n, seed=seed, **sampling)
    session.hooks.archgen_samples_generated(
        space=session.space.name, temperature=batch.temperature, num_samples=len(batch), num_well_formed=int(batch.well_formed.sum())
    )
    return batch


def sampling_options(session: Session, temperature: float | None, top_k: int | None, top_p: float | None) -> dict[str, Any]:
    evaluate = session.config["evaluate"]
    return {
        "temperature": evaluate["temperature"] if temperature is None else temperature,
        "top_k": evaluate["top_k"] if top_k is None else top_k,
        "top_p": evaluate["top_p"] if top_p is None else top_p,
    }


def generate(session: Session, *, n: int | None = None, temperature: float | None = None, top_k: int | None = None,
             top_p: float | None = None) -> Path:
    """Samples every replicate and writes ``samples.jsonl`` (one architecture a line)."""
    n = n or session.config["evaluate"]["num_samples"]
    sampling = sampling_options(session, temperature, top_k, top_p)
    lines: list[str] = []
    for seed in progress(session.seeds, desc="generate", total=len(session.seeds)):
        batch = _sample(session, seed, n, sampling)
        lines.extend(_sample_lines(session.space, batch))
    header = {"kind": "archgen.samples/1", "space": session.space.name, **sampling, "num_samples": n, "seeds": session.seeds}
    write_with(session.run.samples_file, lambda handle: handle.writelines([json.dumps(header) + "\n", *lines]))
    return session.run.samples_file


def _sample_lines(space: Any, batch: SampleBatch) -> list[str]:
    lines = []
    for index, arch in enumerate(batch.architectures(space)):
        record: dict[str, Any] = {"seed": batch.seed, "index": index, "codes": batch.codes[index].tolist()}
        if arch is None:
            record.update(arch=None, valid=False, reason="malformed code sequence (wrong length or special token)")
        elif space.is_valid(arch):
            record.update(arch=space.to_string(arch), valid=True)
        else:
            record.update(arch=None, valid=False, reason=space.why_invalid(arch), graph=arch.to_dict())
        lines.append(json.dumps(record, separators=(",", ":")) + "\n")
    return lines


def read_samples(session: Session) -> tuple[dict[str, Any], dict[int, SampleBatch]]:
    """Re-creates the sample batches of ``samples.jsonl`` by decoding their stored codes.

    Raises:
        RunDirectoryError: If the file is missing or corrupt.
    """
    path = session.run.samples_file
    if not path.is_file():
        raise RunDirectoryError(f"{str(path)!r} not found; run 'archgen generate' first")
    codes: dict[int, list[list[int]]] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            if header.get("kind") != "archgen.samples/1":
                raise ValueError("missing archgen.samples/1 header")
            for number, line in enumerate(handle, start=2):
                record = json.loads(line)
                codes.setdefault(int(record["seed"]), []).append(record["codes"])
    except (ValueError, KeyError, TypeError) as error:
        raise RunDirectoryError(f"{str(path)!r} is corrupt ({error}); re-run 'archgen generate'") from None
    batches = {}
    for seed, rows in codes.items():
        generator = session.generator(seed)
        array = np.asarray(rows, dtype=np.int64)
        well_formed = (array >= 0).all(1)
        n, m = array.shape[0], session.space.max_nodes
        adjacency, ops = np.zeros((n, m, m), np.uint8), np.zeros((n, m), np.int64)
        if well_formed.any():
            adjacency[well_formed], ops[well_formed] = generator.decode_codes(array[well_formed])
        batches[seed] = SampleBatch(array, well_formed, adjacency, ops, float(header["temperature"]), seed)
    return header, batches


# -- evaluate -------------------------------------------------------------------------
def evaluate(session: Session, *, seeds: int | None = None) -> dict[str, Any]:
    """Scores ``samples.jsonl`` and reconstruction; writes ``metrics.json`` and ``report.md``."""
    header, batches = read_samples(session)
    chosen = _choose_seeds(session, seeds, available=sorted(batches))
    data = session.dataset()
    reference = GenerationReference.build(session.space, data.train, data.heldout)
    per_seed = []
    for seed in progress(chosen, desc="evaluate", total=len(chosen)):
        generator = session.generator(seed)
        figures = evaluate_samples(session.space, batches[seed], reference)
        figures["reconstruction_accuracy"] = generator.reconstruction_accuracy(session.space, data.heldout)
        training = session.run.read_json(f"checkpoints/seed-{seed}/training.json", "re-run 'archgen train'")
        figures["codebook"] = {k: training.get(k) for k in ("codebook_used", "codebook_size", "dead_code_restarts")}
        figures["seed"] = seed
        session.hooks.archgen_metrics_computed(seed=seed, metrics=figures)
        per_seed.append(figures)
    summary = aggregate(per_seed)
    metrics = {
        "space": session.space.name,
        "generator": session.config["generator"]["name"],
        "sampling": {k: header[k] for k in ("temperature", "top_k", "top_p", "num_samples")},
        "iid_uniqueness_ceiling": iid_uniqueness_ceiling(session.space.size(), header["num_samples"]),
        "seeds": chosen,
        "per_seed": per_seed,
        "summary": summary,
    }
    session.run.write_json("metrics.json", metrics)
    write_text(session.run.report_file, render_report(session, metrics))
    return metrics


def _choose_seeds(session: Session, seeds: int | None, available: list[int]) -> list[int]:
    trained = session.seeds
    if seeds is None:
        chosen = [s for s in trained if s in available]
    else:
        if seeds > len(trained):
            raise RunDirectoryError(
                f"--seeds {seeds} asked for, but the run has {len(trained)} trained replicate(s) {trained}; "
                f"train with --seeds {seeds}"
            )
        chosen = trained[:seeds]
    missing = [s for s in chosen if s not in available]
    if missing:
        raise RunDirectoryError(f"samples.jsonl has no samples of seed(s) {missing}; run 'archgen generate' again")
    return chosen


def results_table(metrics: dict[str, Any]) -> str:
    """The paper's Table 3 columns for both protocols, mean ± std over seeds."""
    return text_table(*table_rows(metrics["summary"]))


def render_report(session: Session, metrics: dict[str, Any]) -> str:
    summary = metrics["summary"]
    sampling = metrics["sampling"]
    paper = summary.get("paper", {})
    lines = [
        f"# {session.config['run']['name']}: {metrics['generator']} on {metrics['space']}",
        "",
        f"{sampling['num_samples']} samples per seed at temperature {sampling['temperature']}"
        f" (top-k {sampling['top_k']}, top-p {sampling['top_p']}); seeds {metrics['seeds']}; "
        f"split {session.config.get('data_sizes', {})}.",
        "",
        markdown_table(*table_rows(summary)),
        "",
        "*paper*: validity by the ops check, uniqueness/novelty by a hash of the decoded (adjacency, ops) "
        "(as the arch2vec/Arch-VQ code counts); *strict*: `is_valid`, `canonical_key`. "
        "Held-out coverage: share of the held-out split's canonical classes among the valid samples.",
        "",
        f"- well-formed sequences: {_fmt(summary.get('well_formed'))}",
        f"- highest absolute uniqueness that {sampling['num_samples']} i.i.d. samples of the space's "
        f"{session.space.size():,} members can reach (uniform sampling): {metrics['iid_uniqueness_ceiling']:.2f} %; "
        "a paper-protocol figure above it counts decodes that are not members",
        f"- paper-novel samples that are off-topology (invalid under the strict check): "
        f"{_fmt(paper.get('off_topology_share_of_novel'))} %",
        f"- held-out coverage of classes absent from the training split: "
        f"{_fmt(summary.get('strict', {}).get('heldout_only_coverage'))} %",
        f"- codebook: {_fmt(summary.get('codebook', {}).get('codebook_used'))} of "
        f"{_fmt(summary.get('codebook', {}).get('codebook_size'))} codes used; dead-code restarts "
        f"{_fmt(summary.get('codebook', {}).get('dead_code_restarts'))}",
        "",
    ]
    return "\n".join(lines)


def _fmt(summary: dict[str, float] | None) -> str:
    if not summary or summary.get("mean") is None or np.isnan(summary["mean"]):
        return "-"
    return f"{summary['mean']:.2f} ± {summary['std']:.2f}"


# -- sweep ----------------------------------------------------------------------------------
def parse_temperatures(text: str) -> list[float]:
    """``start:stop:step`` (inclusive of ``stop``) or a comma list.

    Raises:
        ConfigError: For a malformed range.
    """
    try:
        if ":" in text:
            start, stop, step = (float(x) for x in text.split(":"))
            if step <= 0 or stop < start or start <= 0:
                raise ValueError
            count = int(round((stop - start) / step)) + 1
            return [round(start + i * step, 10) for i in range(count)]
        values = [float(x) for x in text.split(",")]
        if not values or min(values) <= 0:
            raise ValueError
        return values
    except ValueError:
        raise ConfigError(
            f"bad --temperatures {text!r}; expected START:STOP:STEP (e.g. 0.5:3.0:0.1) or a comma list of positive numbers"
        ) from None


def sweep(session: Session, temperatures: list[float], *, n: int | None = None, seeds: int | None = None) -> dict[str, Any]:
    """Metrics against temperature; writes ``sweep.json`` and ``sweep.png``."""
    n = n or session.config["evaluate"]["num_samples"]
    chosen = _choose_seeds(session, seeds, available=session.seeds)
    data = session.dataset()
    reference = GenerationReference.build(session.space, data.train, data.heldout)
    generators = {seed: session.generator(seed) for seed in chosen}
    evaluate_cfg = session.config["evaluate"]
    points = []
    for temperature in progress(temperatures, desc="sweep", total=len(temperatures)):
        per_seed = []
        for seed in chosen:
            sampling = {"temperature": temperature, "top_k": evaluate_cfg["top_k"], "top_p": evaluate_cfg["top_p"]}
            batch = _sample(session, seed, n, sampling, generators[seed])
            per_seed.append(evaluate_samples(session.space, batch, reference))
        points.append({"temperature": temperature, **aggregate(per_seed)})
    best = {
        metric: max(
            ({"temperature": p["temperature"], "value": p["paper"][metric]["mean"]} for p in points), key=lambda b: b["value"]
        )
        for metric in ("absolute_uniqueness", "absolute_novelty")
    }
    result = {
        "space": session.space.name,
        "generator": session.config["generator"]["name"],
        "num_samples": n,
        "iid_uniqueness_ceiling": iid_uniqueness_ceiling(session.space.size(), n),
        "seeds": len(chosen),
        "points": points,
        "best": best,
    }
    session.run.write_json("sweep.json", result)
    plot_sweep(result, session.run.path / "sweep.png")
    return result


def sweep_table(result: dict[str, Any]) -> str:
    header = ["T", "Validity", "Abs. Uniq", "Abs. Novelty", "strict Validity", "strict Abs. Uniq", "Held-out cov."]
    rows = []
    for p in result["points"]:
        rows.append([
            f"{p['temperature']:.2f}",
            *(f"{p['paper'][k]['mean']:.2f}" for k in ("validity", "absolute_uniqueness", "absolute_novelty")),
            *(f"{p['strict'][k]['mean']:.2f}" for k in ("validity", "absolute_uniqueness", "heldout_coverage")),
        ])
    return text_table(header, rows)


# -- run ------------------------------------------------------------------------------------
def run_all(config: RegistryConfig, *, run_dir: Path, seeds: int, overwrite: bool, device: str | None = None,
            n: int | None = None, temperature: float | None = None, top_k: int | None = None, top_p: float | None = None,
            extra_hooks: Sequence[object] = ()) -> dict[str, Any]:
    """Train, generate and evaluate in one go."""
    session = train(config, run_dir=run_dir, seeds=seeds, overwrite=overwrite, device=device, extra_hooks=extra_hooks)
    generate(session, n=n, temperature=temperature, top_k=top_k, top_p=top_p)
    metrics = evaluate(session)
    session.hooks.archgen_run_end(run_dir=str(run_dir), summary=metrics["summary"])
    return metrics
