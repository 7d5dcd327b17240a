"""The archgen command line end to end on tiny configs, and its one-line errors."""

import json
import subprocess
import sys

from importlib.metadata import entry_points

import pytest

from archgen.cli.main import main


def _archgen(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "archgen.cli.main", *args], capture_output=True, text=True, cwd=cwd,
        env={**__import__("os").environ, "ARCHGEN_PROGRESS": "0"},
    )


def test_plugins_lists_every_group_with_distribution_and_version(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for group in ("archgen.spaces", "archgen.generators", "archgen.priors", "archgen.quantizers", "archgen.encoders"):
        assert group in out
    rows = [line.split() for line in out.splitlines()]
    assert ["nb201", "archgen.spaces.nb201.space:NB201Space", "archgen", "0.1.0"] in rows
    assert ["arch_vq", "archgen.plugins.generators.arch_vq.generator:ArchVQ", "archgen", "0.1.0"] in rows


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "archgen run" in capsys.readouterr().out


def _run(tiny_registry, capsys, *extra):
    config = tiny_registry()
    code = main(["run", "--config", str(config), *extra])
    out, err = capsys.readouterr()
    return config, code, out, err


def test_run_writes_the_run_directory_and_prints_both_protocols(tiny_registry, tmp_path, capsys):
    config, code, out, err = _run(tiny_registry, capsys, "--seeds", "2")
    assert code == 0, err
    assert out.splitlines()[0].split()[:3] == ["Protocol", "Recon.", "Acc"]
    assert any(line.startswith("paper ") for line in out.splitlines())
    assert any(line.startswith("strict ") for line in out.splitlines())
    run = tmp_path / "runs" / "tiny"
    assert {p.name for p in run.iterdir()} == {
        ".archgen-run", "config.json", "split.npz", "checkpoints", "samples.jsonl", "metrics.json", "report.md"
    }
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["seed-0", "seed-1"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seeds"] == [0, 1] and len(metrics["per_seed"]) == 2
    validity = [s["paper"]["validity"] for s in metrics["per_seed"]]
    assert metrics["summary"]["paper"]["validity"]["mean"] == pytest.approx(sum(validity) / 2)
    lines = (run / "samples.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "archgen.samples/2" and len(lines) == 1 + 2 * 200
    records = [json.loads(line) for line in lines[1:]]
    assert all(set(r) >= {"seed", "index", "well_formed", "graph", "valid"} for r in records)
    # a well-formed draw carries its decoded graph and the generator's tokens (VQ codes here)
    assert all((r["graph"] is not None) == r["well_formed"] for r in records)
    assert all(len(r["tokens"]) == 8 for r in records if r["well_formed"])
    # a valid record carries the official NB201 string
    valid = [json.loads(line) for line in lines[1:] if json.loads(line)["valid"]]
    assert all(r["arch"].startswith("|") and r["arch"].count("+") == 2 for r in valid)
    # the same name again is refused, and the finished run is untouched
    before = (run / "metrics.json").read_bytes()
    assert main(["run", "--config", str(config)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (run / "metrics.json").read_bytes() == before


def test_sub_steps_share_one_run_directory(tiny_registry, tmp_path, capsys):
    config = str(tiny_registry())
    assert main(["train", "--config", config, "--seeds", "2"]) == 0
    assert main(["generate", "--config", config, "--n", "64", "--temperature", "1.5"]) == 0
    run = tmp_path / "runs" / "tiny"
    header = json.loads((run / "samples.jsonl").read_text().splitlines()[0])
    assert header["sampling"] == {"temperature": 1.5, "top_k": None, "top_p": None}
    assert header["num_samples"] == 64 and header["seeds"] == [0, 1]
    assert main(["evaluate", "--config", config, "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "±" in out and (run / "report.md").read_text().startswith("# tiny: arch_vq on nb201")
    assert main(["sweep", "--config", config, "--temperatures", "0.5:1.5:0.5", "--n", "50"]) == 0
    sweep = json.loads((run / "sweep.json").read_text())
    assert sweep["over"] == "temperature" and [p["value"] for p in sweep["points"]] == [0.5, 1.0, 1.5]
    assert main(["sweep", "--config", config, "--over", "top_k=1,4", "--n", "20"]) == 0
    sweep = json.loads((run / "sweep.json").read_text())
    assert sweep["over"] == "top_k" and [p["sampling"]["top_k"] for p in sweep["points"]] == [1, 4]
    assert (run / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["evaluate", "--config", config, "--seeds", "3"]) == 2
    assert "train with --seeds 3" in capsys.readouterr().err


def test_overwrite_replaces_only_after_success(tiny_registry, tmp_path, capsys):
    config = str(tiny_registry())
    assert main(["train", "--config", config]) == 0
    run = tmp_path / "runs" / "tiny"
    first = (run / "checkpoints" / "seed-0" / "prior.pt").read_bytes()
    # A failing overwrite (unknown encoder) must leave the earlier run as it was.
    text = (tmp_path / "registry.toml").read_text().replace('name = "gin"', 'name = "gat"')
    (tmp_path / "broken.toml").write_text(text)
    assert main(["train", "--config", str(tmp_path / "broken.toml"), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "unknown plugin 'gat' in group 'archgen.encoders'; available: {gin}" in err
    assert (run / "checkpoints" / "seed-0" / "prior.pt").read_bytes() == first
    assert [p.name for p in run.parent.iterdir() if p.name.startswith(".")] == [".tiny.lock"]  # no staging debris
    assert main(["train", "--config", config, "--overwrite", "--seeds", "2"]) == 0
    assert (run / "checkpoints" / "seed-1").is_dir()


@pytest.mark.parametrize(
    "edit, message",
    [
        (('name = "nb201"', 'name = "nb2O1"'), "unknown plugin 'nb2O1' in group 'archgen.spaces'; available: {"),
        (("num_samples", "num_sample"), "evaluate.num_sample: unknown key"),
        (('name = "arch_vq"', 'name = "archvq"'), "unknown plugin 'archvq' in group 'archgen.generators'; available: {"),
        (("vqvae_epochs", "vqvae_epoch"), "bad options for generator 'arch_vq': vqvae_epoch: unknown key"),
        (("layers = 1", "layrs = 1"), "bad options for generator 'arch_vq' > prior 'transformer': layrs: unknown key"),
        (('name = "ema"', 'name = "emma"'), "generator 'arch_vq' > quantizer: unknown plugin 'emma' in group 'archgen.quantizers'"),
        (("temperature = 1.0", "temprature = 1.0"), "[evaluate.sampling] of generator 'arch_vq': bad sampling options: temprature: unknown key"),
        (("temperature = 1.0", "temperature = -1.0"), "temperature: Input should be greater than 0"),
    ],
)
def test_bad_registry_is_one_line_without_traceback(tiny_registry, tmp_path, edit, message):
    path = tiny_registry()
    path.write_text(path.read_text().replace(*edit, 1))
    result = _archgen("run", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    if "available: {" in message:  # the installed choices, whatever is installed
        group = message.split("group '")[1].split("'")[0]
        installed = sorted(ep.name for ep in entry_points(group=group))
        assert f"available: {{{', '.join(installed)}}}" in result.stderr
    assert not (tmp_path / "runs" / "tiny").exists()


def test_corrupt_checkpoint_fails_cleanly_and_keeps_samples(tiny_registry, tmp_path, capsys):
    config = str(tiny_registry())
    assert main(["run", "--config", config]) == 0
    run = tmp_path / "runs" / "tiny"
    samples = (run / "samples.jsonl").read_bytes()
    (run / "checkpoints" / "seed-0" / "vqvae.pt").write_bytes(b"PK\x03\x04truncated")
    result = _archgen("generate", "--config", config)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "vqvae.pt' is corrupt or not a torch file" in result.stderr
    assert (run / "samples.jsonl").read_bytes() == samples


def test_missing_run_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", "--run-dir", str(tmp_path / "nope")]) == 2
    assert "no run at" in capsys.readouterr().err


@pytest.mark.parametrize(
    "spec, message",
    [
        ("temperature=3:1:0.5", "bad sweep values"),
        ("temperature=a:b:c", "bad sweep values"),
        ("temperature=1:inf:1", "bad sweep values"),
        ("temperature=nan:1:0.1", "bad sweep values"),
        ("temperature=0.1:1000000:0.0001", "has 9,999,999,001 points; at most 1000"),
        ("=1,2", "bad sweep"),
        ("temperature", "bad sweep"),
    ],
)
def test_bad_sweep_grid_is_refused_before_any_work(spec, message):
    from archgen import ConfigError
    from archgen.pipeline.sweep import parse_grid

    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_grid(spec)


def test_sweep_grid_is_inclusive_and_typed():
    from archgen.pipeline.sweep import parse_grid

    key, values = parse_grid("temperature=0.5:3.0:0.1")
    assert key == "temperature" and len(values) == 26 and values[0] == 0.5 and values[-1] == 3.0
    assert parse_grid("top_k=1,5,null") == ("top_k", [1, 5, None])


#: A hook plugin that writes $PAUSE_FLAG at the first training epoch and holds the command there,
#: so the signal below lands inside training however busy the machine is (no sleep-and-hope).
PAUSE_IN_TRAINING = '''
import os, pathlib, time
from archgen.hooks import hookimpl

@hookimpl
def archgen_epoch_end(stage, epoch, logs):
    pathlib.Path(os.environ["PAUSE_FLAG"]).write_text(stage)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
'''


def test_killed_run_leaves_no_staging_folder(tiny_registry, tmp_path, install_plugin):
    import os
    import signal
    import time

    install_plugin("pausing_hook", PAUSE_IN_TRAINING, {"archgen.hooks": {"pause": "pausing_hook"}}, dist="archgen-pause")
    config = tiny_registry()
    flag = tmp_path / "paused"
    env = {
        **os.environ, "ARCHGEN_PROGRESS": "0", "PAUSE_FLAG": str(flag),
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "archgen.cli.main", "train", "--config", str(config)], stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), process.communicate()[1]  # held inside training now
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert "terminated; the run directory is as it was before this command" in err
    runs = tmp_path / "runs"
    assert [p.name for p in runs.iterdir()] == [".tiny.lock"]
