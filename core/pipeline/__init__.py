"""The steps behind ``archgen run``: train, generate, evaluate, sweep."""
