"""nb101 search space."""
