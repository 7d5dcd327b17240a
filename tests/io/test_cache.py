"""archgen.io.cache: one per-user cache folder for every space."""

from __future__ import annotations

from pathlib import Path

from archgen.io import cache_dir


def test_xdg_cache_home_is_respected(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "archgen"
    assert cache_dir("nb201-benchmark") == tmp_path / "archgen" / "nb201-benchmark"


def test_home_cache_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir("x") == tmp_path / ".cache" / "archgen" / "x"
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty means unset (XDG Base Directory spec)
    assert cache_dir() == tmp_path / ".cache" / "archgen"


def test_a_configured_folder_wins_and_nothing_is_created(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir("ignored", override=tmp_path / "mine") == Path(tmp_path / "mine")
    cache_dir("nb101")
    assert not (tmp_path / "xdg").exists()
