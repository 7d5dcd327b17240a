"""Nothing lost, nothing escapes: the run directory under failures, signals, hostile names and races.

Each test reproduces an item of the run-directory hardening issue on the code before it (commit
057adcb) and checks the guarantee stated in docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archgen import RunDirectoryError
from archgen.cli.main import main
from archgen.pipeline.rundir import StagedRun, check_run_name, sweep_stale


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones included) and the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


#: A hook plugin that holds a command at one hook until a release file appears (or 120 s pass).
STAGE_HOOKS = {"training": "archgen_epoch_end", "generate": "archgen_samples_generated", "evaluate": "archgen_metrics_computed"}

PAUSING_HOOK = '''
import os, pathlib, time
from archgen.hooks import hookimpl

def _pause(name):
    if os.environ.get("PAUSE_AT") == name:
        os.environ["PAUSE_AT"] = ""  # pause once
        pathlib.Path(os.environ["PAUSE_FLAG"]).write_text(name)
        release = os.environ.get("PAUSE_RELEASE")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (release and pathlib.Path(release).exists()):
            time.sleep(0.05)

@hookimpl
def archgen_epoch_end(stage, epoch, logs):
    _pause("archgen_epoch_end")

@hookimpl
def archgen_samples_generated(space, sampling, num_samples, num_well_formed):
    _pause("archgen_samples_generated")

@hookimpl
def archgen_metrics_computed(seed, metrics):
    _pause("archgen_metrics_computed")
'''


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory, tiny_registry_template):
    """One finished tiny run, trained once for the module."""
    base = tmp_path_factory.mktemp("trained")
    registry = base / "registry.toml"
    registry.write_text(tiny_registry_template.format(
        runs=(base / "runs").as_posix(), space="nb201", num_archs=240, vqvae_epochs=2, prior_epochs=2, num_samples=50,
    ))
    os.environ["ARCHGEN_PROGRESS"] = "0"
    assert main(["run", "--config", str(registry)]) == 0
    return base / "runs" / "tiny"


@pytest.fixture
def trained(trained_once, tiny_registry, tmp_path, capsys):
    """A copy of the finished tiny run under this test's registry: (registry path, run dir, digest)."""
    config = tiny_registry(num_samples=50)
    run = tmp_path / "runs" / "tiny"
    shutil.copytree(trained_once, run)
    capsys.readouterr()
    return config, run, tree_digest(run)


# -- 1. a failed command never replaces the earlier run ------------------------------------------
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--temperature", "-1"], "temperature: Input should be greater than 0"),
        (["--temperature", "0"], "temperature: Input should be greater than 0"),
        (["--temperature", "nan"], "temperature: Input should be a finite number"),
        (["--top-p", "7"], "top_p: Input should be less than or equal to 1"),
        (["--top-p", "-3"], "top_p: Input should be greater than 0"),
        (["--sampling", "guidance=3"], "guidance: unknown key"),
    ],
)
def test_run_overwrite_with_a_bad_sampling_flag_keeps_the_earlier_run(trained, capsys, flags, message):
    config, run, before = trained
    assert main(["run", "--config", str(config), "--overwrite", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert tree_digest(run) == before


def test_a_failure_in_generate_or_evaluate_keeps_the_earlier_run(trained, monkeypatch, capsys):
    config, run, before = trained
    from archgen.pipeline import evaluate as evaluate_step

    def broken(*args, **kwargs):
        raise RunDirectoryError("injected failure in evaluate")

    monkeypatch.setattr(evaluate_step, "evaluate", broken)
    assert main(["run", "--config", str(config), "--overwrite"]) == 2
    assert "injected failure in evaluate" in capsys.readouterr().err
    assert tree_digest(run) == before
    assert main(["generate", "--config", str(config), "--n", "20"]) == 0  # generate alone still works
    assert tree_digest(run) != before
    after_generate = tree_digest(run)
    assert main(["evaluate", "--config", str(config)]) == 2
    assert tree_digest(run) == after_generate


# -- 2. a run name is a plain name; --overwrite replaces only archgen runs ----------------------------
@pytest.mark.parametrize("name", ["../../x", "/tmp/abs", "..", ".", "", ".hidden", "a/b", "x" * 201, "a\x00b"])
def test_a_run_name_must_be_plain(tiny_registry, tmp_path, capsys, name):
    config = tiny_registry()
    assert main(["train", "--config", str(config), "--name", name]) == 2
    err = capsys.readouterr().err
    assert "bad run name" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.toml"]  # nothing created anywhere


def test_overwrite_never_deletes_a_folder_that_is_not_a_run(tiny_registry, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work")
    config = tiny_registry()
    assert main(["train", "--config", str(config), "--run-dir", str(victim), "--overwrite"]) == 2
    assert "is not an archgen run" in capsys.readouterr().err
    assert (victim / "thesis.tex").read_text() == "years of work"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".victim.") and not p.name.endswith(".lock")]


def test_check_run_name_accepts_ordinary_names():
    for name in ("nb201-arch-vq", "run_1", "A.b+c=d@e", "7"):
        assert check_run_name(name) == name


# -- 3. concurrent commands on one name ----------------------------------------------------------------
def test_a_second_command_on_a_name_in_use_fails_at_once(tmp_path):
    first = StagedRun(tmp_path / "H")
    with pytest.raises(RunDirectoryError, match=r"is in use by process \d+"):
        StagedRun(tmp_path / "H")
    with first as run:
        run.write_json("config.json", {"run": {}, "space": {}, "seeds_trained": [0]})
    assert (tmp_path / "H" / "config.json").is_file()
    StagedRun(tmp_path / "H", overwrite=True).__exit__(RuntimeError, None, None)  # lock is free again


def test_the_final_rename_refuses_a_target_that_appeared_meanwhile(tmp_path):
    staged = StagedRun(tmp_path / "H")
    with pytest.raises(RunDirectoryError, match="appeared while this run was built; kept it and saved this run as"):
        with staged as run:
            run.write_json("config.json", {"made": "second"})
            (tmp_path / "H").mkdir()
            (tmp_path / "H" / "first.txt").write_text("first")
    assert (tmp_path / "H" / "first.txt").read_text() == "first"
    assert json.loads((tmp_path / "H-2" / "config.json").read_text()) == {"made": "second"}


def test_concurrent_cli_runs_with_one_name_never_overwrite(tiny_registry, tmp_path, install_plugin):
    # The first run is held inside training (a hook waits for a release file) while the second starts.
    install_plugin("pausing_hook", PAUSING_HOOK, {"archgen.hooks": {"pause": "pausing_hook"}}, dist="archgen-pause")
    config = tiny_registry()
    flag, release = tmp_path / "paused", tmp_path / "release"
    env = {
        **os.environ, "ARCHGEN_PROGRESS": "0", "PAUSE_FLAG": str(flag), "PAUSE_RELEASE": str(release),
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "archgen.cli.main", "train", "--config", str(config), "--name", "H"]
    first = subprocess.Popen(command, env={**env, "PAUSE_AT": "archgen_epoch_end"}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), first.communicate()[1]
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "is in use by process" in second.stderr, second.stderr
    release.write_text("go")
    assert first.wait(timeout=300) == 0
    assert (tmp_path / "runs" / "H" / "config.json").is_file()


# -- 4. SIGKILL debris is swept at the next command ---------------------------------------------------------
def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_of_a_dead_process_is_swept_and_a_set_aside_run_restored(tmp_path):
    pid = _dead_pid()
    staging = tmp_path / f".H.{pid}.abc123.staging"
    staging.mkdir()
    (staging / "half.pt").write_bytes(b"half")
    set_aside = tmp_path / f".G.{pid}.old" / "run"
    set_aside.mkdir(parents=True)
    (set_aside / "config.json").write_text("{}")
    live = tmp_path / f".L.{os.getpid()}.xyz.staging"
    live.mkdir()
    swept = sweep_stale(tmp_path)
    assert sorted(p.name for p in swept) == sorted([staging.name, f".G.{pid}.old"])
    assert not staging.exists() and live.is_dir()
    assert (tmp_path / "G" / "config.json").read_text() == "{}"  # restored, never deleted


# -- 8. a damaged samples.jsonl names the file and line -----------------------------------------------------
def _record_lines(run: Path) -> list[str]:
    return (run / "samples.jsonl").read_text().splitlines()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda lines: lines[:1], "holds no samples"),
        (lambda lines: lines[:10], "seed 0 has 9 samples, the header says 50"),
        (lambda lines: [lines[0], "{not json", *lines[2:]], "line 2: "),
        (lambda lines: [lines[0], json.dumps({"seed": 0, "index": 0}), *lines[2:]], "line 2: missing field 'well_formed'"),
        (lambda lines: [lines[0], json.dumps({"seed": "0", "index": 0, "well_formed": False, "graph": None}), *lines[2:]],
         "line 2: seed '0' is not one of the header's seeds [0]"),
        (lambda lines: [lines[0], json.dumps({"seed": 0, "index": 0, "well_formed": True,
                                              "graph": {"adjacency": [[0]], "ops": ["conv9x9"]}}), *lines[2:]],
         "line 2: op 'conv9x9' is not in the space's vocabulary"),
        (lambda lines: [lines[0], json.dumps({"seed": 0, "index": 0, "well_formed": True,
                                              "graph": {"adjacency": [[0, "1"], [0, 0]], "ops": ["input", "output"]}}), *lines[2:]],
         "line 2: graph adjacency must be a list of rows of 0/1 integers"),
        (lambda lines: [lines[0], lines[2], *lines[2:]], "line 2: index 1 out of order (expected 0 for seed 0)"),
        (lambda lines: ["garbage", *lines[1:]], "line 1: "),
    ],
)
def test_a_damaged_samples_file_is_refused_with_its_line_and_metrics_kept(trained, capsys, damage, message):
    config, run, before = trained
    lines = _record_lines(run)
    samples = run / "samples.jsonl"
    samples.write_text("\n".join(damage(lines)) + "\n")
    damaged = tree_digest(run)
    assert main(["evaluate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "samples.jsonl" in err and message in err and err.count("\n") == 1, err
    assert ".staging" not in err  # the file is named where the user knows it
    assert tree_digest(run) == damaged  # metrics.json was not overwritten


# -- 9. split.npz and config.json -------------------------------------------------------------------------
def _write_split(run: Path, **arrays) -> None:
    import numpy as np

    with open(run / "split.npz", "wb") as handle:
        np.savez(handle, **arrays)


@pytest.mark.parametrize(
    "arrays, message",
    [
        # Each entry builds the arrays from the run's data-set size n (its real split's length).
        (lambda n: {"train": [0.5, 1.0], "heldout": [2]}, "train must be a 1-D integer array"),
        (lambda n: {"train": list(range(10_000, 10_000 + n - 24)), "heldout": list(range(24))}, "index out of range"),
        (lambda n: {"train": [-1, *range(1, n - 24)], "heldout": list(range(n - 24, n))}, "index out of range"),
        (lambda n: {"train": [0, 0, *range(2, n - 24)], "heldout": list(range(n - 24, n))}, "an index is repeated"),
        (lambda n: {"train": list(range(n - 24))}, "lacks the array 'heldout'"),
    ],
)
def test_a_bad_split_is_refused(trained, capsys, arrays, message):
    import numpy as np

    config, run, _ = trained
    with np.load(run / "split.npz") as real:
        n = len(real["train"]) + len(real["heldout"])
    _write_split(run, **{k: np.asarray(v) for k, v in arrays(n).items()})
    assert main(["evaluate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "split.npz" in err and message in err and err.count("\n") == 1, err


def test_a_truncated_split_is_refused(trained, capsys):
    config, run, _ = trained
    data = (run / "split.npz").read_bytes()
    (run / "split.npz").write_bytes(data[: len(data) // 2])
    assert main(["evaluate", "--config", str(config)]) == 2
    assert "split.npz' is corrupt (BadZipFile)" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["[]", "{\"run\": 3}", "{}", "\"text\"", "{\"run\": {}, \"space\": {\"name\": \"nb201\"}}"])
def test_a_config_json_of_the_wrong_shape_is_refused(trained, capsys, content):
    config, run, _ = trained
    (run / "config.json").write_text(content)
    assert main(["evaluate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and ("not an archgen run" in err or "no run at" in err) and err.count("\n") == 1, err


# -- fault injection: kill `run --overwrite` at every stage ------------------------------------------------------
@pytest.mark.parametrize(
    "stage, signum",
    [("training", signal.SIGTERM), ("generate", signal.SIGTERM), ("evaluate", signal.SIGTERM),
     ("training", signal.SIGKILL), ("evaluate", signal.SIGKILL)],
)
def test_killing_run_overwrite_at_any_stage_leaves_the_earlier_run_byte_identical(
    trained, install_plugin, tmp_path, stage, signum
):
    config, run, before = trained
    install_plugin("pausing_hook", PAUSING_HOOK, {"archgen.hooks": {"pause": "pausing_hook"}}, dist="archgen-pause")
    flag = tmp_path / "paused"
    env = {
        **os.environ, "ARCHGEN_PROGRESS": "0", "PAUSE_AT": STAGE_HOOKS[stage], "PAUSE_FLAG": str(flag),
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "archgen.cli.main", "run", "--config", str(config), "--overwrite"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), process.communicate()[1]
    process.send_signal(signum)
    process.communicate(timeout=60)
    assert process.returncode == (128 + signum if signum == signal.SIGTERM else -signum)
    assert tree_digest(run) == before
    # The next command sweeps whatever a SIGKILL left and succeeds.
    assert main(["run", "--config", str(config), "--overwrite"]) == 0
    assert [p.name for p in run.parent.iterdir() if p.name.startswith(".")] == [".tiny.lock"]


# -- 11. run files follow the umask (mkstemp/mkdtemp would make them 0600/0700) ---------------------------------
def test_a_run_and_its_files_follow_the_umask(trained_once):
    mask = os.umask(0)
    os.umask(mask)
    assert (trained_once.stat().st_mode & 0o777) == 0o777 & ~mask
    for name in ("config.json", "samples.jsonl", "metrics.json", "report.md", "split.npz"):
        assert ((trained_once / name).stat().st_mode & 0o777) == 0o666 & ~mask, name
