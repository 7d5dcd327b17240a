"""Searchers: find the best architecture of a space for a budget of oracle queries.

Each searcher is a method of its own and satisfies :class:`archgen.protocols.Searcher`:
``search(space, oracle, *, seed, runtime)`` queries an
:class:`archgen.oracle.BudgetedOracle` until ``oracle.remaining == 0`` (or it
has nothing new to ask); the oracle keeps the trajectory.
"""
