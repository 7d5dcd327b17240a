"""mbv3 search space."""
