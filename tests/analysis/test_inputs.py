"""What every analysis reads from a run: the code sequences behind samples, list or text tokens."""

import numpy as np
import pytest

from archgen.analysis.inputs import sampled_codes
from archgen.errors import ConfigError
from archgen.generation import SampleBatch


def _batch(tokens, well_formed):
    n = len(tokens)
    return SampleBatch(
        adjacency=np.zeros((n, 2, 2), dtype=np.int8), op_indices=np.zeros((n, 2), dtype=np.int64),
        well_formed=np.asarray(well_formed), tokens=tokens, sampling={}, seed=0,
    )


def test_code_lists_and_language_model_text_give_the_same_codes():
    # arch_llm keeps the text its T5 wrote ("81 19 44"); arch_vq keeps the code list.
    as_lists = sampled_codes(_batch([[81, 19, 44], [1, 2, 3], [5, 5]], [True, True, False]), 3)
    as_text = sampled_codes(_batch(["81 19 44", "1 2 3", "5 5"], [True, True, False]), 3)
    for (codes, rows), (text_codes, text_rows) in [(as_lists, as_text)]:
        assert codes.tolist() == text_codes.tolist() == [[81, 19, 44], [1, 2, 3]]
        assert rows.tolist() == text_rows.tolist() == [0, 1]


@pytest.mark.parametrize("tokens", [["81 19 x"], ["81 19"], [None]])
def test_text_that_is_not_l_codes_is_refused(tokens):
    with pytest.raises(ConfigError, match="no code sequences of length 3"):
        sampled_codes(_batch(tokens, [True]), 3)
