"""The kits fail deliberately broken plugins, with a message naming what is broken.

Each broken plugin is a correct in-test plugin (``conftest.py``, which the
kits pass in ``test_kits_over_registry.py``) with exactly one defect, so a
kit check that went missing would let its test pass no longer.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from archgen.errors import CheckpointError
from archgen.testing import check_generator, check_predictor, check_prior, check_searcher, tiny_code_sequences


# -- generators ---------------------------------------------------------------------------------
def _without(cls, member):
    """A copy of ``cls`` lacking ``member`` (a subclass cannot delete an inherited method)."""
    namespace = {k: v for k, v in vars(cls).items() if k not in (member, "__dict__", "__weakref__")}
    return type(f"{cls.__name__}Without{member.title()}", (), namespace)


def _generator_defects(base):
    class Unreproducible(base):
        def sample(self, space, n, *, seed=0, **sampling):
            return self._sample(space, n, np.random.default_rng(), {"smoothing": 0.0}, seed)

    class IgnoresUnknownOption(base):
        def sample(self, space, n, *, seed=0, **sampling):
            return self._sample(space, n, np.random.default_rng(seed), {"smoothing": sampling.get("smoothing", 0.0)}, seed)

    class IgnoresSeed(base):
        def sample(self, space, n, *, seed=0, **sampling):
            return dataclasses.replace(super().sample(space, n, seed=0, **sampling), seed=seed)

    class LoadLetsParseErrorEscape(base):
        def load(self, directory, space, runtime=None):
            path = Path(directory) / "counts.json"
            if not path.is_file():
                raise CheckpointError(f"checkpoint {str(path)!r} not found")
            state = json.loads(path.read_text())  # but a corrupt file's decoding error escapes
            self.counts, self.adjacency = np.asarray(state["counts"]), np.asarray(state["adjacency"], dtype=np.uint8)
            return self

    class LoadAssumesTheFileExists(base):
        def load(self, directory, space, runtime=None):
            (Path(directory) / "counts.json").read_bytes()  # FileNotFoundError escapes
            return super().load(directory, space, runtime)

    class SavesSmoothedCounts(base):
        def save(self, directory):
            self.counts = self.counts + 1.0  # the checkpoint is not the model that sampled
            return super().save(directory)

    class StatsNotJson(base):
        def fit(self, space, train, **kwargs):
            super().fit(space, train, **kwargs)
            return {"counts": self.counts}

    class OpsOutOfRange(base):
        def sample(self, space, n, *, seed=0, **sampling):
            batch = super().sample(space, n, seed=seed, **sampling)
            return dataclasses.replace(batch, op_indices=batch.op_indices + len(space.op_vocabulary))

    class WellFormedAsInts(base):
        def sample(self, space, n, *, seed=0, **sampling):
            batch = super().sample(space, n, seed=seed, **sampling)
            return dataclasses.replace(batch, well_formed=batch.well_formed.astype(np.int64))

    class LaxOptions(BaseModel):
        smoothing: float = 0.0

    class SamplingOptionsAllowExtra(base):
        SamplingOptions = LaxOptions

    return {
        "missing save": (_without(base, "save"), "lacks members of the Generator protocol: save"),
        "unreproducible": (Unreproducible, "not reproducible: seed 0 gave two different batches"),
        "ignores unknown option": (IgnoresUnknownOption, "accepted the unknown sampling option 'no_such_sampling_option'"),
        "ignores seed": (IgnoresSeed, "same batch for seeds 0 and 1"),
        "load lets a parse error escape": (LoadLetsParseErrorEscape, "raised UnicodeDecodeError for a garbage counts.json; expected archgen.CheckpointError"),
        "load lets FileNotFoundError escape": (LoadAssumesTheFileExists, "raised FileNotFoundError for a missing directory"),
        "checkpoint differs": (SavesSmoothedCounts, "loaded from save\\(\\) samples differently"),
        "stats not json": (StatsNotJson, "not JSON-serialisable"),
        "ops out of range": (OpsOutOfRange, "op index out of range"),
        "well_formed not bool": (WellFormedAsInts, "well_formed must be a bool array"),
        "sampling options allow extra keys": (SamplingOptionsAllowExtra, "SamplingOptions must set model_config"),
    }


@pytest.mark.parametrize("defect", list(_generator_defects(object)))
def test_check_generator_names_the_defect(defect, nb201, nb201_train, plugins):
    broken, message = _generator_defects(plugins["generator"])[defect]
    with pytest.raises(AssertionError, match=message):
        check_generator(broken, nb201, nb201_train[:50], n=16)


class _CodeModelMixin:
    """Encodes a cell as its op indices; decodes with the stored adjacency."""

    def encode(self, space, archs):
        return space.to_tensors(archs)[1].numpy().argmax(-1)

    def decode_codes(self, codes):
        return np.repeat(self.adjacency[None], len(codes), axis=0), np.asarray(codes)

    def reconstruct(self, space, archs):
        return self.decode_codes(self.encode(space, archs))

    def reconstruction_accuracy(self, space, archs):
        adjacency, ops = self.reconstruct(space, archs)
        target_adjacency, target_ops = space.to_tensors(archs)
        same = (adjacency == target_adjacency.numpy()).all((1, 2)) & (ops == target_ops.numpy().argmax(-1)).all(1)
        return 100.0 * float(same.mean())


def test_check_generator_checks_claimed_capabilities(nb201, nb201_train, plugins):
    class CodeCounting(_CodeModelMixin, plugins["generator"]):
        pass

    class OverstatesAccuracy(CodeCounting):
        def reconstruct(self, space, archs):
            adjacency, ops = super().reconstruct(space, archs)
            return adjacency, np.roll(ops, 1, axis=1)

        def reconstruction_accuracy(self, space, archs):
            return 100.0

    class DecodeDisagrees(CodeCounting):
        def decode_codes(self, codes):
            adjacency, ops = super().decode_codes(codes)
            return adjacency, ops[:, ::-1].copy()

        def reconstruct(self, space, archs):
            return CodeCounting.decode_codes(self, self.encode(space, archs))

    check_generator(CodeCounting, nb201, nb201_train[:50], n=16)
    with pytest.raises(AssertionError, match="reconstruction_accuracy\\(\\) = 100.0 but its own reconstruct\\(\\) round-trips 0.0 %"):
        check_generator(OverstatesAccuracy, nb201, nb201_train[:50], n=16)
    with pytest.raises(AssertionError, match="decode_codes\\(encode\\(x\\)\\) disagrees with reconstruct\\(x\\)"):
        check_generator(DecodeDisagrees, nb201, nb201_train[:50], n=16)


# -- priors -------------------------------------------------------------------------------------
def _prior_defects(base):
    class CodesOutOfRange(base):
        def sample(self, n, *, seed=0, **sampling):
            codes, ok = super().sample(n, seed=seed, **sampling)
            return codes + self.options.vocab_size, ok

    class IgnoresUnknownOption(base):
        def sample(self, n, *, seed=0, **sampling):
            return super().sample(n, seed=seed)

    class Unreproducible(base):
        def sample(self, n, *, seed=0, **sampling):
            return super().sample(n, seed=int(np.random.default_rng().integers(2**31)), **sampling)

    class NeverWellFormed(base):
        def sample(self, n, *, seed=0, **sampling):
            codes, ok = super().sample(n, seed=seed, **sampling)
            return codes, ok & False

    return {
        "codes out of range": (CodesOutOfRange, "a well-formed sequence holds codes outside 0..7"),
        "ignores unknown option": (IgnoresUnknownOption, "accepted the unknown sampling option 'no_such_sampling_option'"),
        "unreproducible": (Unreproducible, "not reproducible"),
        "never well formed": (NeverWellFormed, "drew no well-formed sequence"),
    }


@pytest.mark.parametrize("defect", list(_prior_defects(object)))
def test_check_prior_names_the_defect(defect, plugins):
    broken, message = _prior_defects(plugins["prior"])[defect]
    with pytest.raises(AssertionError, match=message):
        check_prior(lambda: broken(broken.Options(vocab_size=8, seq_len=4)), tiny_code_sequences(8, 4), vocab_size=8)


# -- predictors ---------------------------------------------------------------------------------
def _predictor_defects(base):
    class PredictsBeforeFit(base):
        def __init__(self, options=None):
            self.mean = 0.0

    class AttributeErrorBeforeFit(base):
        def __init__(self, options=None):
            pass

        def predict(self, space, archs):
            return np.full(len(archs), self.fitted_mean)

        def fit(self, space, archs, targets, **kwargs):
            self.fitted_mean = float(np.mean(targets))
            return {}

    class Noisy(base):
        def predict(self, space, archs):
            return super().predict(space, archs) + np.random.default_rng().normal(size=len(archs))

    class BatchDependent(base):
        def predict(self, space, archs):
            return super().predict(space, archs) + len(archs)

    class UnseededFit(base):
        def fit(self, space, archs, targets, *, runtime=None, seed=0):
            stats = super().fit(space, archs, targets)
            self.mean += np.random.default_rng().normal()
            return stats

    class NonFinite(base):
        def predict(self, space, archs):
            return super().predict(space, archs) * np.nan

    return {
        "predicts before fit": (PredictsBeforeFit, "before fit\\(\\) returned .*it must raise"),
        "AttributeError before fit": (AttributeErrorBeforeFit, "before fit\\(\\) raised AttributeError"),
        "noisy": (Noisy, "different answers for the same architectures twice"),
        "batch dependent": (BatchDependent, "depends on the rest of the batch"),
        "unseeded fit": (UnseededFit, "two predictors fitted with seed 0 predict differently"),
        "non-finite": (NonFinite, "non-finite"),
    }


@pytest.mark.parametrize("defect", list(_predictor_defects(object)))
def test_check_predictor_names_the_defect(defect, nb201, nb201_train, plugins):
    broken, message = _predictor_defects(plugins["predictor"])[defect]
    targets = np.arange(len(nb201_train), dtype=float)
    with pytest.raises(AssertionError, match=message):
        check_predictor(broken, nb201, nb201_train, targets)


# -- searchers ----------------------------------------------------------------------------------
def _searcher_defects(base):
    from archgen import Architecture

    class QueriesInvalid(base):
        def propose(self, space, rng):
            arch = super().propose(space, rng)
            return Architecture(arch.space, arch.adjacency, (*arch.ops[:-1], "no_such_op"))

    class Unseeded(base):
        def propose(self, space, rng):
            return super().propose(space, np.random.default_rng())

    class LetsBudgetEscape(base):
        def search(self, space, oracle, *, seed=0, runtime=None):
            rng = np.random.default_rng(seed)
            while True:
                oracle.query(self.propose(space, rng))

    class NeverQueries(base):
        def search(self, space, oracle, *, seed=0, runtime=None):
            return None

    return {
        "queries invalid": (QueriesInvalid, "queried an invalid architecture"),
        "unseeded": (Unseeded, "not deterministic by seed"),
        "lets BudgetExhaustedError escape": (LetsBudgetEscape, "let BudgetExhaustedError escape"),
        "never queries": (NeverQueries, "never queried the oracle"),
    }


@pytest.mark.parametrize("defect", list(_searcher_defects(object)))
def test_check_searcher_names_the_defect(defect, nb201, plugins):
    broken, message = _searcher_defects(plugins["searcher"])[defect]
    with pytest.raises(AssertionError, match=message):
        check_searcher(broken, nb201, plugins["oracle"](nb201), budget=8)
