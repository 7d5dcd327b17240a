"""NAS-Bench-201 search space."""
