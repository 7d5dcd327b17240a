"""README's "Python API for a trained run" snippet runs as written, on a tiny finished run.

The block is read from README.md itself, so the section cannot drift from the API it documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API for a trained run", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "README's trained-run section should hold exactly one python block"
    return blocks[0]


def test_readme_trained_run_snippet_runs(run_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    snippet = _snippet()
    assert 'archgen.open_run("runs/nb201-arch-vq")' in snippet
    # The snippet names the default run's folder; the tiny run stands in for it.
    monkeypatch.chdir(run_copy.parent.parent)
    exec(compile(snippet.replace("runs/nb201-arch-vq", "runs/tiny"), str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "arch_vq [0, 1]"
    assert 0 <= float(printed[-1]) <= 100


def test_readme_python_api_snippet_runs_with_tiny_sizes(monkeypatch, tmp_path):
    """README's first Python block (load, fit, sample, decode) runs as written but for its sizes."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n#", 1)[0]
    snippet = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]
    sized = snippet.replace("vqvae_epochs=50, prior_epochs=100", "vqvae_epochs=1, prior_epochs=1")
    sized = sized.replace("space.sample(1000, seed=0)", "space.sample(100, seed=0)").replace("10_000", "50")
    assert sized != snippet, "README's Python API block changed: update the sizes this test cuts"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(sized, str(README), "exec"), namespace)
    assert len(namespace["archs"]) == 50 and namespace["space"].is_valid(namespace["arch"])
