"""The commands behind ``archgen``: train, generate, evaluate, sweep and run (all of them), each staged."""
