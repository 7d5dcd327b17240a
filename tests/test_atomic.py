"""Atomic writes leave the old file intact when writing fails."""

import pytest

from archgen.atomic import write_json, write_text, write_with


def test_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"a": 1})

    def explode(handle):
        handle.write('{"half": ')
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_with(target, explode)
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_write_creates_parent_folders(tmp_path):
    write_text(tmp_path / "a" / "b.txt", "x")
    assert (tmp_path / "a" / "b.txt").read_text() == "x"
