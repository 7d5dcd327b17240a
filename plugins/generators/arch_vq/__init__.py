"""Arch-VQ (arch-vq.md): a VQ-VAE over cell graphs composed with a prior over its code sequences.

The generator lives in :mod:`archgen.plugins.generators.arch_vq.generator`; it imports only core and the
slot folders (encoders, quantizers, priors), never another method package.
"""
