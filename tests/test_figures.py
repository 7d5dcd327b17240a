"""archgen.figures: PNGs written headless and atomically, figures closed."""

import os

import pytest

from archgen.figures import headless_pyplot, save_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _figure():
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(2, 2), dpi=50)
    axis.plot([0, 1], [1, 0])
    return plt, figure


def test_pyplot_is_headless():
    assert headless_pyplot().get_backend().lower() == "agg"


def test_save_figure_writes_a_png_in_a_new_folder_and_closes_the_figure(tmp_path):
    plt, figure = _figure()
    path = tmp_path / "deep" / "plot.png"
    assert save_figure(figure, str(path)) == path
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert figure.number not in plt.get_fignums()
    assert os.listdir(path.parent) == ["plot.png"]  # no temporary left behind


def test_a_failed_write_keeps_the_old_file_and_still_closes_the_figure(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    plt, figure = _figure()

    def half_written(target, **kwargs):
        with open(target, "wb") as handle:
            handle.write(PNG_MAGIC)  # a truncated PNG, then the failure
        raise OSError("disk full")

    figure.savefig = half_written
    with pytest.raises(OSError, match="disk full"):
        save_figure(figure, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["plot.png"]
    assert figure.number not in plt.get_fignums()
