"""arch_llm: the generator kit, infilling, text tokens and the composition's options."""

import numpy as np
import pytest

import archgen
from archgen.errors import ConfigError
from archgen.plugins.generators.arch_llm.generator import PAPER, ArchLLM
from archgen.protocols import Infills
from archgen.registry import validate_options
from archgen.testing import check_generator


@pytest.fixture(scope="module")
def space():
    return archgen.load("space", "nb201")


@pytest.fixture(scope="module")
def trained(space):
    generator = archgen.load("generator", "arch_llm", **ArchLLM.TEST_OPTIONS)
    generator.fit(space, space.sample(200, seed=0), seed=0)
    return generator


def test_the_generator_kit_passes(space):
    factory = lambda: archgen.load("generator", "arch_llm", **ArchLLM.TEST_OPTIONS)  # noqa: E731
    check_generator(factory, space, space.sample(200, seed=0), validation=space.sample(20, seed=1))
    check_generator(factory, space, space.sample(200, seed=0), sampling={"constrained": True, "temperature": 3.0})


def test_infill_keeps_the_unmasked_codes_and_decodes_the_rest(space, trained):
    assert isinstance(trained, Infills)
    codes = trained.encode(space, space.sample(50, seed=2))
    mask = np.zeros_like(codes, dtype=bool)
    mask[:, [1, 4]] = True
    batch = trained.infill(space, codes, mask, seed=0, constrained=True)
    assert batch.well_formed.all()
    filled = np.array([[int(w) for w in text.split()] for text in batch.tokens])
    assert (filled[~mask] == codes[~mask]).all()
    adjacency, ops = trained.decode_codes(filled)
    assert np.array_equal(batch.adjacency, adjacency) and np.array_equal(batch.op_indices, ops)


def test_samples_keep_the_text_the_model_wrote(space, trained):
    free = trained.sample(space, 300, seed=0, temperature=8.0)
    assert not free.well_formed.all()  # at this temperature it writes sentinels and wrong lengths
    for text, ok in zip(free.tokens, free.well_formed):
        words = text.split()
        assert ok == (len(words) == space.max_nodes and all(w.isdigit() for w in words))
    assert trained.sample(space, 300, seed=0, temperature=8.0, constrained=True).well_formed.all()


def test_options_given_are_merged_over_the_paper_settings():
    options = validate_options("generator", "arch_llm", {"base": {"name": "arch_vq", "options": {"prior_epochs": 5}}})
    assert options.base.options["prior_epochs"] == 5
    assert options.base.options["prior"] == PAPER["prior"]
    tweaked = validate_options("generator", "arch_llm", {"base": {"options": {"prior": {"options": {"lr": 0.1}}}}})
    assert tweaked.base.options["prior"]["options"] == {**PAPER["prior"]["options"], "lr": 0.1}
    gpt2 = {"model": "gpt2", "config": {"n_embd": 64}}
    swapped = validate_options("generator", "arch_llm", {"base": {"options": {"prior": {"options": gpt2}}}})
    assert swapped.base.options["prior"]["options"]["config"] == {"n_embd": 64}  # not merged with the T5 keys


def test_a_prior_that_cannot_infill_is_refused():
    with pytest.raises(ConfigError, match="'transformer' does not"):
        validate_options("generator", "arch_llm", {"base": {"options": {"prior": {"name": "transformer"}}}})


def test_bad_llm_options_deep_in_the_tree_name_the_path(tmp_path):
    with pytest.raises(ConfigError, match="generator 'arch_llm' > generator 'arch_vq' > prior 'llm'.*does not exist"):
        validate_options("generator", "arch_llm", {"base": {"options": {"prior": {"options": {"model": str(tmp_path / "none")}}}}})
