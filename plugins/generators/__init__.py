"""Generators (``archgen.generators``): methods that learn a space and sample new architectures from it.

Each generator satisfies :class:`archgen.protocols.Generator`; a folder here is one method, composed of
the slot plugins (encoders, quantizers, priors) and core's building blocks.
"""
