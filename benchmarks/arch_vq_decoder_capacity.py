"""How wide must Arch-VQ's node vectors be for its decoder to hold a space's graphs at all?

Arch-VQ decodes edges as ``P(A_ij = 1) = σ(z_iᵀ z_j)`` (arch-vq.md eq. 4) with no bias, so every
non-edge must come from an obtuse pair of node vectors. Here the encoder and quantizer are taken
away: one free vector per node of each of ``--graphs`` sampled architectures is fitted by Adam to
the same binary cross-entropy the VQ-VAE uses (off-diagonal pairs of ``A + Aᵀ``), and the share of
graphs whose whole strict upper triangle comes out right is reported per width D. A width that
fails here fails with any encoder; one that succeeds says the encoder and quantizer, not the
decoder, are what a trained model lacks. (The paper's D is 16.)

    python benchmarks/arch_vq_decoder_capacity.py [--spaces mbv3,nb201,darts_cell] [--dims 4,8,12,16,32]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from archgen.atomic import write_json
from archgen.plugins.generators.arch_vq.vqvae import edge_loss, edges_from_logits
from archgen.registry import load


def fit_free_vectors(adjacency: torch.Tensor, dim: int, *, steps: int, seed: int) -> dict[str, float]:
    """Fits one free ``dim``-vector per node and scores the decoded adjacency.

    Args:
        adjacency: ``[B, N, N]`` directed 0/1 adjacency (strict upper triangle).
        dim: Width D of the node vectors.
        steps: Adam steps.
        seed: Seeds the initial vectors.

    Returns:
        The final loss and the percentage of graphs decoded exactly.
    """
    generator = torch.Generator().manual_seed(seed)
    vectors = torch.randn(*adjacency.shape[:2], dim, generator=generator).requires_grad_()
    optimiser = torch.optim.Adam([vectors], lr=0.05)
    for _ in range(steps):
        loss = edge_loss(vectors @ vectors.transpose(1, 2), adjacency)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        decoded = edges_from_logits(vectors @ vectors.transpose(1, 2))
        exact = (decoded == adjacency.to(torch.uint8)).flatten(1).all(1).float().mean().item()
    return {"loss": float(loss.item()), "exact_adjacency": 100.0 * exact}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", default="mbv3,nb201,darts_cell", help="comma-separated space names")
    parser.add_argument("--dims", default="4,8,12,16,32", help="comma-separated widths D")
    parser.add_argument("--graphs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/arch_vq_decoder_capacity.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # small dense ops: one thread is as fast and does not fight other work
    dims = [int(d) for d in args.dims.split(",")]
    rows = []
    print("| space | nodes | edges / graph | " + " | ".join(f"D = {d}" for d in dims) + " |")
    print("|---|---|---|" + "---|" * len(dims))
    for name in args.spaces.split(","):
        space = load("space", name)
        adjacency, _ = space.to_tensors(space.sample(args.graphs, seed=args.seed))
        started = time.perf_counter()
        results = {d: fit_free_vectors(adjacency, d, steps=args.steps, seed=args.seed) for d in dims}
        edges = adjacency.sum((1, 2)).float().mean().item()
        cells = " | ".join(f"{results[d]['exact_adjacency']:.1f}" for d in dims)
        print(f"| {name} | {adjacency.shape[1]} | {edges:.1f} | {cells} |")
        rows.append({
            "space": name, "nodes": int(adjacency.shape[1]), "edges_per_graph": edges,
            "by_dim": {str(d): r for d, r in results.items()}, "seconds": time.perf_counter() - started,
        })
    print("(% of graphs whose strict upper triangle the bias-free decoder σ(z_iᵀ z_j) reproduces with free node vectors)")
    write_json(args.output, {"graphs": args.graphs, "steps": args.steps, "seed": args.seed, "rows": rows})
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
