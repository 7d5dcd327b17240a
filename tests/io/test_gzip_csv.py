"""archgen.io.gzip_csv: CSV files read the same gzipped or plain; damage is a DataFileError naming the file."""

from __future__ import annotations

import gzip

import pytest

from archgen.errors import DataFileError
from archgen.io import read_csv_records, read_csv_rows

TEXT = 'name,value\n"a, quoted",1\nb,2\n\nc,3\n'
ROWS = [["name", "value"], ["a, quoted", "1"], ["b", "2"], [], ["c", "3"]]


# A plain file named .gz is refused (test_gz_name_without_gzip_content); every other pairing reads.
@pytest.mark.parametrize(
    ("compressed", "suffix"), [(False, ".csv"), (False, ".dat"), (True, ".csv"), (True, ".csv.gz"), (True, ".dat")]
)
def test_gzip_is_detected_by_content(tmp_path, compressed, suffix):
    path = tmp_path / f"t{suffix}"
    path.write_bytes(gzip.compress(TEXT.encode()) if compressed else TEXT.encode())
    assert list(read_csv_rows(path)) == ROWS
    header, records = read_csv_records(path, required=("name",))
    assert header == ["name", "value"]
    assert records == [{"name": "a, quoted", "value": "1"}, {"name": "b", "value": "2"}, {"name": "c", "value": "3"}]


def test_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff".encode() + TEXT.encode())
    assert next(read_csv_rows(path)) == ["name", "value"]


def test_gz_name_without_gzip_content(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_text(TEXT)
    with pytest.raises(DataFileError, match=r"cannot read CSV file '.*t.csv.gz': named .gz but not gzip-compressed"):
        list(read_csv_rows(path))


def test_truncated_gzip_names_the_file(tmp_path):
    whole = gzip.compress((TEXT * 2000).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFileError, match=r"cannot read NB file '.*cut.csv.gz': corrupt gzip file"):
        list(read_csv_rows(path, what="NB file"))


def test_flipped_gzip_bytes_name_the_file(tmp_path):
    data = bytearray(gzip.compress((TEXT * 200).encode()))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flip.csv.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="flip.csv.gz': corrupt gzip file"):
        list(read_csv_rows(path))


def test_missing_file_non_utf8_and_malformed_csv(tmp_path):
    with pytest.raises(DataFileError, match="absent.csv': does not exist"):
        list(read_csv_rows(tmp_path / "absent.csv"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError, match="latin.csv': not UTF-8 text at byte 8"):
        list(read_csv_rows(latin))
    for name, text in (("open.csv", 'a,b\n"x,1\n'), ("stray.csv", 'a,b\n"x"y,1\n')):
        (tmp_path / name).write_text(text)
        with pytest.raises(DataFileError, match=f"{name}': malformed CSV"):
            list(read_csv_rows(tmp_path / name))


def test_records_check_header_and_width(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name,value\nb,2\nc\n")
    with pytest.raises(DataFileError, match="t.csv' line 3 has 1 fields, the header has 2"):
        read_csv_records(path)
    with pytest.raises(DataFileError, match=r"lacks the column\(s\) \['hash'\]; its header is \['name', 'value'\]"):
        read_csv_records(path, required=("hash", "name"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataFileError, match="empty.csv' is empty"):
        read_csv_records(empty)
