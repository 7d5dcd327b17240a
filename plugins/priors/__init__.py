"""Priors (``archgen.priors``): generative models of fixed-length code sequences."""
