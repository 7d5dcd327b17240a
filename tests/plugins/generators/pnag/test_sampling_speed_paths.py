"""PNAG's fast sampling paths draw exactly what the straightforward sampler drew.

The sampler is tiled on the CPU (rows processed in cache-sized tiles, the generator's numbers still drawn
scale by scale for the whole ``sample_batch_size`` chunk), folds the attention scale into the
query weights where that is exact, shares the first scale (whose inputs are the same for every
row) across tiles, and decodes the final feature map the transformer has already accumulated
instead of rebuilding it from the codes. None of that may change a single drawn token: the
reference below is the sampler as it was before those changes (commit ababb3d), written out with
the prior's own block, key/value cache and inverse-CDF token sampler, and the decode as it was
(every position of the map, then the upper triangle read); every test compares token for token
and bit for bit.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

import archgen
from archgen.plugins.generators.pnag import autoencoder as autoencoder_module
from archgen.plugins.generators.pnag import transformer as transformer_module
from archgen.plugins.generators.pnag.autoencoder import PositionDecoder
from archgen.plugins.generators.pnag.msq import interpolate, map_of, region_average, upper_positions
from archgen.plugins.generators.pnag.transformer import NextScaleTransformer
from archgen.nn import KVCache, filter_logits, sample_tokens


def _reference_upsampled(model: NextScaleTransformer, tokens: torch.Tensor, n: int) -> torch.Tensor:
    return interpolate(torch.nn.functional.embedding(map_of(tokens, n), model.codebook).permute(0, 3, 1, 2), model.size)


def _reference_inputs(model: NextScaleTransformer, step: int, e_hat: torch.Tensor | None, batch: int) -> torch.Tensor:
    n, length, start = model.scales[step], model.lengths[step], model.offsets[step]
    if step == 0:
        x = model.start.expand(batch, length, -1)
    else:
        rows, cols = upper_positions(n, e_hat.device)
        x = model.feature_in(region_average(e_hat, n)[:, :, rows, cols].transpose(1, 2))
    return x + model.position.weight[start : start + length] + model.level.weight[step]


@torch.no_grad()
def reference_sample(
    model: NextScaleTransformer, n: int, *, temperature: float, top_k: int | None, top_p: float | None, generator: torch.Generator
) -> torch.Tensor:
    """The untiled sampler of commit ababb3d: all ``n`` rows through every scale at once."""
    d_model = model.head.in_features
    caches = [KVCache(n, model.heads, model.sequence_length, d_model // model.heads, model.head.weight) for _ in model.blocks]
    e_hat, drawn = None, []
    for step, side in enumerate(model.scales):
        x = _reference_inputs(model, step, e_hat, n)
        for block, cache in zip(model.blocks, caches):
            x = block(x, cache)
        logits = model.head(model.norm(x)).float() / temperature
        codes = sample_tokens(torch.softmax(filter_logits(logits, top_k, top_p), -1), generator).squeeze(-1)
        drawn.append(codes)
        upsampled = _reference_upsampled(model, codes, side)
        e_hat = upsampled if e_hat is None else e_hat + upsampled
    return torch.cat(drawn, 1)


def _perturbed(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Non-trivial weights everywhere: the default initialisation keeps every logit near uniform."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator))
    return model.eval()


@pytest.fixture(params=[16, 32], ids=["head_dim_8", "head_dim_16_folded"])
def model(request) -> NextScaleTransformer:
    torch.manual_seed(0)
    model = NextScaleTransformer(torch.randn(24, 4), [2, 3, 5], d_model=request.param, layers=2, heads=2, dropout=0.0)
    assert model.folded_query_scale() == (request.param == 32)
    return _perturbed(model, 1)


def test_sampler_threads_record_no_autograd_graph(model, monkeypatch):
    # torch's grad mode is thread-local: a worker thread starts with it on, whatever draw() set.
    # With it on, every tile built an autograd graph through the key/value caches.
    grad_modes = []
    draw_tile = NextScaleTransformer._draw_tile

    def spy(self, *args, **kwargs):
        grad_modes.append(torch.is_grad_enabled())
        return draw_tile(self, *args, **kwargs)

    monkeypatch.setattr(NextScaleTransformer, "_draw_tile", spy)
    monkeypatch.setattr(transformer_module, "SAMPLE_TILE", 16)
    model.draw(100, temperature=1.0, top_k=None, top_p=None, generator=torch.Generator().manual_seed(0), workers=3)
    assert len(grad_modes) == 7 and not any(grad_modes)


@pytest.mark.parametrize("workers", [1, 3], ids=["one_thread", "three_threads"])
@pytest.mark.parametrize("n", [1, 7, 64, 300])
@pytest.mark.parametrize("knobs", [
    {"temperature": 1.0, "top_k": None, "top_p": None},
    {"temperature": 1.7, "top_k": None, "top_p": None},
    {"temperature": 0.6, "top_k": 5, "top_p": None},
    {"temperature": 1.0, "top_k": None, "top_p": 0.8},
])
def test_tiled_sampler_draws_the_reference_tokens(model, monkeypatch, n, knobs, workers):
    # A tile of 32 makes 300 rows ten tiles, the last one partial; the first scale is shared among them.
    # Three threads take 4, 3 and 3 of those tiles, the partial one among them.
    monkeypatch.setattr(transformer_module, "SAMPLE_TILE", 32)
    expected = reference_sample(model, n, generator=torch.Generator().manual_seed(11), **knobs)
    codes, e_hat = model.draw(n, generator=torch.Generator().manual_seed(11), workers=workers, **knobs)
    assert torch.equal(codes, expected)
    assert torch.equal(model.sample(n, generator=torch.Generator().manual_seed(11), **knobs), expected)
    # The accumulated map is the one the codes describe, bit for bit.
    reference_map = sum(_reference_upsampled(model, expected[:, s : s + k], side)
                        for s, k, side in zip(model.offsets, model.lengths, model.scales))
    assert torch.equal(e_hat, reference_map)


def test_generator_stream_is_left_where_the_reference_leaves_it(model, monkeypatch):
    # Chunks of sample_batch_size share one torch.Generator: the next chunk must start from the same state.
    monkeypatch.setattr(transformer_module, "SAMPLE_TILE", 16)
    reference, tiled = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    reference_sample(model, 50, temperature=1.0, top_k=None, top_p=None, generator=reference)
    model.draw(50, temperature=1.0, top_k=None, top_p=None, generator=tiled)
    assert torch.equal(reference.get_state(), tiled.get_state())


def test_power_of_two_attention_scale_is_folded_and_others_are_not():
    # head_dim 16: scale 1/4 is a power of two, so it may move into the query weights exactly.
    codebook = torch.randn(8, 4)
    assert NextScaleTransformer(codebook, [2, 3], d_model=32, layers=1, heads=2, dropout=0.0).folded_query_scale()
    # head_dim 8: scale 8^-0.5 is irrational; folding it would round differently.
    assert not NextScaleTransformer(codebook, [2, 3], d_model=16, layers=1, heads=2, dropout=0.0).folded_query_scale()


def reference_graphs(decoder: PositionDecoder, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``PositionDecoder.graphs`` of commit ababb3d: every position decoded, then the upper triangle read."""
    edge_logits, op_logits = decoder(feature)
    adjacency = torch.triu(edge_logits > 0, diagonal=1).to(torch.uint8)
    ops = op_logits.argmax(-1)
    return adjacency, torch.where(ops == decoder.num_ops, torch.full_like(ops, -1), ops)


@pytest.mark.parametrize("side", [1, 3, 8])
def test_upper_triangle_decode_matches_decoding_every_position(monkeypatch, side):
    monkeypatch.setattr(autoencoder_module, "DECODE_TILE", 16)  # 50 rows: four tiles, the last partial
    torch.manual_seed(0)
    decoder = _perturbed(PositionDecoder(channels=6, hidden=10, num_ops=4), 5)
    feature = torch.randn(50, 6, side, side)
    adjacency, ops = decoder.graphs(feature)
    expected_adjacency, expected_ops = reference_graphs(decoder, feature)
    assert adjacency.dtype == torch.uint8 and torch.equal(adjacency, expected_adjacency)
    assert torch.equal(ops, expected_ops)
    # Both kinds of output occur, so the comparison is not between two constant maps.
    assert set(ops.unique().tolist()) >= {-1, 0}
    if side > 1:
        assert 0 < int(adjacency.sum()) < 50 * side * (side - 1) // 2


def _old_pnag_sample(generator, space, n: int, seed: int, **knobs) -> tuple[np.ndarray, np.ndarray, list]:
    """``PNAG.sample`` as of ababb3d: reference draws per chunk, decoded from the codes."""
    knobs = {"temperature": 1.0, "top_k": None, "top_p": None} | knobs  # TokenSamplingOptions' defaults
    torch_generator = torch.Generator().manual_seed(seed)
    size = generator.options.sample_batch_size
    codes = torch.cat([reference_sample(generator.transformer, min(size, n - start), generator=torch_generator, **knobs)
                       for start in range(0, n, size)])
    quantizer = generator.autoencoder.quantizer
    adjacency, ops = reference_graphs(generator.autoencoder.decoder, quantizer.accumulate(quantizer.unflatten(codes)))
    return adjacency.numpy(), ops.numpy(), codes.tolist()


@pytest.mark.parametrize("workers", [1, 2], ids=["one_thread", "two_threads"])
@pytest.mark.parametrize("knobs", [{}, {"temperature": 2.0, "top_k": 20}])
def test_pnag_samples_match_the_reference_sampler_on_nb201(knobs, workers):
    # NB201-sized (116 tokens at scales 3..8, the default 2-layer d_model-32 transformer); chunks of
    # 500 rows so 1,200 samples take three chunks, the last partial, each several tiles.
    space = archgen.load("space", "nb201")
    torch.manual_seed(0)
    pnag = archgen.load("generator", "pnag", sample_batch_size=500, sample_workers=workers).build(space)
    _perturbed(pnag.transformer, 2)
    _perturbed(pnag.autoencoder, 3)
    pnag.transformer.codebook.copy_(pnag.autoencoder.quantizer.codebook.weight)  # as fit() leaves them
    adjacency, ops, tokens = _old_pnag_sample(pnag, space, 1200, seed=5, **knobs)
    batch = pnag.sample(space, 1200, seed=5, **knobs)
    assert batch.tokens == tokens
    assert np.array_equal(batch.adjacency, adjacency) and np.array_equal(batch.op_indices, ops)
    # The draws are not degenerate: the test would not notice a sampler that ignored its inputs otherwise.
    assert len({hashlib.sha1(bytes(np.asarray(t, dtype=np.int64))).hexdigest() for t in tokens}) > 1000


def test_codebooks_that_differ_decode_from_the_codes():
    # The transformer's frozen codebook is a copy; if the quantizer's has moved on (a half-trained
    # checkpoint, a hand-edited one) the decode must follow the quantizer, as decode_codes does.
    space = archgen.load("space", "nb201")
    torch.manual_seed(0)
    pnag = archgen.load("generator", "pnag", sample_batch_size=256).build(space)
    _perturbed(pnag.autoencoder, 4)  # the quantizer's codebook moves, the transformer's copy does not
    batch = pnag.sample(space, 300, seed=1)
    adjacency, ops = pnag.autoencoder.decode_codes(torch.tensor(batch.tokens))
    assert np.array_equal(batch.adjacency, adjacency.numpy()) and np.array_equal(batch.op_indices, ops.numpy())
