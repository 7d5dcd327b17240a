"""Performance predictors (``archgen.predictors``): architectures to a scalar, trained on an oracle's labels."""
