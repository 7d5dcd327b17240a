"""PNAG (pnag.md): progressive, next-scale architecture generation with stepwise consistency.

An architecture's graph becomes a feature map ``e`` of ``C x N x N``; multi-scale quantization
(:mod:`~archgen.plugins.generators.pnag.msq`) turns it into token maps of ``n x n`` for ``n = 3 .. N`` over
one shared codebook; a block-causal transformer (:mod:`~archgen.plugins.generators.pnag.transformer`)
learns to predict each scale from the coarser ones. The generator lives in
:mod:`archgen.plugins.generators.pnag.generator`; docs/pnag.md records every design decision the paper
leaves open. Like every method package it imports only core and the slot folders.
"""
