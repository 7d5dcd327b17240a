"""archgen.nn.transformer_block: incremental decoding equals the full causal pass; names and init are stable."""

import torch
from torch import nn

from archgen.nn import KVCache, TransformerBlock, init_weights


def _block(seed: int = 0) -> TransformerBlock:
    torch.manual_seed(seed)
    block = TransformerBlock(16, 4, dropout=0.1)
    block.apply(init_weights)
    return block.eval()


@torch.no_grad()
def test_decoding_with_a_cache_equals_the_causal_forward():
    block = _block()
    x = torch.randn(3, 7, 16)
    full = block(x)
    cache = KVCache(3, 4, 7, 4, x)
    steps = [block(x[:, t : t + 1], cache) for t in range(7)]
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)


@torch.no_grad()
def test_a_chunk_through_the_cache_sees_itself_whole_as_the_block_causal_mask_says():
    # PNAG decodes a whole scale per pass: its tokens attend to each other and to every cached one.
    block, x = _block(3), torch.randn(2, 5, 16)
    cache = KVCache(2, 4, 5, 4, x)
    chunks = torch.cat([block(x[:, :2], cache), block(x[:, 2:], cache)], 1)
    levels = torch.tensor([0, 0, 1, 1, 1])
    mask = levels[:, None] >= levels[None, :]
    assert torch.allclose(chunks, block(x, mask=mask), atol=1e-5)


@torch.no_grad()
def test_a_mask_that_allows_only_the_past_equals_the_causal_default():
    block, x = _block(1), torch.randn(2, 5, 16)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    assert torch.allclose(block(x, mask=causal), block(x), atol=1e-6)


@torch.no_grad()
def test_the_mask_controls_what_a_position_sees():
    block, x = _block(2), torch.randn(1, 4, 16)
    # Block-diagonal: positions 0-1 and 2-3 attend within their pair; changing position 3 leaves 0-1 alone.
    mask = torch.block_diag(torch.ones(2, 2), torch.ones(2, 2)).bool()
    changed = x.clone()
    changed[:, 3] = torch.randn(16)  # not a constant shift, which the LayerNorm would remove
    assert torch.equal(block(x, mask=mask)[:, :2], block(changed, mask=mask)[:, :2])
    assert not torch.allclose(block(x, mask=mask)[:, 2], block(changed, mask=mask)[:, 2])


def test_state_dict_keys_are_the_ones_checkpoints_hold():
    keys = set(TransformerBlock(8, 2, 0.0).state_dict())
    assert keys == {
        "norm1.weight", "norm1.bias", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias",
        "norm2.weight", "norm2.bias", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias",
    }


def test_attention_dropout_defaults_to_the_residual_dropout():
    assert TransformerBlock(8, 2, 0.3).attention_dropout == 0.3
    assert TransformerBlock(8, 2, 0.3, attention_dropout=0.0).attention_dropout == 0.0


def test_init_weights_is_gpt2s():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(1000, 64), nn.Linear(64, 64), nn.LayerNorm(64))
    model[2].weight.data.fill_(2.0)
    model.apply(init_weights)
    assert abs(model[0].weight.std().item() - 0.02) < 0.002 and abs(model[1].weight.std().item() - 0.02) < 0.004
    assert torch.equal(model[1].bias, torch.zeros(64))
    assert torch.equal(model[2].weight, torch.full((64,), 2.0))  # not a linear or embedding layer: untouched


def test_the_prior_module_still_exports_the_blocks():
    # Code written before the move imported them from the transformer prior.
    from archgen.plugins.priors import transformer

    assert transformer.TransformerBlock is TransformerBlock and transformer.KVCache is KVCache
    assert transformer.init_weights is init_weights
