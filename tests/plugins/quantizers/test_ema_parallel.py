"""EMA quantizer under data parallelism (two gloo processes on the CPU) and under autocast."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from archgen.plugins.quantizers.ema import EMAQuantizer, EMAQuantizerOptions

HERE = Path(__file__).resolve().parent


ALL_REDUCE = ({"codebook_size": 4, "dim": 2, "decay": 0.8, "dead_code_threshold": 0.0}, 3.0, 1, 12)
RESTARTS = ({"codebook_size": 4, "dim": 2, "decay": 0.5, "dead_code_threshold": 0.3}, 0.01, 2, 8)  # one code wins, three die


def _batch(scale: float, seed: int, rows: int) -> torch.Tensor:
    return torch.randn(rows, 2, generator=torch.Generator().manual_seed(seed)) * scale


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> list[list[dict]]:
    """Buffers after 3 steps of each scenario, per scenario per rank (one spawn for all: it costs seconds)."""
    directory = tmp_path_factory.mktemp("ddp")
    scenarios = [(options, _batch(scale, seed, rows), 3) for options, scale, seed, rows in (ALL_REDUCE, RESTARTS)]
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(HERE))  # the children import the worker by module name
        from ema_ddp_worker import quantize_shards

        mp.spawn(quantize_shards, args=(2, str(directory / "rendezvous"), str(directory / "state"), scenarios), nprocs=2, join=True)
    return [[torch.load(directory / f"state.{s}.{r}", weights_only=True) for r in range(2)] for s in range(len(scenarios))]


def test_ranks_all_reduce_ema_statistics_to_the_single_process_update(two_ranks):
    options, scale, seed, rows = ALL_REDUCE
    ranks = two_ranks[0]
    torch.manual_seed(0)
    single = EMAQuantizer(EMAQuantizerOptions(**options)).train()
    for _ in range(3):
        single(_batch(scale, seed, rows))  # the concatenated batch: both ranks' rows
    for key in ("embedding", "cluster_size", "embedding_sum"):
        assert torch.equal(ranks[0][key], ranks[1][key]), key  # identical codebooks on both ranks
        assert torch.allclose(ranks[0][key], single.state_dict()[key], atol=1e-6), key
    # Without the all-reduce each rank would have counted only its own 6 of the 12 vectors.
    assert torch.isclose(ranks[0]["cluster_size"].sum(), torch.tensor(4 * 0.8**3 + 12 * (1 - 0.8**3)))


def test_dead_code_restarts_stay_identical_across_ranks(two_ranks):
    ranks = two_ranks[1]
    assert int(ranks[0]["restarts"]) > 0
    for key, value in ranks[0].items():
        assert torch.equal(value, ranks[1][key]), key


def test_autocast_keeps_the_codebook_and_its_statistics_fp32():
    torch.manual_seed(0)
    quantizer = EMAQuantizer(EMAQuantizerOptions(codebook_size=8, dim=4, dead_code_threshold=0.0)).train()
    reference = EMAQuantizer(EMAQuantizerOptions(codebook_size=8, dim=4, dead_code_threshold=0.0)).train()
    reference.load_state_dict(quantizer.state_dict())
    z = torch.randn(32, 4, generator=torch.Generator().manual_seed(3)).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = quantizer(z.requires_grad_())
    expected = reference(z.detach().float())
    assert {b.dtype for b in quantizer.buffers() if b.is_floating_point()} == {torch.float32}
    assert out.z_q.dtype == torch.float32 and torch.equal(out.indices, expected.indices)
    # bf16 inputs are exact in fp32, so the autocast update equals the fp32 one bit for bit.
    assert torch.equal(quantizer.embedding, reference.embedding)
    assert sorted(quantizer.state_dict()) == ["cluster_size", "embedding", "embedding_sum", "restarts"]
