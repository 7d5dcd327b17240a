"""The code-distribution analysis (arch-vq.md Figure 4): histograms, Jensen-Shannon distances, the command."""

import json

import numpy as np
import pytest

import archgen
from archgen.analysis.code_distributions import code_histograms, js_distances
from archgen.analysis.novelty import novel_rows
from archgen.generation import SampleBatch
from archgen.metrics import GenerationReference, hash_module
from archgen.cli.main import main


def test_histograms_count_each_position_and_sum_to_the_sequences():
    codes = np.array([[0, 3], [0, 1], [2, 3]])
    counts = code_histograms(codes, 4)
    assert counts.tolist() == [[2, 0, 1, 0], [0, 1, 0, 2]]
    assert (counts.sum(1) == len(codes)).all()


def test_js_distance_is_zero_for_equal_shapes_one_for_disjoint_and_none_for_empty():
    a = np.array([[2, 2, 0], [1, 0, 0], [1, 1, 1]])
    b = np.array([[4, 4, 0], [0, 0, 3], [0, 0, 0]])
    distances = js_distances(a, b)
    assert distances[0] == pytest.approx(0.0, abs=1e-12)
    assert distances[1] == pytest.approx(1.0)  # disjoint supports: the base-2 JS divergence is 1
    assert distances[2] is None


def test_archgen_analyze_codes_histograms_sum_to_the_sample_counts(run_copy):
    assert main(["analyze", str(run_copy), "codes", "--n", "300", "--option", "novel=all"]) == 0
    result = json.loads((run_copy / "analysis" / "codes.json").read_text())
    train, novel = np.array(result["train_counts"]), np.array(result["novel_counts"])
    assert train.shape == novel.shape == (8, result["codebook_size"])
    train_size = json.loads((run_copy / "config.json").read_text())["data_sizes"]["train"]
    assert (train.sum(1) == result["train_sequences"]).all() and result["train_sequences"] == train_size
    assert (novel.sum(1) == result["novel_samples"]).all() and result["novel_samples"] == result["well_formed_samples"]
    assert (run_copy / "analysis" / "codes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_novel_row_counts_only_novel_samples(run_copy):
    assert main(["analyze", str(run_copy), "codes", "--n", "300"]) == 0
    result = json.loads((run_copy / "analysis" / "codes.json").read_text())
    assert result["novel_protocol"] == "paper" and result["novel_samples"] <= result["well_formed_samples"]
    assert (np.array(result["novel_counts"]).sum(1) == result["novel_samples"]).all()


@pytest.mark.parametrize("protocol", ["strict", "paper"])
def test_novel_rows_flags_exactly_the_samples_outside_the_training_split(protocol):
    space = archgen.load("space", "nb201")
    cells = list(space.enumerate())
    order = np.random.default_rng(0).permutation(len(cells))
    train, rest = [cells[i] for i in order[:300]], [cells[i] for i in order[300:400]]
    reference = GenerationReference.build(space, train, rest)
    fresh = next(a for a in rest if space.canonical_key(a) not in reference.train_classes)
    repeat = next(a for a in rest if space.canonical_key(a) in reference.train_classes)  # isomorphic to a training cell
    batch = SampleBatch.from_architectures(space, [train[0], fresh, None, train[5], repeat])
    novel = novel_rows(space, batch, reference, protocol)
    expected = [False, None, False, False, None]
    for i, arch in ((1, fresh), (4, repeat)):
        if protocol == "strict":
            expected[i] = space.canonical_key(arch) not in reference.train_classes
        else:  # the isomorphism fingerprint of the decode against every training graph's
            expected[i] = hash_module(*_graph(space, arch)) not in {hash_module(*_graph(space, a)) for a in train}
    assert novel.tolist() == expected and any(expected)


def _graph(space, arch):
    batch = SampleBatch.from_architectures(space, [arch])
    return batch.adjacency[0].tolist(), batch.op_indices[0].tolist()
