"""EMA vector quantizer: nearest-code lookup, the EMA equations, straight-through gradients, restarts."""

import torch

from archgen.plugins.quantizers.ema import EMAQuantizer, EMAQuantizerOptions


def _quantizer(**options):
    torch.manual_seed(0)
    return EMAQuantizer(EMAQuantizerOptions(codebook_size=4, dim=2, **options))


def test_nearest_code_is_the_l2_argmin():
    q = _quantizer()
    z = torch.randn(50, 2)
    brute = torch.cdist(z, q.embedding).argmin(1)
    assert torch.equal(q.nearest(z), brute)


def test_ema_update_follows_equations_6_and_7():
    q = _quantizer(decay=0.9, epsilon=1e-5, dead_code_threshold=0.0)
    q.embedding.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0], [10.0, -10.0]]))
    q.embedding_sum.copy_(q.embedding)
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
    q.train()(z)
    # N_i = 0.9 * 1 + 0.1 * n_i ; m_i = 0.9 * m_i + 0.1 * sum of assigned z
    assert torch.allclose(q.cluster_size, torch.tensor([1.1, 1.0, 0.9, 0.9]))
    m0 = torch.tensor([0.1, 0.1])
    m1 = 0.9 * torch.tensor([10.0, 10.0]) + 0.1 * torch.tensor([9.0, 9.0])
    n = q.cluster_size.sum()
    smoothed = (q.cluster_size + 1e-5) / (n + 4 * 1e-5) * n
    assert torch.allclose(q.embedding[0], m0 / smoothed[0])
    assert torch.allclose(q.embedding[1], m1 / smoothed[1])


def test_straight_through_gradient_and_commitment_loss():
    q = _quantizer(beta=0.25).eval()
    z = torch.randn(6, 2, requires_grad=True)
    out = q(z)
    assert torch.allclose(out.z_q, q.lookup(out.indices))
    assert torch.allclose(out.loss, 0.25 * ((z - q.lookup(out.indices)) ** 2).mean())
    out.z_q.sum().backward()
    assert torch.allclose(z.grad, torch.ones_like(z))  # identity gradient through the quantizer


def test_dead_codes_are_restarted_and_counted():
    q = _quantizer(decay=0.5, dead_code_threshold=0.3)
    z = torch.zeros(8, 2)  # every vector picks the same code; the others decay
    for _ in range(3):
        q.train()(z)
    assert int(q.restarts) == 3  # the three unused codes fell below 0.3 after two halvings
    assert (q.embedding == 0).all(1).sum() >= 3
