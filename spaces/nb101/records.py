"""The payload of one official NAS-Bench-101 record, decoded.

google-research/nasbench ``nasbench/api.py`` (``NASBench.__init__``) reads
each TFRecord payload as a UTF-8 JSON list
``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]``, where
``raw_metrics`` is the base64 of a serialised ``ModelMetrics`` message
(``nasbench/lib/model_metrics.proto``, proto2)::

    message ModelMetrics {
      repeated EvaluationData evaluation_data = 1;   // [0] start, [1] halfway, [2] end
      optional int32 trainable_parameters = 2;
      optional double total_time = 3;
    }
    message EvaluationData {
      optional double current_epoch = 1;
      optional double training_time = 2;
      optional double train_accuracy = 3;
      optional double validation_accuracy = 4;
      optional double test_accuracy = 5;
      optional string checkpoint_path = 6;
    }

The messages are parsed here with a few lines of protobuf wire-format
decoding: for two tiny, fixed messages that is simpler than a protobuf
dependency plus generated code that must match its runtime's version.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass

from archgen.errors import DataFileError

_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")

EVALUATION_FIELDS = {2: "training_time", 3: "train_accuracy", 4: "validation_accuracy", 5: "test_accuracy"}


@dataclass(frozen=True)
class Evaluation:
    """One ``EvaluationData`` message (times in seconds, accuracies in [0, 1])."""

    current_epoch: float = 0.0
    training_time: float = 0.0
    train_accuracy: float = 0.0
    validation_accuracy: float = 0.0
    test_accuracy: float = 0.0


@dataclass(frozen=True)
class Record:
    """One training run of one cell at one epoch budget."""

    module_hash: str
    epochs: int
    adjacency: str
    ops: tuple[str, ...]
    trainable_parameters: int
    evaluations: tuple[Evaluation, ...]

    @property
    def final(self) -> Evaluation:
        """Metrics at the end of training (``evaluation_data[2]``, what ``query`` returns)."""
        return self.evaluations[-1]


def parse_record(payload: bytes) -> Record:
    """Decodes one record payload.

    Args:
        payload: The TFRecord data bytes.

    Returns:
        The decoded record.

    Raises:
        DataFileError: If the JSON, base64 or protobuf is malformed.
    """
    try:
        module_hash, epochs, adjacency, operations, raw_metrics = json.loads(payload.decode("utf-8"))
        metrics = base64.b64decode(raw_metrics, validate=True)
        parameters, evaluations = parse_model_metrics(metrics)
        return Record(str(module_hash), int(epochs), str(adjacency), tuple(operations.split(",")), parameters, evaluations)
    except (UnicodeDecodeError, json.JSONDecodeError, binascii.Error, ValueError, TypeError, AttributeError) as error:
        raise DataFileError(f"malformed NAS-Bench-101 record ({type(error).__name__}: {error}): {payload[:60]!r}") from None


def parse_model_metrics(data: bytes) -> tuple[int, tuple[Evaluation, ...]]:
    """Parses a serialised ``ModelMetrics``: ``(trainable_parameters, evaluations)``.

    Raises:
        ValueError: On malformed wire data.
    """
    parameters = 0
    evaluations = []
    for field, value in _fields(data):
        if field == 1:
            evaluations.append(_evaluation(value))
        elif field == 2:
            parameters = int(value)
    return parameters, tuple(evaluations)


def _evaluation(data: bytes) -> Evaluation:
    values: dict[str, float] = {}
    for field, value in _fields(data):
        if field == 1:
            values["current_epoch"] = value
        elif field in EVALUATION_FIELDS:
            values[EVALUATION_FIELDS[field]] = value
    return Evaluation(**values)


def _fields(data: bytes) -> list[tuple[int, object]]:
    """``(field number, value)`` pairs: ints for varints, floats for 32/64-bit, bytes for length-delimited.

    Written for speed (a list, one-byte keys decoded inline): the official files hold ~1.3 M messages.
    """
    fields: list[tuple[int, object]] = []
    position, end = 0, len(data)
    while position < end:
        key = data[position]
        if key < 0x80:
            position += 1
        else:
            key, position = _varint(data, position)
        wire_type = key & 7
        if wire_type == 1:
            if position + 8 > end:
                raise ValueError("truncated 64-bit field")
            fields.append((key >> 3, _DOUBLE.unpack_from(data, position)[0]))
            position += 8
        elif wire_type == 0:
            value, position = _varint(data, position)
            fields.append((key >> 3, value))
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > end:
                raise ValueError("truncated length-delimited field")
            fields.append((key >> 3, data[position : position + length]))
            position += length
        elif wire_type == 5:
            if position + 4 > end:
                raise ValueError("truncated 32-bit field")
            fields.append((key >> 3, _FLOAT.unpack_from(data, position)[0]))
            position += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
    return fields


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


# -- writing: the inverse, for tests and small fixtures ---------------------------


def encode_model_metrics(trainable_parameters: int, evaluations: tuple[Evaluation, ...]) -> bytes:
    """Serialises a ``ModelMetrics`` message (the inverse of :func:`parse_model_metrics`)."""
    out = bytearray()
    for evaluation in evaluations:
        body = bytearray()
        for field, name in ((1, "current_epoch"), *EVALUATION_FIELDS.items()):
            body += _key(field, 1) + struct.pack("<d", getattr(evaluation, name))
        out += _key(1, 2) + _encode_varint(len(body)) + body
    out += _key(2, 0) + _encode_varint(trainable_parameters)
    return bytes(out)


def encode_record(record: Record) -> bytes:
    """The JSON payload the official files hold for ``record``."""
    metrics = base64.b64encode(encode_model_metrics(record.trainable_parameters, record.evaluations)).decode()
    return json.dumps([record.module_hash, record.epochs, record.adjacency, ",".join(record.ops), metrics]).encode()


def _key(field: int, wire_type: int) -> bytes:
    return _encode_varint(field << 3 | wire_type)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
