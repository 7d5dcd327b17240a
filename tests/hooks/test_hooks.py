"""pluggy lifecycle hooks: installed hook plugins are called; every hookspec is documented and fired."""

import inspect
import json

import pytest

from archgen.config import load_config
from archgen.hooks import specs
from archgen.pipeline import commands

HOOK_NAMES = sorted(name for name in dir(specs) if name.startswith("archgen_"))


def test_every_hookspec_says_when_it_fires():
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(specs, name))
        assert doc and doc.startswith("Called"), f"{name} must document when it is called"




def _recorder():
    from archgen.hooks import hookimpl

    class _Recorder:
        def __init__(self):
            self.calls = []

        @hookimpl
        def archgen_run_start(self, command, config, run_dir):
            self.calls.append(("archgen_run_start", command, run_dir))

        @hookimpl
        def archgen_epoch_end(self, stage, epoch, logs):
            self.calls.append(("archgen_epoch_end", stage, epoch))

        @hookimpl
        def archgen_samples_generated(self, space, sampling, num_samples, num_well_formed):
            self.calls.append(("archgen_samples_generated", space, num_samples))

        @hookimpl
        def archgen_metrics_computed(self, seed, metrics):
            self.calls.append(("archgen_metrics_computed", seed))

        @hookimpl
        def archgen_run_end(self, command, run_dir, summary):
            self.calls.append(("archgen_run_end", command, run_dir))

    return _Recorder()


def test_every_hook_fires_in_order_during_a_run(tiny_registry, tmp_path):
    recorder = _recorder()
    config = load_config(tiny_registry(vqvae_epochs=2, prior_epochs=1, num_samples=50))
    run_dir = tmp_path / "runs" / "tiny"
    commands.run(config, run_dir=run_dir, seeds=1, overwrite=False, extra_hooks=[recorder])
    names = [call[0] for call in recorder.calls]
    assert set(names) == set(HOOK_NAMES)
    assert names[0] == "archgen_run_start" and names[-1] == "archgen_run_end"
    epochs = [call[1:] for call in recorder.calls if call[0] == "archgen_epoch_end"]
    assert epochs == [("vqvae", 1), ("vqvae", 2), ("prior", 1)]
    assert ("archgen_samples_generated", "nb201", 50) in recorder.calls


@pytest.mark.parametrize("command", ["generate", "evaluate", "sweep"])
def test_every_command_fires_run_start_and_run_end(tiny_registry, tmp_path, command):
    config = load_config(tiny_registry(vqvae_epochs=1, prior_epochs=1, num_samples=30))
    run_dir = tmp_path / "runs" / "tiny"
    commands.run(config, run_dir=run_dir, seeds=1)
    recorder = _recorder()
    if command == "generate":
        commands.generate(run_dir, n=20, extra_hooks=[recorder])
    elif command == "evaluate":
        commands.evaluate(run_dir, extra_hooks=[recorder])
    else:
        commands.sweep(run_dir, "temperature", [1.0], n=20, extra_hooks=[recorder])
    assert recorder.calls[0] == ("archgen_run_start", command, str(run_dir))
    assert recorder.calls[-1] == ("archgen_run_end", command, str(run_dir))


def test_run_end_does_not_fire_when_a_command_fails(tiny_registry, tmp_path):
    from archgen import RunDirectoryError

    config = load_config(tiny_registry(vqvae_epochs=1, prior_epochs=1, num_samples=30))
    run_dir = tmp_path / "runs" / "tiny"
    commands.run(config, run_dir=run_dir, seeds=1)
    (run_dir / "samples.jsonl").write_text("")
    recorder = _recorder()
    with pytest.raises(RunDirectoryError):
        commands.evaluate(run_dir, extra_hooks=[recorder])
    assert [call[0] for call in recorder.calls] == ["archgen_run_start"]


def test_hook_plugin_installed_as_entry_point_is_called(tiny_registry, tmp_path, install_plugin):
    log = tmp_path / "hook-log.jsonl"
    install_plugin(
        "archgen_hook_logger",
        f"""
        import json
        from archgen.hooks import hookimpl

        @hookimpl
        def archgen_epoch_end(stage, epoch, logs):
            with open({str(log)!r}, "a") as handle:
                handle.write(json.dumps([stage, epoch]) + "\\n")
        """,
        {"archgen.hooks": {"logger": "archgen_hook_logger"}},
    )
    config = load_config(tiny_registry(vqvae_epochs=1, prior_epochs=2))
    commands.train(config, run_dir=tmp_path / "runs" / "hooked", seeds=1, overwrite=False)
    assert [json.loads(line) for line in log.read_text().splitlines()] == [["vqvae", 1], ["prior", 1], ["prior", 2]]


def test_hook_with_unknown_name_is_rejected(install_plugin):
    from archgen import PluginLoadError
    from archgen.hooks import hook_manager

    install_plugin(
        "archgen_typo_hook",
        """
        from archgen.hooks import hookimpl

        @hookimpl
        def archgen_epoch_ends(stage, epoch, logs):
            pass
        """,
        {"archgen.hooks": {"typo": "archgen_typo_hook"}},
    )
    with pytest.raises(PluginLoadError, match="archgen_epoch_ends"):
        hook_manager()
