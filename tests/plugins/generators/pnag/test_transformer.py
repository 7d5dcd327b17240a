"""The next-scale transformer: block-causal over scales, and its cached sampler agrees with its forward pass."""

import pytest
import torch

from archgen.plugins.generators.pnag.transformer import NextScaleTransformer

SCALES = [2, 3, 5]  # 3 + 6 + 15 = 24 tokens


@pytest.fixture
def model():
    torch.manual_seed(0)
    codebook = torch.randn(12, 4)
    model = NextScaleTransformer(codebook, SCALES, d_model=16, layers=2, heads=2, dropout=0.0).eval()
    # Non-trivial weights everywhere (the default init keeps logits near uniform).
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    return model


def test_a_scale_sees_only_coarser_scales(model):
    codes = torch.randint(0, 12, (3, 24), generator=torch.Generator().manual_seed(1))
    changed = codes.clone()
    changed[:, 3:9] = (changed[:, 3:9] + 1) % 12  # the second scale's tokens
    before, after = model(codes), model(changed)
    # Logits of scales 1 and 2 are predictions *of* those tokens, so they may not read them.
    assert torch.equal(before[:, :9], after[:, :9])
    assert not torch.allclose(before[:, 9:], after[:, 9:])


def test_cached_scale_by_scale_sampling_matches_the_full_forward_pass(model):
    # top_k = 1 is greedy: every drawn token must be the argmax of the teacher-forced logits.
    codes = model.sample(16, temperature=1.0, top_k=1, top_p=None, generator=torch.Generator().manual_seed(0))
    assert codes.shape == (16, 24)
    assert torch.equal(model(codes).argmax(-1), codes)


def test_sampling_is_seeded_and_filters_hold(model):
    draw = lambda seed, **k: model.sample(64, temperature=1.0, generator=torch.Generator().manual_seed(seed), **({"top_k": None, "top_p": None} | k))  # noqa: E731
    assert torch.equal(draw(3), draw(3)) and not torch.equal(draw(3), draw(4))
    greedy = draw(0, top_k=1)
    assert torch.equal(greedy, draw(1, top_k=1)) and torch.equal(greedy, draw(2, top_p=1e-6))
    # top_k = 2: each token is one of the two most likely given the drawn prefix.
    two = draw(5, top_k=2)
    top2 = model(two).topk(2, dim=-1).indices
    assert ((top2 == two[..., None]).any(-1)).all()


def test_teacher_forced_loss_decreases_on_a_fixed_batch(model):
    codes = torch.randint(0, 12, (8, 24), generator=torch.Generator().manual_seed(2))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = model.loss(codes).item()
    for _ in range(30):
        optimizer.zero_grad()
        model.loss(codes).backward()
        optimizer.step()
    assert model.loss(codes).item() < 0.5 * first


@pytest.mark.parametrize("attention_dropout, expect_same", [(0.0, True), (0.5, False)])
def test_attention_dropout_is_its_own_option(attention_dropout, expect_same):
    # Residual dropout off, so only the attention weights can make two training passes differ.
    torch.manual_seed(0)
    model = NextScaleTransformer(torch.randn(12, 4), [2, 3], d_model=16, layers=2, heads=2, dropout=0.0,
                                 attention_dropout=attention_dropout).train()
    codes = torch.randint(0, 12, (5, model.sequence_length))
    assert torch.equal(model(codes), model(codes)) is expect_same
    assert all(block.attention_dropout == attention_dropout for block in model.blocks)


def test_attention_dropout_defaults_to_the_dropout():
    model = NextScaleTransformer(torch.randn(12, 4), [2, 3], d_model=16, layers=1, heads=2, dropout=0.3)
    assert [(block.attention_dropout, block.dropout.p) for block in model.blocks] == [(0.3, 0.3)]
    model = NextScaleTransformer(torch.randn(12, 4), [2, 3], d_model=16, layers=1, heads=2, dropout=0.3, attention_dropout=0.0)
    assert [(block.attention_dropout, block.dropout.p) for block in model.blocks] == [(0.0, 0.3)]


@pytest.fixture
def sequential_model():
    """SCALES with the finest two scales (6 + 15 tokens) drawn token by token."""
    torch.manual_seed(0)
    model = NextScaleTransformer(torch.randn(12, 4), SCALES, d_model=16, layers=2, heads=2, dropout=0.0, sequential_scales=2).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    return model


@pytest.mark.parametrize("changed_position", [3, 5, 8, 9, 14, 23])
def test_a_sequential_scale_is_causal_inside_and_block_causal_outside(sequential_model, changed_position):
    codes = torch.randint(0, 12, (3, 24), generator=torch.Generator().manual_seed(1))
    changed = codes.clone()
    changed[:, changed_position] = (changed[:, changed_position] + 1) % 12
    before, after = sequential_model(codes), sequential_model(changed)
    # Tokens 3..8 and 9..23 are sequential scales: a token's logits may read the earlier tokens of
    # its own scale and every coarser token, never itself or a later one.
    assert torch.equal(before[:, : changed_position + 1], after[:, : changed_position + 1])
    if changed_position in (3, 5, 9, 14):  # not a scale's last token: the next one reads it as its input
        assert not torch.allclose(before[:, changed_position + 1], after[:, changed_position + 1])
    if changed_position == 8:  # the 3 x 3 scale's last token reaches the finer scale through ê
        assert not torch.allclose(before[:, 9:], after[:, 9:])


def test_the_parallel_first_scale_stays_block_causal(sequential_model):
    codes = torch.randint(0, 12, (3, 24), generator=torch.Generator().manual_seed(2))
    changed = codes.clone()
    changed[:, 0] = (changed[:, 0] + 1) % 12
    before, after = sequential_model(codes), sequential_model(changed)
    assert torch.equal(before[:, :3], after[:, :3])  # scale 1 (2 x 2) is drawn at once: no token reads another
    assert not torch.allclose(before[:, 3], after[:, 3])


@pytest.mark.parametrize("sequential_scales", [1, 2, 3])
def test_token_by_token_sampling_matches_the_full_forward_pass(sequential_scales):
    torch.manual_seed(3)
    model = NextScaleTransformer(torch.randn(12, 4), SCALES, d_model=16, layers=2, heads=2, dropout=0.0,
                                 sequential_scales=sequential_scales).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    # Greedy: each drawn token is the argmax of the teacher-forced logits given the drawn prefix,
    # including the previous-token inputs of the sequential scales.
    codes = model.sample(70, temperature=1.0, top_k=1, top_p=None, generator=torch.Generator().manual_seed(0))
    assert torch.equal(model(codes).argmax(-1), codes)
    assert len({tuple(row) for row in codes.tolist()}) == 1  # greedy from identical inputs: one sequence
    # Sampled: every token lies in the top 2 of its teacher-forced logits, and the draw is seeded.
    two = model.sample(70, temperature=1.0, top_k=2, top_p=None, generator=torch.Generator().manual_seed(5))
    assert ((model(two).topk(2, dim=-1).indices == two[..., None]).any(-1)).all()
    again = model.sample(70, temperature=1.0, top_k=2, top_p=None, generator=torch.Generator().manual_seed(5))
    assert torch.equal(two, again) and len({tuple(row) for row in two.tolist()}) > 1


def test_sequential_draws_do_not_depend_on_the_tile_or_the_threads(sequential_model, monkeypatch):
    from archgen.plugins.generators.pnag import transformer

    assert transformer.SEQUENTIAL_SAMPLE_TILE >= 150  # the first draw is one tile
    draw = lambda workers: sequential_model.draw(  # noqa: E731
        150, temperature=1.0, top_k=None, top_p=None, generator=torch.Generator().manual_seed(4), workers=workers)
    codes, e_hat = draw(1)
    monkeypatch.setattr(transformer, "SEQUENTIAL_SAMPLE_TILE", 16)
    for workers in (1, 3):
        tiled_codes, tiled_e_hat = draw(workers)
        assert torch.equal(codes, tiled_codes) and torch.equal(e_hat, tiled_e_hat)


def test_sequential_scales_beyond_the_scales_are_refused():
    with pytest.raises(ValueError, match=r"sequential_scales must be 0\.\.3 .* got 4"):
        NextScaleTransformer(torch.randn(12, 4), SCALES, d_model=16, layers=1, heads=2, dropout=0.0, sequential_scales=4)
    parallel = NextScaleTransformer(torch.randn(12, 4), SCALES, d_model=16, layers=1, heads=2, dropout=0.0)
    assert parallel.previous_token is None and "previous_token.weight" not in parallel.state_dict()  # old checkpoints still load
