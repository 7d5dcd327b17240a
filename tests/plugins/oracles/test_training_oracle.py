"""The ``train`` oracle: deterministic training, one training per network, resumes, and its errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from archgen.config import load_config
from archgen.errors import ConfigError
from archgen.oracle import BudgetedOracle
from archgen.pipeline.search_command import run_search
from archgen.plugins.oracles.train.recipe import TrainRecipe
from archgen.result_store import ResultStore
from archgen.plugins.oracles.train.trainer import train_network
from archgen.registry import load

from .conftest import TINY, search_toml


@pytest.fixture(scope="module")
def nb201():
    return load("space", "nb201")


@pytest.fixture(scope="module")
def digits():
    return load("dataset", "digits")


def _source(store: Path, **options):
    return load("oracle", "train", **{"dataset": {"name": "digits"}, "store": str(store), **TINY, **options})


def test_training_is_deterministic_for_a_seed_and_changes_with_it(nb201, digits):
    arch = nb201.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|")
    recipe = TrainRecipe(**TINY)
    first, again = train_network(nb201, arch, digits, recipe), train_network(nb201, arch, digits, recipe)
    assert (first["valid"], first["test"]) == (again["valid"], again["test"])
    other = train_network(nb201, arch, digits, recipe.model_copy(update={"seed": 1}))
    assert (other["valid"], other["test"]) != (first["valid"], first["test"])
    # The network trained is the space's own: its parameters are build_model's for 10 classes.
    assert first["params"] == nb201.count_params(arch, num_classes=10, C=4, N=1)
    assert first["epochs"] == 1 and first["device"] == "cpu" and 0 <= first["test"] <= 100


def test_each_network_is_trained_once_whatever_form_it_is_asked_in(tmp_path, nb201):
    source = _source(tmp_path / "r.sqlite")
    valid, test = source.oracle(nb201, "valid"), source.oracle(nb201, "test")
    arch = nb201.sample(1, seed=3)[0]
    forms = [arch, *nb201.equivalent_forms(arch, random.Random(0))]
    values = {valid.query(form) for form in forms}
    assert len(values) == 1
    test.query(arch)  # the reported metric of a trained network costs no training
    evaluator = source.evaluator(nb201)
    assert evaluator.trained == 1
    assert ResultStore(tmp_path / "r.sqlite").counts()["results"] == 1


def test_a_new_search_on_the_same_store_trains_nothing_again(tmp_path, nb201):
    archs = nb201.sample(3, seed=5)
    first = _source(tmp_path / "r.sqlite")
    values = first.oracle(nb201, "valid").query_many(archs)
    again = _source(tmp_path / "r.sqlite")
    assert again.oracle(nb201, "valid").query_many(archs) == values
    assert again.evaluator(nb201).trained == 0
    counts = ResultStore(tmp_path / "r.sqlite").counts()
    assert (counts["results"], counts["completed"], counts["retrained"]) == (len({nb201.canonical_key(a) for a in archs}),) * 2 + (0,)


def test_another_recipe_or_seed_is_another_result(tmp_path, nb201):
    arch = nb201.sample(1, seed=4)[0]
    _source(tmp_path / "r.sqlite").oracle(nb201, "valid").query(arch)
    _source(tmp_path / "r.sqlite", seed=1).oracle(nb201, "valid").query(arch)
    _source(tmp_path / "r.sqlite", lr=0.02).oracle(nb201, "valid").query(arch)
    rows = ResultStore(tmp_path / "r.sqlite").rows()
    assert len(rows) == 3 and len({(row["recipe"], row["seed"]) for row in rows}) == 3


def test_params_and_macs_are_counted_without_training(tmp_path, nb201):
    source = _source(tmp_path / "r.sqlite")
    arch = nb201.sample(1, seed=1)[0]
    params = source.oracle(nb201, "params").query(arch)
    assert params == pytest.approx(nb201.count_params(arch, num_classes=10, C=4, N=1) / 1e6)
    assert source.oracle(nb201, "macs").query(arch) > 0
    assert ResultStore(tmp_path / "r.sqlite").counts()["results"] == 0


def test_prefetch_trains_what_the_searcher_is_about_to_query_and_charges_nothing(tmp_path, nb201):
    source = _source(tmp_path / "r.sqlite")
    budgeted = BudgetedOracle(source.oracle(nb201, "valid"), nb201, budget=2)
    archs = nb201.sample(5, seed=9)
    assert budgeted.prefetch(archs) == 2  # no further than the budget
    assert budgeted.num_queries == 0 and source.evaluator(nb201).trained == 2
    budgeted.query(archs[0])
    assert source.evaluator(nb201).trained == 2  # answered from the prefetched result


def test_oracle_errors_name_the_bad_value_and_the_choices(tmp_path, nb201):
    source = _source(tmp_path / "r.sqlite")
    with pytest.raises(ConfigError, match=r"no metric 'accuracy'; accepted: \['macs', 'params', 'test', 'train_seconds', 'valid'\]"):
        source.oracle(nb201, "accuracy")
    with pytest.raises(ConfigError, match=r"build_model takes no option 'width'; accepted: .*'C'"):
        _source(tmp_path / "r.sqlite", model={"width": 2}).oracle(nb201, "valid").query(nb201.sample(1)[0])
    with pytest.raises(ConfigError, match=r"needs a space that builds networks.*'nb301'|needs a space"):
        source.oracle(_NoNetworks(), "valid")


class _NoNetworks:
    name = "nb301"


def test_a_search_trains_exactly_its_budget_and_resumes_from_the_store(tmp_path):
    registry = tmp_path / "registry.toml"
    registry.write_text(search_toml(Path("store.sqlite"), budget=4))
    config = load_config(registry)
    summary = run_search(config, run_dir=tmp_path / "run")
    trial = json.loads((tmp_path / "run/search/valid--test/random/trial-0.json").read_text())
    assert trial["evaluated"] == 4 and len(trial["queries"]) == 4
    store = ResultStore(tmp_path / "store.sqlite")  # relative to the registry file
    assert store.counts() == {"results": 4, "completed": 4, "interrupted": 0, "claims": 0, "retrained": 0}
    assert summary["searchers"]["random"]["trials"] == 1
    # Another label (a fresh trial) on the same store: the same four networks, none trained again.
    run_search(config, run_dir=tmp_path / "run", label="again")
    again = json.loads((tmp_path / "run/search/valid--test/again/trial-0.json").read_text())
    assert again["queries"] == trial["queries"]
    assert store.counts()["completed"] == 4


def test_search_refuses_a_labelled_pool_with_a_training_oracle(tmp_path):
    registry = tmp_path / "registry.toml"
    registry.write_text(search_toml(Path("store.sqlite")).replace('trials = 1', 'trials = 1\npool = "labelled"'))
    with pytest.raises(ConfigError, match="pool = 'labelled'.*oracle 'train'"):
        run_search(load_config(registry), run_dir=tmp_path / "run")
