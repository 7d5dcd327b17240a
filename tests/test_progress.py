"""archgen.progress: bars on a terminal, plain lines in a log (no cursor codes), nothing when asked."""

from __future__ import annotations

import io

import pytest

from archgen.progress import MIN_SECONDS_BETWEEN_LINES, LineProgress, Stages, progress, progress_mode


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("value", "terminal", "mode"),
    [(None, True, "bars"), (None, False, "lines"), ("auto", False, "lines"), ("0", True, "off"),
     ("1", False, "bars"), ("bars", False, "bars"), ("lines", True, "lines")],
)
def test_the_mode_follows_the_variable_then_the_terminal(value, terminal, mode):
    environ = {} if value is None else {"ARCHGEN_PROGRESS": value}
    assert progress_mode(environ, _Terminal() if terminal else io.StringIO()) == mode


def test_a_short_loop_writes_one_line_per_step_with_its_postfix_and_an_eta():
    clock, stream = _Clock(), io.StringIO()
    bar = LineProgress(range(1, 4), desc="prior", stream=stream, clock=clock)
    for epoch in bar:
        clock.now += 65.0
        bar.set_postfix({"loss": f"{1.0 / epoch:.4g}"}, refresh=False)
    assert stream.getvalue().splitlines() == [
        "prior: 1/3 [0:01:05, eta 0:02:10] loss=1",
        "prior: 2/3 [0:02:10, eta 0:01:05] loss=0.5",
        "prior: 3/3 [0:03:15] loss=0.3333",
    ]


def test_a_long_loop_writes_at_most_one_line_per_interval_and_the_last():
    clock, stream = _Clock(), io.StringIO()
    bar = LineProgress(range(5_000), desc="label", stream=stream, clock=clock)
    for _ in bar:
        clock.now += MIN_SECONDS_BETWEEN_LINES / 1_000  # 1,000 steps per interval
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("label: 1/5000 [") and lines[-1].startswith("label: 5000/5000 [")
    assert len(lines) == 6  # the first step, one per 1,000 steps, and never the last twice


def test_close_after_a_break_writes_the_step_reached_once():
    stream = io.StringIO()
    bar = LineProgress(range(5_000), desc="x", stream=stream, clock=_Clock())
    for step in bar:
        if step == 41:
            break
    bar.close()
    bar.close()
    assert stream.getvalue().splitlines() == ["x: 1/5000 [0:00:00, eta 0:00:00]", "x: 41/5000 [0:00:00, eta 0:00:00]"]


def test_a_redirected_archgen_run_logs_lines_without_cursor_codes(tiny_registry_template, tmp_path, monkeypatch, capfd):
    from archgen.cli.main import main

    monkeypatch.delenv("ARCHGEN_PROGRESS")  # captured stderr is no terminal: lines
    registry = tmp_path / "registry.toml"
    registry.write_text(tiny_registry_template.format(
        runs=(tmp_path / "runs").as_posix(), space="nb201", num_archs=200, vqvae_epochs=2, prior_epochs=1, num_samples=20,
    ))
    assert main(["run", "--config", str(registry)]) == 0
    err = capfd.readouterr().err
    assert "\x1b[" not in err and "\r" not in err
    assert [line.split(" [")[0] for line in err.splitlines() if line.startswith("vqvae:")] == ["vqvae: 1/2", "vqvae: 2/2"]
    # one overall line per stage and sub-step, not per epoch
    assert [line.split(" [")[0] for line in err.splitlines() if line.startswith("run:")] == [
        "run: stage 1/4 (train seed 0)", "run: stage 1/4 (vqvae seed 0)", "run: stage 1/4 (prior seed 0)",
        "run: stage 2/4 (generate)", "run: stage 3/4 (evaluate)", "run: stage 4/4 (baseline)", "run: stage 4/4 (done)",
    ]


def test_off_is_a_disabled_bar(monkeypatch):
    monkeypatch.setenv("ARCHGEN_PROGRESS", "0")
    assert progress(range(3), desc="x").disable


def test_stages_write_one_overall_line_per_stage_with_an_eta_from_the_weights():
    clock, stream = _Clock(), io.StringIO()
    stages = Stages("run", [("train seed 0", 10), ("train seed 1", 10), ("generate", 1), ("evaluate", 1)],
                    mode="lines", stream=stream, clock=clock)
    stages.start("train seed 0")
    clock.now = 30.0
    stages.within(0.5, detail="vqvae seed 0")  # 5 of 22 units in 30 s: 6 s a unit, 17 left
    clock.now = 40.0
    stages.within(0.6)  # same detail: no line
    clock.now = 60.0
    stages.start("train seed 1")  # 10 of 22 in 60 s
    stages.start("evaluate")  # the skipped 'generate' counts as done
    stages.close()
    stages.close()
    assert stream.getvalue().splitlines() == [
        "run: stage 1/4 (train seed 0) [0:00:00]",
        "run: stage 1/4 (vqvae seed 0) [0:00:30, eta 0:01:42]",
        "run: stage 2/4 (train seed 1) [0:01:00, eta 0:01:12]",
        "run: stage 4/4 (evaluate) [0:01:00, eta 0:00:03]",
        "run: stage 4/4 (done) [0:01:00]",
    ]


def test_stages_refuse_unknown_or_earlier_stages_and_bad_weights():
    stages = Stages("run", [("a", 1), ("b", 1)], mode="off")
    stages.start("b")
    with pytest.raises(ValueError, match="no stage 'a' after stage 2"):
        stages.start("a")
    with pytest.raises(ValueError, match="positive weights"):
        Stages("run", [("a", 0)], mode="off")


def test_stages_off_write_nothing_and_bars_track_the_weighted_share():
    stream = io.StringIO()
    off = Stages("run", [("a", 1)], mode="off", stream=stream)
    off.start("a")
    off.close()
    assert stream.getvalue() == ""
    bars = Stages("run", [("a", 3), ("b", 1)], mode="bars", stream=stream)
    bars.start("a")
    bars.within(0.5)
    assert bars._bar.n == 375 and bars._bar.pos == 0  # 1.5 of 4 units, in thousandths; the top line
    bars.close()
    assert bars._bar is None
