"""Why Arch-VQ reconstructs no MBV3 chain, and what each node-position option of the GIN changes.

MBV3's graph is one fixed 22-node chain (``input``, 20 block slots, ``output``); only the ops vary.
Arch-VQ's decoder reads an edge from ``σ(z_iᵀ z_j)`` (arch-vq.md eq. 4), so the node vectors must
sit in one geometry: each neighbour pair acute, every other pair obtuse. Free vectors reach it from
D = 12 (``benchmarks/arch_vq_decoder_capacity.py``); a GIN's output does not, because each node's
vector also carries its five-hop neighbourhood of ops. This script trains the VQ-VAE of
``examples/mbv3-arch-vq.toml`` (same encoder, quantizer, learning rate and schedule; the prior is
skipped) on a sample of MBV3 for each encoder variant, in one process, and prints the held-out share
of architectures whose edges, ops, and both come back exactly:

* ``paper``: the GIN of arch-vq.md (node index unseen);
* ``position_features``: the node index one-hot appended to the GIN's input;
* ``position_embedding``: a learned vector per node index added to ``Z_e`` (gain 10, the default);
* ``position_embedding, gain 1``: the same vector moving at the GIN's learning rate.

    python benchmarks/arch_vq_mbv3_positions.py [--train 8000] [--epochs 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from archgen.atomic import write_json
from archgen.device import cpu_model
from archgen.registry import load

VARIANTS: dict[str, dict[str, object]] = {
    "paper": {},
    "position_features": {"position_features": True},
    "position_embedding": {"position_embedding": True},
    "position_embedding, gain 1": {"position_embedding": True, "position_embedding_gain": 1.0},
}



def generator_options(encoder_options: dict[str, object], epochs: int) -> dict[str, object]:
    """examples/mbv3-arch-vq.toml's generator options with the encoder variant and no prior training."""
    return {
        "vqvae_epochs": epochs, "vqvae_batch_size": 64, "vqvae_lr": 7e-4, "vqvae_schedule": "cosine",
        "vqvae_warmup": 0.02, "prior_epochs": 0,
        "encoder": {"name": "gin", "options": {"hidden_dims": [128, 128, 128, 128, 16], **encoder_options}},
        "quantizer": {"name": "ema", "options": {"codebook_size": 512, "dim": 16, "beta": 0.25, "decay": 0.99}},
        "prior": {"name": "transformer", "options": {"layers": 4, "heads": 4}},
    }


def score(generator, space, archs) -> dict[str, float]:
    """Held-out percentages of architectures whose edges, ops, and both are reconstructed exactly."""
    adjacency, ops = generator.reconstruct(space, archs)
    target_adjacency, target_ops = space.to_tensors(archs)
    edges = (adjacency == target_adjacency.numpy().astype(np.uint8)).all((1, 2))
    op_match = ops == target_ops.numpy().argmax(-1)
    return {
        "edges_exact": 100.0 * float(edges.mean()),
        "ops_exact": 100.0 * float(op_match.all(1).mean()),
        "op_accuracy": 100.0 * float(op_match.mean()),
        "reconstruction": 100.0 * float((edges & op_match.all(1)).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=8000, help="training architectures (held-out: a tenth of this)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names from: " + ", ".join(VARIANTS))
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/arch_vq_mbv3_positions.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # small dense ops: one thread is as fast and does not fight other work
    names = [name.strip() for name in args.variants.split(",")]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from: {', '.join(VARIANTS)}")
    space = load("space", "mbv3")
    archs = space.sample(args.train + args.train // 10, seed=args.seed)
    train, held_out = archs[: args.train], archs[args.train :]
    print(f"MBV3, {len(train)} training / {len(held_out)} held-out architectures, {args.epochs} epochs, seed {args.seed}; "
          f"{cpu_model()}, fp32, 1 thread")
    print("| encoder | edges exact | ops exact | op accuracy | reconstruction | train s |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in names:
        generator = load("generator", "arch_vq", **generator_options(VARIANTS[name], args.epochs))
        started = time.perf_counter()
        generator.fit(space, train, seed=args.seed)
        seconds = time.perf_counter() - started
        figures = score(generator, space, held_out)
        print(f"| {name} | {figures['edges_exact']:.2f} | {figures['ops_exact']:.2f} | {figures['op_accuracy']:.2f} | "
              f"{figures['reconstruction']:.2f} | {seconds:.0f} |", flush=True)
        rows.append({"encoder": name, "options": VARIANTS[name], **figures, "train_seconds": seconds})
    print("(held-out %; 'edges exact': the whole chain and no other edge; 'op accuracy': per node)")
    write_json(args.output, {
        "train": len(train), "held_out": len(held_out), "epochs": args.epochs, "seed": args.seed,
        "cpu": cpu_model(), "precision": "fp32", "threads": 1, "rows": rows,
    })
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
