"""``archgen generate --distinct``: n valid, pairwise non-isomorphic architectures, and the draws they took."""

from __future__ import annotations

import json

import archgen
from archgen.cli.main import main


def _read(path):
    head, *rows = path.read_text().splitlines()
    return json.loads(head), [json.loads(row) for row in rows]


def _uniform_registry(tiny_registry, **sizes):
    """The tiny registry with the training-free ``uniform`` generator (every draw a valid cell)."""
    path = tiny_registry(**sizes)
    text = path.read_text()
    text = text[: text.index("[generator]")] + '[generator]\nname = "uniform"\n\n' + text[text.index("[evaluate]") :]
    path.write_text(text[: text.index("[evaluate.sampling]")])
    return str(path)


def test_distinct_generation_keeps_n_valid_distinct_cells_and_leaves_samples_alone(tiny_registry, tmp_path, capsys):
    config = _uniform_registry(tiny_registry, num_samples=40)
    assert main(["train", "--config", config]) == 0
    assert main(["generate", "--config", config]) == 0
    run = tmp_path / "runs" / "tiny"
    samples_before = (run / "samples.jsonl").read_bytes()

    # 2,000 distinct of NB201's 15,625 cells (6,466 isomorphism classes): uniform draws repeat
    # classes, so it takes more draws than kept cells.
    assert main(["generate", "--config", config, "--distinct", "--n", "2000"]) == 0
    assert "2000 kept from" in capsys.readouterr().out
    head, rows = _read(run / "distinct.jsonl")
    space = archgen.load("space", "nb201")
    archs = [space.from_string(row["arch"]) for row in rows]
    assert [row["seed"] for row in rows] == [0] * 2000
    assert all(space.is_valid(arch) for arch in archs)
    assert len({space.canonical_key(arch) for arch in archs}) == 2000
    stats = head["seeds"]["0"]
    assert head["n"] == 2000 and head["by_canonical_key"] and head["generator"] == "uniform"
    assert stats["complete"] and stats["distinct"] == 2000 and stats["malformed_draws"] == 0
    # Every draw of uniform is valid; the surplus over 2,000 is repeats of a kept class.
    assert stats["valid_draws"] == stats["draws"] > 2000
    assert stats["draws_per_distinct"] == stats["draws"] / 2000
    # The i.i.d. samples that `archgen evaluate` scores are untouched.
    assert (run / "samples.jsonl").read_bytes() == samples_before


def test_max_draws_caps_the_search_and_says_so(tiny_registry, tmp_path, capsys):
    config = str(tiny_registry(vqvae_epochs=1, prior_epochs=1, num_samples=20))
    assert main(["train", "--config", config]) == 0
    assert main(["generate", "--config", config, "--distinct", "--n", "500", "--max-draws", "30", "--temperature", "1.3"]) == 0
    assert "stopped at max_draws 30" in capsys.readouterr().out
    head, rows = _read(tmp_path / "runs" / "tiny" / "distinct.jsonl")
    stats = head["seeds"]["0"]
    assert not stats["complete"] and stats["draws"] == 30 and len(rows) == stats["distinct"] <= 30
    assert head["generator"] == "arch_vq" and head["sampling"]["temperature"] == 1.3
