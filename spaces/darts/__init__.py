"""darts search space."""
