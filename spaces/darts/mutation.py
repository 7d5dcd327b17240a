"""The DARTS mutation rule of BANANAS and NASLib, on one cell.

``naslib/search_spaces/darts/graph.py``, ``mutate``: one of the cell's eight
``(op, input)`` pairs changes, with equal odds, either its op (to another of
the 7) or its input (to another earlier node that the node's other pair does
not read).
"""

from __future__ import annotations

import random

from archgen.spaces.darts.genotype import CELL_INPUTS, OPERATIONS, STEPS, Cell


def redraw_one_pair(cell: Cell, rng: random.Random) -> Cell | None:
    """``cell`` with one pair's op or input redrawn, or ``None`` when the drawn pair has no other input.

    The caller redraws on ``None`` and on a child equal to the parent up to pair order.
    """
    pairs = list(cell)
    position = rng.randrange(2 * STEPS)
    op, source = pairs[position]
    if rng.randrange(2) == 0:
        op = rng.choice([o for o in OPERATIONS if o != op])
    else:
        sibling = pairs[position ^ 1][1]
        choices = [i for i in range(CELL_INPUTS + position // 2) if i not in (source, sibling)]
        if not choices:
            return None
        source = rng.choice(choices)
    pairs[position] = (op, source)
    return tuple(pairs)
