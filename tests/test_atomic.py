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


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_written_files_follow_the_umask(tmp_path, umask):
    """Issue 8: files came out mode 0600 (mkstemp's) whatever the umask said."""
    import os
    import stat

    previous = os.umask(umask)
    try:
        write_text(tmp_path / "metrics.json", "{}")
        write_json(tmp_path / "config.json", {"a": 1})
    finally:
        os.umask(previous)
    for name in ("metrics.json", "config.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_temporary_names_do_not_collide(tmp_path):
    from archgen.atomic import atomic_path

    with atomic_path(tmp_path / "a.txt") as first, atomic_path(tmp_path / "a.txt") as second:
        assert first != second and first.exists() and second.exists()
        assert first.name.startswith(".a.txt.") and first.name.endswith(".tmp")
