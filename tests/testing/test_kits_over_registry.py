"""Every installed plugin of every slot passes its slot's kit (timm-style: a new entry point is tested at once).

Each plugin is built with its own ``TEST_OPTIONS`` (tiny models, a few
epochs) and exercised on about 200 NB201 cells: the first-party generators and
priors, predictors (``gbdt``, ``gin``, ``lstm``, ``tart``, ``transferable``) and
searchers (``random``, ``evolution``, ``guided``, ``generate_sort``, ``seqmodel``,
``pnag_guided``), and any third-party plugin installed beside them. The in-test
plugins of ``conftest.py`` (a counting prior and generator, a mean predictor, a
random searcher) pass their kits too, so each kit is known to accept a minimal
correct implementation.

Every rule applied here to an installed plugin is its slot's kit's (issue 27), and CONTRIBUTING
("What archgen's own suite asks of an installed plugin") says so, NB201 included: the protocols
are space-generic, so a kit-passing plugin keeps this file green.
"""

import numpy as np
import pytest

import archgen
from archgen.registry import plugin_class, validate_options
from archgen.testing import check_generator, check_predictor, check_prior, check_searcher, tiny_code_sequences

SLOTS = ("generator", "prior", "predictor", "searcher")


def _test_options(slot, name):
    return dict(getattr(plugin_class(slot, name), "TEST_OPTIONS", {}))


@pytest.mark.parametrize(("slot", "name"), [(slot, name) for slot in SLOTS for name in archgen.names(slot)])
def test_declared_test_options_validate(slot, name):
    options = _test_options(slot, name)
    if slot == "prior":  # set by the generator that owns the prior
        options |= {"vocab_size": 8, "seq_len": 4}
    validate_options(slot, name, options)


@pytest.mark.parametrize("name", archgen.names("generator"))
def test_installed_generator_passes_the_kit(name, nb201, nb201_train):
    options = _test_options("generator", name)
    stats = check_generator(lambda: archgen.load("generator", name, **options), nb201, nb201_train, validation=nb201_train[:20])
    assert stats, f"generator {name!r} returned no training statistics"


@pytest.mark.parametrize("name", archgen.names("prior"))
def test_installed_prior_passes_the_kit(name):
    options = _test_options("prior", name) | {"vocab_size": 8, "seq_len": 4}
    check_prior(lambda: archgen.load("prior", name, **options), tiny_code_sequences(8, 4), vocab_size=8)


@pytest.mark.parametrize("name", archgen.names("predictor"))
def test_installed_predictor_passes_the_kit(name, nb201, nb201_train, plugins):
    oracle = plugins["oracle"](nb201)
    targets = np.array([oracle.query(a) for a in nb201_train])
    check_predictor(lambda: archgen.load("predictor", name, **_test_options("predictor", name)), nb201, nb201_train, targets)


@pytest.mark.parametrize("name", archgen.names("searcher"))
def test_installed_searcher_passes_the_kit(name, nb201, plugins):
    options = _test_options("searcher", name)
    check_searcher(lambda: archgen.load("searcher", name, **options), nb201, plugins["oracle"](nb201), budget=20)


def test_the_prior_kit_passes_a_counting_prior(plugins):
    prior = plugins["prior"]
    check_prior(lambda: prior(prior.Options(vocab_size=8, seq_len=4)), tiny_code_sequences(8, 4), vocab_size=8)


def test_the_generator_kit_passes_a_counting_generator(nb201, nb201_train, plugins):
    stats = check_generator(plugins["generator"], nb201, nb201_train)
    assert stats == {"architectures": 200}


def test_the_predictor_kit_passes_a_mean_predictor(nb201, nb201_train, plugins):
    oracle = plugins["oracle"](nb201)
    targets = np.array([oracle.query(a) for a in nb201_train])
    stats = check_predictor(plugins["predictor"], nb201, nb201_train, targets)
    assert stats == {"mean": pytest.approx(targets.mean())}


def test_the_searcher_kit_passes_a_random_searcher(nb201, plugins):
    asked = check_searcher(plugins["searcher"], nb201, plugins["oracle"](nb201), budget=12)
    # The random searcher stops only when the oracle refuses: 12 distinct cells are evaluated,
    # then the 13th is refused.
    assert len(asked) == 13 and len({nb201.canonical_key(a) for a in asked}) == 13
