"""Quantizers (``archgen.quantizers``): node embeddings to discrete codes (or a continuous stand-in)."""
