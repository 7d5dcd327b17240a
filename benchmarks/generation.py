"""Generation speed of Arch-VQ on NAS-Bench-201: the batched path against a plain loop.

Times, in one process and on the same trained model:

* fast path -- batched sampling with a key/value cache, vectorised decoding,
  validation and keying of ``--n`` architectures (``ArchVQ.sample`` +
  ``evaluate_samples``); the issue's target is <= 2 s for 10,000 on a
  2-core CPU;
* baseline -- the same work done plainly: every sampling step re-runs the
  whole prefix (no cache), each sequence is decoded, validated and keyed on
  its own;
* training time per epoch of the VQ-VAE and of the prior, and peak memory.

Usage::

    python benchmarks/generation.py                       # trains 1 epoch of each stage to time it
    python benchmarks/generation.py --run-dir runs/nb201-arch-vq   # samples from a trained run

Prints a table and writes ``benchmarks/results/generation.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

import archgen
from archgen.atomic import write_json
from archgen.config import load_config
from archgen.generation import SampleBatch
from archgen.metrics import GenerationReference, evaluate_samples
from archgen.pipeline import dataset
from archgen.runtime import Runtime


def naive_sample(prior, n: int, temperature: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Autoregressive sampling that recomputes the whole prefix at every step (no cache)."""
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.full((n, 1), prior.sos, dtype=torch.long)
    with torch.no_grad():
        for _ in range(prior.options.seq_len + 1):
            logits = prior(tokens)[:, -1] / temperature
            logits[:, prior.sos] = logits[:, prior.pad] = -float("inf")
            tokens = torch.cat([tokens, torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)], 1)
    codes, last = tokens[:, 1:-1], tokens[:, -1]
    return codes, (codes < prior.options.vocab_size).all(1) & (last == prior.eos)


def naive_generation(generator, space, reference, n: int, temperature: float, seed: int) -> dict:
    codes, well_formed = naive_sample(generator.prior, n, temperature, seed)
    valid, keys, novel = 0, set(), 0
    for row in range(n):
        if not well_formed[row]:
            continue
        adjacency, ops = generator.decode_codes(codes[row : row + 1].numpy())
        arch = space.from_tensors(adjacency, ops)[0]
        if space.is_valid(arch):
            valid += 1
            key = space.canonical_key(arch)
            keys.add(key)
            novel += key not in reference.train_classes
    return {"strict_validity": 100 * valid / n, "unique": len(keys)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="a trained run (else one epoch of each stage is trained here)")
    parser.add_argument("--config", default="registry.toml")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--temperature", type=float, default=2.4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/generation.json"))
    args = parser.parse_args()
    os.environ.setdefault("ARCHGEN_PROGRESS", "0")
    if args.threads:
        torch.set_num_threads(args.threads)

    config = load_config(args.config)
    space = archgen.load("space", config.space.name, **config.space.options)
    data = dataset.build(space, config.data)
    train, heldout = data.train, data.heldout
    reference = GenerationReference.build(space, train, heldout)
    timings: dict[str, float] = {}

    if args.run_dir is not None:
        from archgen.pipeline.rundir import RunDirectory
        from archgen.pipeline.session import read_run_config

        run = RunDirectory(args.run_dir)
        saved = read_run_config(run)
        seed = saved["seeds_trained"][0]
        generator = archgen.load("generator", saved["generator"]["name"], **saved["generator"]["options"])
        generator.load(run.checkpoint_dir(seed), space, Runtime())
        training = run.read_json(f"checkpoints/seed-{seed}/training.json", "train the run first")
        timings["vqvae_seconds_per_epoch"] = training["vqvae_seconds_per_epoch"]
        timings["prior_seconds_per_epoch"] = training["prior_seconds_per_epoch"]
        source = f"trained run {args.run_dir}"
    else:
        options = dict(config.generator.options)
        generator = archgen.load("generator", config.generator.name, **{**options, "vqvae_epochs": 1, "prior_epochs": 1})
        stats = generator.fit(space, train, runtime=Runtime(), seed=0)
        timings["vqvae_seconds_per_epoch"] = stats["vqvae_seconds_per_epoch"]
        timings["prior_seconds_per_epoch"] = stats["prior_seconds_per_epoch"]
        source = "1-epoch model trained here (timings, not quality)"

    def fast() -> SampleBatch:
        batch = generator.sample(space, args.n, temperature=args.temperature, seed=0)
        evaluate_samples(space, batch, reference)
        return batch

    fast()  # warm-up: allocator and kernels
    fast_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        batch = fast()
        fast_times.append(time.perf_counter() - started)
    started = time.perf_counter()
    naive_generation(generator, space, reference, args.n, args.temperature, 0)
    naive_seconds = time.perf_counter() - started

    timings["fast_seconds"] = float(np.median(fast_times))
    timings["baseline_seconds"] = naive_seconds
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "benchmark": "generation",
        "space": space.name,
        "model": source,
        "n": args.n,
        "temperature": args.temperature,
        "well_formed_share": float(batch.well_formed.mean()),
        "timings": timings,
        "speedup": naive_seconds / timings["fast_seconds"],
        "target_seconds": 2.0,
        "peak_rss_mib": peak_mib,
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
                    "cpus": os.cpu_count()},
    }
    rows = [
        (f"sample+decode+validate+key {args.n} (batched, median of {args.repeats})", f"{timings['fast_seconds']:.3f} s"),
        ("same work, plain loop (no KV cache, one by one)", f"{naive_seconds:.3f} s"),
        ("speed-up", f"{result['speedup']:.1f}x"),
        ("target (2-core CPU)", "<= 2.000 s"),
    ]
    if "vqvae_seconds_per_epoch" in timings:
        rows += [("VQ-VAE training, s/epoch (train split)", f"{timings['vqvae_seconds_per_epoch']:.2f}"),
                 ("prior training, s/epoch (train split)", f"{timings['prior_seconds_per_epoch']:.2f}")]
    rows.append(("peak RSS", f"{peak_mib:.0f} MiB"))
    width = max(len(r[0]) for r in rows)
    print(f"archgen generation benchmark ({space.name}, {source}, torch threads {torch.get_num_threads()})")
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
