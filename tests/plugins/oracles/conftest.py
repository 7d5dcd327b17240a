"""Shared pieces of the training-oracle tests: a tiny NB201 network on scikit-learn's digits."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the digits dataset is scikit-learn's (pip install 'archgen[sklearn]')")

#: A 1-epoch recipe on a small NB201 network: about a second per training on one CPU thread.
TINY = {"epochs": 1, "batch_size": 64, "lr": 0.05, "model": {"C": 4, "N": 1}}


def search_toml(store: Path, *, searcher: str = "random", budget: int = 6, executor: str = "serial", workers: int = 1,
                recipe: dict | None = None) -> str:
    """A registry that searches NB201 with the training oracle on digits."""
    recipe = {**TINY, **(recipe or {})}
    model = ", ".join(f"{key} = {value}" for key, value in recipe.pop("model").items())
    lines = "\n".join(f"{key} = {value}" for key, value in recipe.items())
    return f"""
[run]
name = "train-search"
device = "cpu"
seed = 0

[space]
name = "nb201"

[searcher]
name = "{searcher}"

[search]
signal = "valid"
report = "test"
budget = {budget}
trials = 1
checkpoints = [{budget}]

[search.oracle]
name = "train"

[search.oracle.options]
dataset = {{ name = "digits" }}
model = {{ {model} }}
store = "{store}"
executor = "{executor}"
workers = {workers}
{lines}
"""
