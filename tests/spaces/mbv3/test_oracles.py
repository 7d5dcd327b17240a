"""The accuracy oracle (OFA's released predictor, in %) and the latency oracle (OFA's Note10 lookup tables, ms)."""

from __future__ import annotations

import numpy as np
import pytest

from archgen.errors import ConfigError, DataFileError, InvalidArchitectureError
from archgen.testing import require_shared_data
from archgen.spaces.mbv3.accuracy_predictor import encode, load_predictor
from archgen.spaces.mbv3.latency_table import LatencyTable, layer_keys, parse_lookup_table
from archgen.spaces.mbv3.space import MobileNetV3Options, MobileNetV3Space
from archgen.spaces.mbv3.subnet import subnet_from_native

MAX = {"ks": [7] * 20, "e": [6] * 20, "d": [4] * 5}
MIN = {"ks": [3] * 20, "e": [3] * 20, "d": [2] * 5}
MID = {"ks": [5] * 20, "e": [4] * 20, "d": [3] * 5}

# The sub-net the OFA tutorial notebook (github mit-han-lab/once-for-all, tutorial/ofa.ipynb, section 3.1) finds
# for Note10 under 25 ms, as its printed module_str lists the blocks (O = width, E = expand, K = kernel), evaluated
# at img_size=192. The notebook prints: "It achieves 81.71% predicted accuracy with 24.73 ms latency on note10."
TUTORIAL_STAGES = [
    [(5, 3), (3, 3)],
    [(5, 4), (3, 4)],
    [(7, 6), (7, 3), (3, 4)],
    [(5, 4), (5, 4), (7, 4), (3, 3)],
    [(3, 6), (3, 6), (5, 6)],
]


def tutorial_subnet() -> dict:
    ks, e = [], []
    for blocks in TUTORIAL_STAGES:
        padded = blocks + [(3, 3)] * (4 - len(blocks))
        ks += [k for k, _ in padded]
        e += [x for _, x in padded]
    return {"ks": ks, "e": e, "d": [len(blocks) for blocks in TUTORIAL_STAGES]}


@pytest.fixture(scope="module")
def predictor_path():
    return require_shared_data("ofa_mbv3", "acc_predictor.npz")


@pytest.fixture(scope="module")
def tables_path():
    return require_shared_data("ofa_mbv3", "latency_table_note10")


@pytest.fixture(scope="module")
def space(predictor_path, tables_path):
    return MobileNetV3Space(MobileNetV3Options(predictor=predictor_path, latency_tables=tables_path))


def test_encoding_layout_follows_spec2feats():
    # ofa tutorial/accuracy_predictor.py spec2feats: [ks one-hot 60 | e one-hot 60 | r one-hot 8], unused slots zero.
    features = encode([subnet_from_native(MID)], 192)
    assert features.shape == (1, 128) and features.dtype == np.float32
    row = features[0]
    used = [slot for slot in range(20) if slot % 4 < 3]
    assert row[:60].reshape(20, 3)[used].tolist() == [[0, 1, 0]] * 15  # kernel 5 -> middle of (3, 5, 7)
    assert row[60:120].reshape(20, 3)[used].tolist() == [[0, 1, 0]] * 15  # expand 4 -> middle of (3, 4, 6)
    assert row[:120].reshape(40, 3)[[s for s in range(40) if s % 20 % 4 == 3]].sum() == 0
    assert np.flatnonzero(row[120:]).tolist() == [(192 - 112) // 16]
    assert row.sum() == 15 + 15 + 1


@pytest.mark.parametrize("resolution", [111, 240, "224", True])
def test_resolutions_without_a_bin_are_rejected(resolution):
    with pytest.raises(InvalidArchitectureError, match="112..239"):
        encode([subnet_from_native(MID)], resolution)


@pytest.mark.data
@pytest.mark.parametrize(
    ("config", "resolution", "expected"),
    [(MAX, 224, 83.6), (MIN, 160, 75.3), (MID, 192, 80.6)],
    ids=["max@224", "min@160", "k5e4d3@192"],
)
def test_predictor_sanity_values_from_provenance(space, config, resolution, expected):
    # PROVENANCE.md gives the predictor's fractions (0.836...); the oracle answers in percent.
    assert space.oracle(f"imagenet/top1@{resolution}").query(space.from_native(config)) == pytest.approx(expected, abs=0.05)


@pytest.mark.data
def test_tutorial_note10_subnet_reproduces_printed_accuracy_and_latency(space):
    arch = space.from_native(tutorial_subnet())
    assert space.oracle("imagenet/top1@192").query(arch) == pytest.approx(81.71, abs=5e-3)
    assert space.oracle("note10/latency@192").query(arch) == pytest.approx(24.73, abs=5e-3)


@pytest.mark.data
def test_pth_original_matches_npz_copy(space, predictor_path):
    pth = require_shared_data("ofa_mbv3", "acc_predictor.pth")
    archs = space.sample(16, seed=1)
    from_pth = load_predictor(pth).predict([space.subnet(a) for a in archs], 208)
    oracle = space.oracle("imagenet/top1@208")
    np.testing.assert_allclose(100 * from_pth, [oracle.query(a) for a in archs], rtol=0, atol=1e-5)


@pytest.mark.data
def test_oracle_is_the_batch_predictor_in_percent(space):
    archs = space.sample(32, seed=5)
    batch = space._accuracy_predictor().predict([space.subnet(a) for a in archs], 176)
    oracle = space.oracle("imagenet/top1@176")
    assert (oracle.metric, oracle.unit, oracle.higher_is_better) == ("imagenet/top1@176", "%", True)
    values = np.array([oracle.query(a) for a in archs])
    assert np.all((60 < values) & (values < 90))
    np.testing.assert_allclose(values, 100 * batch, rtol=0, atol=1e-5)


@pytest.mark.data
def test_default_metrics_and_their_units(space):
    assert space.oracle_metrics() == {"imagenet/top1": "%", "note10/latency": "ms"}
    assert space.oracle().metric == "imagenet/top1"
    assert space.oracle("note10/latency").higher_is_better is False
    with pytest.raises(ConfigError, match=r"accepted: \{imagenet/top1, note10/latency\}"):
        space.oracle("top1")
    with pytest.raises(ConfigError, match="resolution 'x'"):
        space.oracle("imagenet/top1@x")


@pytest.mark.data
def test_every_layer_key_is_found_and_the_sum_is_deterministic(space, tables_path):
    table = LatencyTable(tables_path)
    assert table.resolutions() == list(range(160, 225, 4))
    for arch in space.sample(20, seed=11):
        for resolution in (160, 188, 224):
            layers = table.layer_latencies(space.blueprint(arch, resolution))
            # stem + first block + active blocks + final expand, pool, feature mix, logits
            assert len(layers) == 2 + sum(space.to_native(arch)["d"]) + 4
            assert all(mean > 0 for _, mean in layers)
            latency = space.oracle(f"note10/latency@{resolution}").query(arch)
            assert latency == pytest.approx(sum(m for _, m in layers), rel=1e-12)
    arch, oracle = space.from_native(MAX), space.oracle("note10/latency@224")
    assert oracle.query(arch) == oracle.query(arch) > oracle.query(space.from_native(MIN)) > 0


@pytest.mark.data
def test_own_yaml_reader_agrees_with_pyyaml(tables_path):
    yaml = pytest.importorskip("yaml")
    path = tables_path / "224_lookup_table.yaml"
    text = path.read_text()
    ours = parse_lookup_table(text)
    theirs = yaml.safe_load(text)
    assert ours.keys() == theirs.keys() and len(ours) == 96
    assert all(ours[k] == {f: float(v) for f, v in theirs[k].items()} for k in ours)


def test_lookup_key_format_matches_the_table_style():
    space = MobileNetV3Space()
    keys = layer_keys(space.blueprint(space.from_native(MAX), 224))
    assert keys[0] == "Conv-input:224x224x3-output:112x112x24"
    assert keys[1] == "expanded_conv-input:112x112x24-output:112x112x24-expand:24-kernel:3-stride:1-idskip:1-se:0-hs:0"
    assert keys[2] == "expanded_conv-input:112x112x24-output:56x56x32-expand:144-kernel:7-stride:2-idskip:0-se:0-hs:0"
    assert keys[-4:] == [
        "Conv_1-input:7x7x192-output:7x7x1152",
        "AvgPool2D-input:7x7x1152-output:1x1x1152",
        "Conv_2-input:1x1x1152-output:1x1x1536",
        "Logits-input:1x1x1536-output:1000",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("key:\n  mean: x\n", "not a number"),
        ("key:\n  count: 3\n", "no 'mean'"),
        ("  mean: 1\n", "expected '  count|mean|std"),
        ("key: 1\n", "expected '<layer key>:'"),
        ("", "no layer entries"),
        ("a:\n  mean: 1\na:\n  mean: 2\n", "appears twice"),
    ],
)
def test_malformed_tables_are_data_file_errors(text, fragment):
    with pytest.raises(DataFileError, match=fragment.replace("|", r"\|")):
        parse_lookup_table(text)


def test_missing_data_is_a_clear_error(tmp_path):
    space = MobileNetV3Space()
    arch = space.from_native(MAX)
    for ask in (space.oracle_metrics, space.oracle):
        with pytest.raises(DataFileError, match="set .space.options. predictor = .* latency_tables = "):
            ask()
    only_tables = MobileNetV3Space(MobileNetV3Options(latency_tables=tmp_path))
    with pytest.raises(DataFileError, match="no accuracy predictor; set .space.options. predictor"):
        only_tables.oracle("imagenet/top1")

    def accuracy(predictor):
        return MobileNetV3Space(MobileNetV3Options(predictor=predictor)).oracle("imagenet/top1").query(arch)

    with pytest.raises(DataFileError, match="not found"):
        accuracy(tmp_path / "none.npz")
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(DataFileError, match="cannot read"):
        accuracy(tmp_path / "bad.npz")
    (tmp_path / "bad.pth").write_bytes(b"not a torch file")
    with pytest.raises(DataFileError, match="bad.pth: corrupt torch file"):
        accuracy(tmp_path / "bad.pth")
    np.savez(tmp_path / "short.npz", **{"0.weight": np.zeros((400, 128), np.float32)})
    with pytest.raises(DataFileError, match="lacks tensor"):
        accuracy(tmp_path / "short.npz")
    with pytest.raises(DataFileError, match="no Note10 latency table for resolution 224"):
        only_tables.oracle("note10/latency").query(arch)


@pytest.mark.data
def test_oracles_refuse_the_width_they_were_not_made_for(predictor_path, tables_path):
    narrow = MobileNetV3Space(
        MobileNetV3Options(width_mult=1.0, predictor=predictor_path, latency_tables=tables_path)
    )
    for metric in ("imagenet/top1", "note10/latency"):
        with pytest.raises(ConfigError, match="width-1.2"):
            narrow.oracle(metric)
    arch = narrow.from_native(MAX)
    with pytest.raises(DataFileError, match="no Note10 latency table for resolution 150"):
        MobileNetV3Space(MobileNetV3Options(latency_tables=tables_path)).oracle("note10/latency@150").query(arch)
