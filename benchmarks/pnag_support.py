"""PNAG samples decoded freely vs restricted to the training support, on a trained ``pnag`` run.

For every replicate of the run, the same draws (same seed, so the same codes) are decoded twice:
``support = "any"`` (the paper's decoder: every position on its own) and ``"observed"`` (each
node's operation one seen there in training, every edge all training graphs agreed on kept;
docs/pnag.md decision 14a). Both are scored with ``archgen evaluate``'s two protocols against the
run's own split, the rules the free samples break are counted (the space's ``why_invalid``,
first clause), and the seconds per architecture of both draws are reported as a ratio. A
checkpoint written before the support was recorded is given it from the run's training split.

    python benchmarks/pnag_support.py RUN_DIR [--samples 10000] [--output benchmarks/results/pnag_support.json]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from archgen.atomic import write_json
from archgen.hooks import hook_manager
from archgen.metrics import GenerationReference, evaluate_samples
from archgen.pipeline.rundir import RunDirectory
from archgen.pipeline.session import Session, read_run_config
from archgen.registry import load
from archgen.runtime import Runtime


def broken_rules(space: Any, batch: Any, top: int = 4) -> list[tuple[str, float]]:
    """The most common first reason a sample is not a member, as percentages of all samples."""
    reasons: Counter[str] = Counter()
    for arch in batch.architectures(space):
        why = "malformed graph" if arch is None else space.why_invalid(arch)
        if why is not None:
            # The rule, without the node numbers and lists that say where it broke.
            reasons[re.sub(r"\d+", "#", re.sub(r"\[[^\]]*\]", "[…]", why)).split(";")[0][:90]] += 1
    return [(reason, 100.0 * count / len(batch)) for reason, count in reasons.most_common(top)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a trained pnag run directory")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/pnag_support.json"))
    args = parser.parse_args()
    run = RunDirectory(args.run)
    config = read_run_config(run)
    if config["generator"]["name"] != "pnag":
        raise SystemExit(f"{args.run} is a {config['generator']['name']!r} run, not a 'pnag' one")
    runtime = Runtime.resolve(config["run"].get("device", "auto"), "auto")
    space = load("space", config["space"]["name"], **config["space"]["options"])
    session = Session("benchmark", run, config, runtime, space, hook_manager(()).hook)
    data = session.dataset()
    reference = GenerationReference.build(space, data.train, data.heldout)
    sampling = {key: value for key, value in config["evaluate"].get("sampling", {}).items() if key not in ("support", "guidance")}
    result: dict[str, Any] = {"run": str(args.run), "space": space.name, "samples": args.samples, "sampling": sampling, "seeds": {}}
    print(f"{space.name}: {args.samples} samples per seed, sampling {sampling}")
    print("| seed | support | paper V / U / N | strict V / U / N | ms per arch |")
    print("|---|---|---|---|---|")
    for seed in session.seeds:
        generator = session.generator(seed)
        recorded = generator.support is not None
        if not recorded:
            generator.observe_support(space, data.train)
        rows = {}
        for support in ("any", "observed"):
            started = time.perf_counter()
            batch = generator.sample(space, args.samples, seed=seed, **{**sampling, "support": support})
            seconds = time.perf_counter() - started
            figures = evaluate_samples(space, batch, reference)
            rows[support] = {"figures": figures, "ms_per_arch": 1000.0 * seconds / args.samples,
                             "broken_rules": broken_rules(space, batch)}
            paper, strict = figures["paper"], figures["strict"]
            print(f"| {seed} | {support} | {paper['validity']:.2f} / {paper['uniqueness']:.2f} / {paper['novelty']:.2f} | "
                  f"{strict['validity']:.2f} / {strict['uniqueness']:.2f} / {strict['novelty']:.2f} | "
                  f"{rows[support]['ms_per_arch']:.3f} |", flush=True)
        result["seeds"][str(seed)] = {"support_from": "checkpoint" if recorded else "training split", **rows}
        write_json(args.output, result)
    for seed, rows in result["seeds"].items():
        for support in ("any", "observed"):
            reasons = "; ".join(f"{why} {share:.2f} %" for why, share in rows[support]["broken_rules"]) or "none"
            print(f"seed {seed}, {support}: rules broken (first per sample): {reasons}")
    for key in ("paper", "strict"):
        deltas = [rows["observed"]["figures"][key]["validity"] - rows["any"]["figures"][key]["validity"] for rows in result["seeds"].values()]
        print(f"{key} validity, observed - any: {np.mean(deltas):+.2f} points (mean over {len(deltas)} seeds)")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
