"""DARTS' CIFAR network: the published parameter count and a forward pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from archgen.spaces.darts.genotype import DARTS_V2
from archgen.spaces.darts.model import NetworkCIFAR, count_parameters, parameter_count
from archgen.spaces.darts.space import DartsSpace

# DARTS (second order) on CIFAR-10: "3.3M" parameters (Liu et al., ICLR 2019, Table 1), as the release's
# train.py logs it: "param size = 3.349342MB" from utils.count_parameters_in_MB (which skips parameters
# named "auxiliary"), for NetworkCIFAR(36, 10, 20, auxiliary, DARTS_V2). The log line is quoted in an
# annotated copy of quark0/darts cnn/train.py found with the code search (repository not named there).
DARTS_V2_PARAMETERS = 3_349_342


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return DartsSpace()


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # Tiny convolutions gain nothing from intra-op threads, and on a busy 2-core machine they thrash.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_darts_v2_parameter_count_is_the_published_one(space: DartsSpace) -> None:
    arch = space.from_genotype(DARTS_V2)
    model = space.build_model(arch)  # C=36, 20 layers, 10 classes
    assert count_parameters(model) == DARTS_V2_PARAMETERS
    assert round(count_parameters(model) / 1e6, 1) == 3.3
    assert space.count_params(arch) == DARTS_V2_PARAMETERS


def test_auxiliary_head_is_excluded_from_the_count(space: DartsSpace) -> None:
    arch = space.from_genotype(DARTS_V2)
    with_head = space.build_model(arch, auxiliary=True)
    assert count_parameters(with_head) == DARTS_V2_PARAMETERS
    assert sum(p.numel() for p in with_head.parameters()) > DARTS_V2_PARAMETERS
    assert space.count_params(arch, auxiliary=True) == DARTS_V2_PARAMETERS


@pytest.mark.parametrize(("channels", "layers", "classes"), [(8, 5, 10), (16, 8, 10), (12, 6, 100)])
def test_analytic_count_matches_the_built_network(space: DartsSpace, channels: int, layers: int, classes: int) -> None:
    for arch in space.sample(6, seed=channels):
        model = space.build_model(arch, C=channels, layers=layers, num_classes=classes)
        assert space.count_params(arch, C=channels, layers=layers, num_classes=classes) == count_parameters(model)


def test_tiny_forward_gives_logits(space: DartsSpace) -> None:
    torch.manual_seed(0)
    for arch in [space.from_genotype(DARTS_V2), *space.sample(1, seed=4)]:
        model = space.build_model(arch, C=8, layers=5, num_classes=10).eval()
        with torch.no_grad():
            logits = model(torch.randn(2, 3, 32, 32))
        assert tuple(logits.shape) == (2, 10) and torch.isfinite(logits).all()


def test_training_forward_with_drop_path_and_auxiliary_head() -> None:
    torch.manual_seed(0)
    model = NetworkCIFAR(DARTS_V2, channels=8, layers=5, num_classes=10, auxiliary=True).train()
    model.drop_path_prob = 0.2
    logits, auxiliary = model.forward_with_auxiliary(torch.randn(2, 3, 32, 32))
    assert tuple(logits.shape) == (2, 10) and auxiliary is not None and tuple(auxiliary.shape) == (2, 10)
    (logits.sum() + auxiliary.sum()).backward()
    assert model.eval().forward_with_auxiliary(torch.randn(2, 3, 32, 32))[1] is None


def test_parameter_count_of_genotype_directly() -> None:
    assert parameter_count(DARTS_V2) == DARTS_V2_PARAMETERS
