"""Neural building blocks shared by every model plugin: no plugin owns them.

The ``transformer`` prior, PNAG's next-scale transformer and the ``llm`` prior's decoder
all draw tokens the same way and two of them stack the same block; keeping these here
lets each plugin import core only, never another plugin's internals.
"""

from archgen.nn.kv_cache import KVCache
from archgen.nn.token_sampling import filter_logits, nucleus, sample_tokens
from archgen.nn.transformer_block import TransformerBlock, init_weights

__all__ = ["KVCache", "TransformerBlock", "filter_logits", "init_weights", "nucleus", "sample_tokens"]
