"""archgen.nn.kv_cache: appends in place and returns every position so far."""

import torch

from archgen.nn import KVCache


def test_append_fills_in_order_and_returns_views_of_the_filled_part():
    like = torch.zeros(1, dtype=torch.float64)
    cache = KVCache(2, 3, 5, 4, like)
    assert cache.keys.shape == (2, 3, 5, 4) and cache.keys.dtype == torch.float64 and cache.filled == 0
    k1, v1 = torch.randn(2, 3, 2, 4, dtype=torch.float64), torch.randn(2, 3, 2, 4, dtype=torch.float64)
    k2, v2 = torch.randn(2, 3, 1, 4, dtype=torch.float64), torch.randn(2, 3, 1, 4, dtype=torch.float64)
    cache.append(k1, v1)
    keys, values = cache.append(k2, v2)
    assert cache.filled == 3
    assert torch.equal(keys, torch.cat([k1, k2], 2)) and torch.equal(values, torch.cat([v1, v2], 2))
    assert keys.data_ptr() == cache.keys.data_ptr()  # a view: no copy per step


def test_resetting_filled_reuses_the_cache():
    cache = KVCache(1, 1, 2, 1, torch.zeros(1))
    cache.append(torch.ones(1, 1, 2, 1), torch.ones(1, 1, 2, 1))
    cache.filled = 0
    keys, _ = cache.append(torch.full((1, 1, 1, 1), 5.0), torch.zeros(1, 1, 1, 1))
    assert keys.flatten().tolist() == [5.0]
