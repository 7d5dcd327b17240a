"""NB101 at the paper's settings on a GPU: wall time to the paper's figures, 1,000,000 generated architectures, GPU memory.

Runs, each timed as a subprocess of the product's own CLI:

1. ``archgen run --config examples/nb101-paper.toml --device cuda`` (the paper's schedule: 50 VQ-VAE
   epochs at Adam 1e-4, batch 32; the prior 100 epochs at AdamW 3e-4; 10,000 samples at t = 0.7),
   then ``--config examples/nb101.toml`` (the fast default) the same way;
2. ``archgen generate --n 1000000`` on each trained run (decoding and writing ``samples.jsonl``).

It prints a table beside the paper's Table 2 (reconstruction 97.78, validity 89.73, absolute
uniqueness 85.86 at t = 0.7) and writes ``benchmarks/results/gpu_nb101.json``; training peak GPU
memory comes from each run's ``checkpoints/seed-0/training.json``.

Usage (on a machine with a CUDA GPU; hours on a CPU)::

    python benchmarks/gpu_nb101.py [--runs-dir /tmp/gpu-nb101] [--only fast]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"reconstruction": 97.78, "validity": 89.73, "absolute_uniqueness": 85.86}
PROFILES = {"paper": "examples/nb101-paper.toml", "fast": "examples/nb101.toml"}


def timed(command: list[str]) -> float:
    print("$", " ".join(command), file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, "ARCHGEN_PROGRESS": os.environ.get("ARCHGEN_PROGRESS", "1")})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/gpu-nb101"))
    parser.add_argument("--only", choices=sorted(PROFILES), help="run one profile")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    from archgen.atomic import write_json

    rows = []
    for profile, config in PROFILES.items():
        if args.only and profile != args.only:
            continue
        run_dir = args.runs_dir / profile
        train_s = timed(["archgen", "run", "--config", config, "--run-dir", str(run_dir), "--device", args.device, "--overwrite"])
        generate_s = timed(["archgen", "generate", "--config", config, "--run-dir", str(run_dir), "--device", args.device, "--n", "1000000"])
        metrics = json.loads((run_dir / "metrics.json").read_text())
        training = json.loads((run_dir / "checkpoints" / "seed-0" / "training.json").read_text())
        rows.append({"profile": profile, "config": config, "run_seconds": train_s, "generate_1m_seconds": generate_s,
                     "metrics": metrics, "runtime": training.get("runtime"), "vqvae_epochs_run": training.get("vqvae_epochs_run")})
    print(f"| profile | archgen run (s) | 1,000,000 generated (s) | peak GPU MiB (training) |")
    print("|---|---|---|---|")
    for row in rows:
        peak = (row["runtime"] or {}).get("peak_cuda_mib")
        print(f"| {row['profile']} | {row['run_seconds']:.0f} | {row['generate_1m_seconds']:.0f} | {peak if peak is None else round(peak)} |")
    print(f"paper (Table 2, t = 0.7): {PAPER}; each run's figures are in its report.md")
    out = ROOT / "benchmarks" / "results" / "gpu_nb101.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"paper": PAPER, "rows": rows})
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
