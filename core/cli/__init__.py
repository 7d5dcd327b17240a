"""The ``archgen`` command line."""
