"""Why Arch-VQ reconstructed no MBV3 chain, and what each change of ``examples/mbv3-arch-vq.toml`` does.

MBV3's graph is one fixed 22-node chain (``input``, 20 block slots, ``output``); only the ops vary.
Arch-VQ's decoder reads an edge from ``σ(z_iᵀ z_j)`` (arch-vq.md eq. 4), so the node vectors must
sit in one geometry: each neighbour pair acute, every other pair obtuse. Free vectors reach it from
D = 12 (``benchmarks/arch_vq_decoder_capacity.py``); a GIN's output does not, because each node's
vector also carries its five-hop neighbourhood of ops. This script trains the VQ-VAE of a profile
(``--profile``, default ``examples/mbv3-arch-vq.toml``: its space and generator options, read from
the file; the prior is skipped) on a sample of the space once per variant, in one process, and
prints the held-out share of architectures whose edges, ops, and both come back exactly:

* ``profile``: the file as it is (GIN ``position_embedding``, ``dead_code_threshold = 1.0``,
  ``vqvae_lr = 3e-3``);
* ``paper encoder``: the profile without ``position_embedding`` (the GIN of arch-vq.md);
* ``position_features``: the profile with the node index one-hot at the GIN's input instead;
* ``gain 1``: the profile's position vectors moving at the GIN's learning rate;
* ``dead codes at 1e-3``: the profile with the quantizer's default restart threshold;
* ``lr 7e-4``: the profile at registry.toml's NB201 learning rate.

    python benchmarks/arch_vq_positions.py [--profile examples/mbv3-arch-vq.toml] [--train 8000] [--epochs 20]

The AutoFormer-T chain: ``--profile examples/autoformer-arch-vq.toml``.
"""

from __future__ import annotations

import argparse
import copy
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archgen.atomic import write_json
from archgen.device import cpu_model
from archgen.registry import load

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "mbv3-arch-vq.toml"

#: name -> (encoder option changes, quantizer option changes, generator option changes) to the profile.
VARIANTS: dict[str, tuple[dict[str, object], dict[str, object], dict[str, object]]] = {
    "profile": ({}, {}, {}),
    "paper encoder": ({"position_embedding": False}, {}, {}),
    "position_features": ({"position_embedding": False, "position_features": True}, {}, {}),
    "gain 1": ({"position_embedding_gain": 1.0}, {}, {}),
    "dead codes at 1e-3": ({}, {"dead_code_threshold": 1e-3}, {}),
    "lr 7e-4": ({}, {}, {"vqvae_lr": 7e-4}),
}


def generator_options(profile: dict[str, Any], variant: str, epochs: int) -> dict[str, Any]:
    """``profile``'s generator options with ``variant``'s changes, ``epochs`` VQ-VAE epochs and no prior."""
    options = copy.deepcopy(profile["generator"]["options"])
    encoder_changes, quantizer_changes, generator_changes = VARIANTS[variant]
    options["encoder"]["options"].update(encoder_changes)
    options["quantizer"]["options"].update(quantizer_changes)
    return {**options, **generator_changes, "vqvae_epochs": epochs, "prior_epochs": 0}


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
    parser.add_argument("--profile", type=Path, default=PROFILE, help="an arch_vq run configuration")
    parser.add_argument("--train", type=int, default=8000, help="training architectures (held-out: a tenth of this)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names from: " + ", ".join(VARIANTS))
    parser.add_argument("--output", type=Path, default=None, help="default: benchmarks/results/arch_vq_positions_<space>.json")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small dense ops: one thread is as fast and does not fight other work
    names = [name.strip() for name in args.variants.split(",")]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from: {', '.join(VARIANTS)}")
    profile = tomllib.loads(args.profile.read_text(encoding="utf-8"))
    space_name = profile["space"]["name"]
    space = load("space", space_name, **profile["space"].get("options", {}))
    output = args.output or ROOT / "benchmarks" / "results" / f"arch_vq_positions_{space_name}.json"
    archs = space.sample(args.train + args.train // 10, seed=args.seed)
    train, held_out = archs[: args.train], archs[args.train :]
    print(f"{args.profile.name} ({space_name}), {len(train)} training / {len(held_out)} held-out architectures, {args.epochs} epochs, seed {args.seed}; "
          f"{cpu_model()}, fp32, 1 thread")
    print("| variant | edges exact | ops exact | op accuracy | reconstruction | train s |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in names:
        generator = load("generator", "arch_vq", **generator_options(profile, name, args.epochs))
        started = time.perf_counter()
        generator.fit(space, train, seed=args.seed)
        seconds = time.perf_counter() - started
        figures = score(generator, space, held_out)
        print(f"| {name} | {figures['edges_exact']:.2f} | {figures['ops_exact']:.2f} | {figures['op_accuracy']:.2f} | "
              f"{figures['reconstruction']:.2f} | {seconds:.0f} |", flush=True)
        rows.append({"variant": name, "generator_options": generator_options(profile, name, args.epochs), **figures, "train_seconds": seconds})
    print("(held-out %; 'edges exact': the whole chain and no other edge; 'op accuracy': per node)")
    write_json(output, {
        "profile": str(args.profile), "space": space_name, "train": len(train), "held_out": len(held_out), "epochs": args.epochs, "seed": args.seed,
        "cpu": cpu_model(), "precision": "fp32", "threads": 1, "rows": rows,
    })
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
