"""archgen.plugin_outputs: the checks every plugin output passes as it enters archgen.

Each rule is tested twice: a batch (or value) that keeps every rule passes -- hypothesis draws
them -- and each single corruption of a valid one fails with one line naming the plugin and that
rule, word for word.
"""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from archgen.errors import ArchgenError, PluginOutputError
from archgen.generation import SampleBatch
from archgen.plugin_outputs import (
    PluginRef,
    as_assertion,
    check_predictions,
    check_sample_batch,
    check_search_result,
    check_statistics,
)

SPACE = SimpleNamespace(name="toy", max_nodes=4, op_vocabulary=("input", "a", "b", "output"))
WHO = "generator 'toy'"
PREFIX = f"{WHO} broke the SampleBatch contract: "


class Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = 1.0


@st.composite
def valid_batches(draw):
    """A valid batch of the toy space: random strict upper triangles, ops in range, some rows not well formed."""
    n = draw(st.integers(0, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m, k = SPACE.max_nodes, len(SPACE.op_vocabulary)
    dtype = draw(st.sampled_from([np.uint8, np.int32, np.int64, np.bool_]))
    adjacency = np.triu(rng.integers(0, 2, size=(n, m, m)), 1).astype(dtype)
    ops = rng.integers(-1, k, size=(n, m))
    well_formed = rng.random(n) < 0.8
    adjacency[~well_formed] = 0
    ops[~well_formed] = draw(st.sampled_from([0, -1]))
    tokens = draw(st.sampled_from([None, "lists"]))
    tokens = None if tokens is None else [rng.integers(0, 9, 3).tolist() for _ in range(n)]
    return SampleBatch(adjacency, ops, well_formed, tokens, {"temperature": 0.5}, seed), n, seed


@settings(max_examples=60, deadline=None)
@given(valid_batches())
def test_every_valid_batch_passes(drawn):
    batch, n, seed = drawn
    assert check_sample_batch(batch, SPACE, n=n, seed=seed, plugin=WHO, sampling_model=Knobs) is batch


def _valid(n: int = 3) -> SampleBatch:
    adjacency = np.zeros((n, 4, 4), dtype=np.uint8)
    adjacency[:, 0, 1] = adjacency[:, 1, 3] = 1
    ops = np.tile(np.array([0, 1, 2, 3]), (n, 1))
    return SampleBatch(adjacency, ops, np.ones(n, dtype=bool), None, {"temperature": 1.0}, 7)


def _broken(change) -> SampleBatch:
    batch = _valid()
    adjacency, ops, well_formed = batch.adjacency.copy(), batch.op_indices.copy(), batch.well_formed.copy()
    fields = {"adjacency": adjacency, "op_indices": ops, "well_formed": well_formed, **(change(adjacency, ops, well_formed) or {})}
    return dataclasses.replace(batch, **fields)


def _set(array, index, value):
    array[index] = value


CORRUPTIONS = {
    "an edge below the diagonal": (
        lambda a, o, w: _set(a, (0, 3, 1), 1),
        "adjacency[0] has an edge below the diagonal (adjacency must be strict upper triangular)",
    ),
    "an edge on the diagonal": (
        lambda a, o, w: _set(a, (2, 2, 2), 1),
        "adjacency[2] has an edge on the diagonal (adjacency must be strict upper triangular)",
    ),
    "an adjacency value of 2": (lambda a, o, w: _set(a, (1, 0, 2), 2), "adjacency[1] holds 2 (adjacency must be 0/1)"),
    "float adjacency": (
        lambda a, o, w: {"adjacency": a.astype(np.float32)},
        "adjacency dtype float32, expected integers (0/1) or bool",
    ),
    "adjacency of another size": (
        lambda a, o, w: {"adjacency": a[:, :3, :3].copy()},
        "adjacency shape (3, 3, 3), expected (3, 4, 4) ([n, N, N], N = the space's max_nodes)",
    ),
    "an op index = K": (
        lambda a, o, w: _set(o, (1, 2), 4),
        "op index out of range -1..3 in op_indices[1]: 4 (the space has 4 ops; -1 marks padding)",
    ),
    "an op index below -1": (
        lambda a, o, w: _set(o, (0, 0), -2),
        "op index out of range -1..3 in op_indices[0]: -2 (the space has 4 ops; -1 marks padding)",
    ),
    "float op indices": (lambda a, o, w: {"op_indices": o.astype(float)}, "op_indices dtype float64, expected integers"),
    "well_formed as ints": (
        lambda a, o, w: {"well_formed": w.astype(np.int64)},
        "well_formed must be a bool array of shape (3,), got int64 (3,)",
    ),
    "a row not well formed with edges": (
        lambda a, o, w: (_set(w, 1, False), _set(o, 1, 0)) and None,
        "adjacency[1] has edges but well_formed[1] is False (a sample that is not well formed carries no graph: "
        "samples.jsonl stores none for it)",
    ),
    "a row not well formed with ops": (
        lambda a, o, w: (_set(w, 2, False), _set(a, 2, 0)) and None,
        "op_indices[2] holds ops but well_formed[2] is False (a sample that is not well formed carries no graph: "
        "its ops must be 0 or -1)",
    ),
    "another seed": (lambda a, o, w: {"seed": 8}, "it records seed 8, seed 7 was asked for"),
    "a seed that is a str": (lambda a, o, w: {"seed": "7"}, "the recorded seed is a str ('7'), not an int"),
    "tokens not JSON": (
        lambda a, o, w: {"tokens": [object()] * 3},
        "the tokens are not JSON-ready (Object of type object is not JSON serializable); "
        "use numbers, strings, booleans, None, lists and dicts with str keys",
    ),
    "unknown sampling option": (
        lambda a, o, w: {"sampling": {"temprature": 1.0}},
        "the recorded sampling options {'temprature': 1.0} must be JSON-ready and valid SamplingOptions "
        "(1 validation error for Knobs)",
    ),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_each_single_corruption_fails_naming_its_rule(corruption):
    change, rule = CORRUPTIONS[corruption]
    with pytest.raises(PluginOutputError) as caught:
        check_sample_batch(_broken(change), SPACE, n=3, seed=7, plugin=WHO, sampling_model=Knobs)
    assert str(caught.value) == PREFIX + rule
    assert caught.value.rule == rule and caught.value.contract == "SampleBatch"
    assert isinstance(caught.value, ArchgenError) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("returned", "shown"), [([], "a list"), (None, "None"), ((1, 2), "a tuple")])
def test_anything_but_a_sample_batch_is_refused(returned, shown):
    with pytest.raises(PluginOutputError) as caught:
        check_sample_batch(returned, SPACE, n=3, seed=7, plugin=WHO)
    assert str(caught.value) == PREFIX + f"sample() returned {shown}, not an archgen.generation.SampleBatch"


def test_a_batch_with_fewer_samples_than_asked_is_refused():
    with pytest.raises(PluginOutputError) as caught:
        check_sample_batch(_valid(2), SPACE, n=3, seed=7, plugin=WHO)
    assert str(caught.value) == PREFIX + "it holds 2 samples, 3 were asked for"


def test_a_numpy_seed_is_accepted_and_recorded_as_an_int():
    batch = dataclasses.replace(_valid(), seed=np.int64(7))
    checked = check_sample_batch(batch, SPACE, n=3, seed=7, plugin=WHO)
    assert type(checked.seed) is int and checked.seed == 7


def test_the_plugin_ref_names_the_distribution_that_provides_the_entry_point(install_plugin):
    install_plugin("toy_gen", "class Gen:\n    pass\n", {"archgen.generators": {"toy_gen": "toy_gen:Gen"}}, dist="archgen-toy")
    assert str(PluginRef("generator", "toy_gen")) == "generator 'toy_gen' (archgen-toy 1.2.3)"
    assert str(PluginRef("generator", "uniform")).startswith("generator 'uniform' (archgen ")
    assert str(PluginRef("generator", "not-installed")) == "generator 'not-installed' (distribution unknown)"


def test_of_two_distributions_offering_one_name_the_loaded_class_says_which(install_plugin):
    install_plugin("gen_one", "class Gen:\n    pass\n", {"archgen.generators": {"twin": "gen_one:Gen"}}, dist="archgen-one")
    install_plugin("gen_two", "class Gen:\n    pass\n", {"archgen.generators": {"twin": "gen_two:Gen"}}, dist="archgen-two")
    import gen_two

    assert str(PluginRef("generator", "twin", gen_two.Gen())) == "generator 'twin' (archgen-two 1.2.3)"
    assert str(PluginRef("generator", "archgen-one:twin")) == "generator 'archgen-one:twin' (archgen-one 1.2.3)"


# -- predictions ---------------------------------------------------------------------------------
def test_valid_predictions_pass_as_float64_tensors_included():
    assert check_predictions(np.array([1.0, 2.0], dtype=np.float32), 2, plugin="p").dtype == np.float64
    assert check_predictions(torch.tensor([0.5, 1.5]), 2, plugin="p").tolist() == [0.5, 1.5]


@pytest.mark.parametrize(("predictions", "rule"), [
    ([1.0, 2.0], "predict() returned a list, expected a numpy array of shape (2,)"),
    (np.zeros((2, 1)), "predictions shape (2, 1), expected (2,) (one per architecture)"),
    (np.zeros(3), "predictions shape (3,), expected (2,) (one per architecture)"),
    (np.array([1, 2]), "predictions dtype int64, expected floats"),
    (np.array([1.0, np.nan]), "prediction[1] is nan (1 non-finite values; predictions must be finite)"),
])
def test_broken_predictions_are_refused(predictions, rule):
    with pytest.raises(PluginOutputError) as caught:
        check_predictions(predictions, 2, plugin="predictor 'p'")
    assert str(caught.value) == f"predictor 'p' broke the Predictor contract: {rule}"


# -- statistics and search results ---------------------------------------------------------------
def test_statistics_convert_numpy_scalars_and_keep_json():
    stats = {"loss": np.float32(0.5), "epochs": np.int64(3), "ok": np.bool_(True), "log": [1, (2, 3)], "nan": float("nan")}
    checked = check_statistics(stats, plugin="p")
    assert checked["loss"] == 0.5 and type(checked["loss"]) is float and type(checked["epochs"]) is int
    assert checked["ok"] is True and checked["log"] == [1, [2, 3]]


@pytest.mark.parametrize(("stats", "rule"), [
    (None, "fit() statistics: fit() statistics are None, expected a dict with str keys"),
    ({1: 2.0}, "fit() statistics: statistics has the key 1 (int); JSON keys are str"),
    ({"counts": np.zeros(2)}, "fit() statistics: statistics['counts'] is a numpy array, not JSON-serialisable "
                              "(use numbers, strings, booleans, None, lists and dicts with str keys)"),
    ({"a": {"b": [{1, 2}]}}, "fit() statistics: statistics['a']['b'][0] is a set object, not JSON-serialisable "
                               "(use numbers, strings, booleans, None, lists and dicts with str keys)"),
])
def test_statistics_that_are_not_json_are_refused(stats, rule):
    with pytest.raises(PluginOutputError) as caught:
        check_statistics(stats, plugin="generator 'g'")
    assert str(caught.value) == f"generator 'g' broke the statistics contract: {rule}"


def test_search_results_convert_numpy_scalars_and_arrays():
    result = {"best": np.float64(93.5), "history": np.arange(3), "stopped": "budget"}
    assert check_search_result(result, plugin="s") == {"best": 93.5, "history": [0, 1, 2], "stopped": "budget"}
    assert check_search_result(None, plugin="s") is None


def test_a_search_result_that_is_an_arbitrary_object_is_refused():
    class Population:
        pass

    with pytest.raises(PluginOutputError) as caught:
        check_search_result({"population": Population()}, plugin="searcher 's'")
    assert str(caught.value) == (
        "searcher 's' broke the Searcher contract: the value search() returned is not JSON-ready: "
        "search()['population'] is a Population object, not JSON-serialisable "
        "(use numbers, strings, booleans, None, lists and dicts with str keys)"
    )


def test_a_self_referencing_result_is_refused_not_a_recursion_error():
    loop: list = []
    loop.append(loop)
    with pytest.raises(PluginOutputError, match="nests deeper than 64 levels"):
        check_search_result(loop, plugin="s")


def test_the_kits_see_the_same_text_as_an_assertion():
    with pytest.raises(AssertionError) as caught, as_assertion():
        check_sample_batch([], SPACE, n=3, seed=7, plugin="Gen.sample(n=3, seed=7)")
    assert str(caught.value) == "Gen.sample(n=3, seed=7) broke the SampleBatch contract: sample() returned a list, not an archgen.generation.SampleBatch"


# -- plugins handed to core code as objects (guided sampling inside a searcher) ------------------
def test_a_plugin_handed_over_as_an_object_is_named_by_its_entry_point(install_plugin):
    from archgen.plugin_outputs import handed_over

    install_plugin("toy_obj", "class Gen:\n    pass\n", {"archgen.generators": {"toy_obj": "toy_obj:Gen"}}, dist="archgen-obj")
    import toy_obj

    assert str(handed_over("generator", toy_obj.Gen())) == "generator 'Gen' (archgen-obj 1.2.3)"


def test_guided_draws_check_the_generator_batch_and_the_predictions():
    import archgen
    from archgen.guided_sampling import best_of_candidates

    space = archgen.load("space", "nb201")

    class LowerTriangle:
        def sample(self, space, n, *, seed=0, **sampling):
            batch = SampleBatch.from_architectures(space, space.sample(n, seed=seed))
            return dataclasses.replace(batch, adjacency=batch.adjacency.transpose(0, 2, 1).copy(), seed=seed)

    class Fine:
        def sample(self, space, n, *, seed=0, **sampling):
            return dataclasses.replace(SampleBatch.from_architectures(space, space.sample(n, seed=seed)), seed=seed)

    class NaNPredictor:
        def predict(self, space, archs):
            return np.full(len(archs), np.nan)

    class Ranker:
        def predict(self, space, archs):
            return np.arange(len(archs), dtype=float)

    with pytest.raises(PluginOutputError, match=r"generator 'LowerTriangle' .* below the diagonal"):
        best_of_candidates(LowerTriangle(), space, Ranker(), 2, 3, seed=0)
    with pytest.raises(PluginOutputError, match=r"predictor 'NaNPredictor' .*finite"):
        best_of_candidates(Fine(), space, NaNPredictor(), 2, 3, seed=0)
    assert len(best_of_candidates(Fine(), space, Ranker(), 2, 3, seed=0).chosen) == 2
