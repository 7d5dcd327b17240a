"""autoformer search space."""
