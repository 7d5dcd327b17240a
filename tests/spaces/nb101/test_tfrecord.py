"""The TensorFlow-free reader of the official TFRecord files, on small files written here."""

from __future__ import annotations

import numpy as np
import pytest

from archgen.errors import DataFileError
from archgen.spaces.nb101.crc32c import crc32c, crc32c_many, masked_crc32c
from archgen.spaces.nb101.records import Evaluation, encode_model_metrics, encode_record, parse_model_metrics, parse_record
from archgen.spaces.nb101.space import NB101Options, NB101Space
from archgen.spaces.nb101.tables import load_benchmark, load_official
from archgen.spaces.nb101.tfrecord import read_records

CHAIN = "010001000"  # input -> conv -> output
CHAIN_OPS = ("input", "conv3x3-bn-relu", "output")
PUBLISHED_ADJACENCY = "0100110001000000010010000010000001000000010000000"
PUBLISHED_OPS = ("input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv1x1-bn-relu", "output")
PUBLISHED_HASH = "00005c142e6f48ac74fdcf73e3439874"


def test_crc32c_check_value() -> None:
    # The CRC-32C check value of "123456789" (RFC 3720 appendix B.4 / the CRC catalogue).
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_batched_crc_equals_scalar() -> None:
    rng = np.random.default_rng(0)
    buffer = rng.integers(0, 256, 5000, dtype=np.uint8)
    starts = rng.integers(0, 4000, 50)
    lengths = rng.integers(0, 1000, 50)
    expected = [crc32c(buffer[s : s + n].tobytes()) for s, n in zip(starts, lengths)]
    assert crc32c_many(buffer, starts, lengths).tolist() == expected


def test_masked_crc_of_an_empty_record_length() -> None:
    # TensorFlow's masking (tensorflow/core/lib/hash/crc32c.h Mask): ((crc >> 15) | (crc << 17)) + 0xa282ead8.
    crc = crc32c(bytes(8))
    assert masked_crc32c(bytes(8)) == ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def test_model_metrics_round_trip() -> None:
    evaluations = (Evaluation(0.0, 0.0, 0.1, 0.1, 0.1), Evaluation(54.0, 500.5, 0.8, 0.75, 0.74), Evaluation(108.0, 1000.25, 1.0, 0.93, 0.92))
    assert parse_model_metrics(encode_model_metrics(2694282, evaluations)) == (2694282, evaluations)


def test_reads_records_and_checks_both_crcs(write_tfrecord, make_run) -> None:
    records = [make_run(PUBLISHED_HASH, PUBLISHED_ADJACENCY, PUBLISHED_OPS, 108, seed) for seed in (1.0, 2.0, 3.0)]
    path = write_tfrecord(records)
    decoded = [parse_record(payload) for payload in read_records(path, batch=2)]
    assert decoded == records
    assert decoded[0].final.validation_accuracy == pytest.approx(0.81)


def test_bad_data_crc_names_the_byte_offset(write_tfrecord, make_run, frame_bytes) -> None:
    records = [make_run("a" * 32, CHAIN, CHAIN_OPS, 108, seed) for seed in (1.0, 2.0, 3.0)]
    path = write_tfrecord(records, corrupt=1)
    offset = len(frame_bytes(encode_record(records[0])))  # the second record starts after the first frame
    with pytest.raises(DataFileError, match=rf"bad data CRC .* at byte offset {offset}$"):
        list(read_records(path))


def test_bad_length_crc_and_truncation_are_reported(write_tfrecord, make_run, tmp_path) -> None:
    path = write_tfrecord([make_run("a" * 32, CHAIN, CHAIN_OPS, 108, 1.0)])
    data = bytearray(path.read_bytes())
    broken = tmp_path / "length.tfrecord"
    broken.write_bytes(bytes(data[:8]) + bytes([data[8] ^ 1]) + bytes(data[9:]))
    with pytest.raises(DataFileError, match="bad length CRC .* at byte offset 0"):
        list(read_records(broken))
    truncated = tmp_path / "short.tfrecord"
    truncated.write_bytes(bytes(data[:-10]))
    with pytest.raises(DataFileError, match="truncated TFRecord record at byte offset 0"):
        list(read_records(truncated))
    with pytest.raises(DataFileError, match="cannot read"):
        list(read_records(tmp_path / "absent.tfrecord"))


def test_conversion_keeps_runs_budgets_and_means(write_tfrecord, make_run, tmp_path) -> None:
    records = [
        *(make_run(PUBLISHED_HASH, PUBLISHED_ADJACENCY, PUBLISHED_OPS, 108, s, 2694282) for s in (1.0, 2.0, 6.0)),
        *(make_run(PUBLISHED_HASH, PUBLISHED_ADJACENCY, PUBLISHED_OPS, 4, s, 2694282) for s in (0.0, 3.0, 3.0)),
        *(make_run("b" * 32, CHAIN, CHAIN_OPS, 108, s, 99) for s in (1.0, 1.0, 1.0)),
    ]
    path = write_tfrecord(records, name="nasbench_full.tfrecord")
    data = load_official(path, cache_dir=tmp_path / "cache")
    assert list(data.hashes) == [PUBLISHED_HASH, "b" * 32]
    assert data.epochs.tolist() == [4, 108]
    assert data.runs.tolist() == [[3, 3], [0, 3]]
    assert data.architecture(0).ops == PUBLISHED_OPS
    assert data.architecture(1).adjacency == ((0, 1, 0), (0, 0, 1), (0, 0, 0))
    table = data.table()
    assert table.row(PUBLISHED_HASH)["validation_accuracy@108"] == pytest.approx(0.8 + 3.0 / 100)
    assert table.row(PUBLISHED_HASH)["training_time@4"] == pytest.approx(102.0)
    assert table.row(PUBLISHED_HASH)["trainable_parameters"] == 2694282
    assert np.isnan(table.row("b" * 32)["test_accuracy@4"])
    # The conversion is cached: a second load reads the .npz, which also loads directly.
    cached = list((tmp_path / "cache").glob("nb101_nasbench_full_*.npz"))
    assert len(cached) == 1
    again = load_official(cached[0])
    assert again.table().row(PUBLISHED_HASH) == table.row(PUBLISHED_HASH)
    assert load_benchmark(path, cache_dir=tmp_path / "cache").row("b" * 32)["validation_accuracy@108"] == pytest.approx(0.81)


def test_space_benchmark_is_keyed_by_canonical_key(write_tfrecord, make_run, tmp_path) -> None:
    path = write_tfrecord([make_run(PUBLISHED_HASH, PUBLISHED_ADJACENCY, PUBLISHED_OPS, 108, s) for s in (1.0, 2.0, 3.0)])
    space = NB101Space(NB101Options(benchmark=path, cache_dir=tmp_path))
    arch = space.from_string(f"{PUBLISHED_ADJACENCY}|{','.join(PUBLISHED_OPS)}")
    assert space.benchmark().row(space.canonical_key(arch))["test_accuracy@108"] == pytest.approx(0.72)
    # The table keeps the official fractions; the oracle answers in percent, by canonical key.
    oracle = space.oracle("test_accuracy@108")
    assert (oracle.unit, oracle.higher_is_better) == ("%", True)
    assert oracle.query(arch) == pytest.approx(72.0)
    assert space.oracle("training_time@108").unit == "s"
    assert space.oracle().metric == "validation_accuracy@108"


def test_corrupt_converted_npz_is_a_data_file_error(tmp_path) -> None:
    bad = tmp_path / "table.npz"
    bad.write_bytes(b"garbage")
    with pytest.raises(DataFileError, match="not a converted NAS-Bench-101 table"):
        load_official(bad)
    with pytest.raises(DataFileError, match="unknown NAS-Bench-101 data file"):
        load_benchmark(tmp_path / "table.json")


def test_malformed_record_payload(write_tfrecord, tmp_path, frame_bytes) -> None:
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(frame_bytes(b'["abc", 108, "0100", "input,output", "!!!"]'))
    with pytest.raises(DataFileError, match="malformed NAS-Bench-101 record"):
        load_official(path, cache_dir=tmp_path)
