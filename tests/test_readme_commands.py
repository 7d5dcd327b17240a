"""Every command of README's "Use" block runs as written, in order, with tiny settings where it trains.

The block is read from README.md itself, so README cannot drift from the CLI. The commands run in a
folder made by ``archgen init`` (the layout a new user gets), through ``archgen.cli.main.main``. Only
sizes change: the training schedule, the sample counts (``--n``, ``--seeds``, ``[evaluate]``) and the
search / predict budgets are cut by ``ARCHGEN_*`` overrides, which is how a user shrinks a run too.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from archgen.cli.main import main
from archgen.data_files import shared_data_path

README = Path(__file__).resolve().parents[1] / "README.md"

#: Overrides that make each training and each experiment take seconds.
TINY = {
    "ARCHGEN_DATA__SOURCE": "sample",
    "ARCHGEN_DATA__NUM_ARCHS": "300",
    "ARCHGEN_GENERATOR__OPTIONS__VQVAE_EPOCHS": "1",
    "ARCHGEN_GENERATOR__OPTIONS__PRIOR_EPOCHS": "1",
    "ARCHGEN_EVALUATE__NUM_SAMPLES": "60",
    "ARCHGEN_SEARCH__TRIALS": "1",
    "ARCHGEN_SEARCH__BUDGET": "20",
    "ARCHGEN_SEARCH__CHECKPOINTS": "[10, 20]",
}
#: Overrides for one command only (a [predictor] override would make every other command's registry incomplete).
TINY_FOR = {
    "predict": {"ARCHGEN_PREDICT__TRIALS": "1", "ARCHGEN_PREDICT__TRAIN_SIZES": "[20]", "ARCHGEN_PREDICTOR__OPTIONS__EPOCHS": "2"},
}
#: Flag values cut to a tiny size (the flag stays, so the command's shape is what README shows).
TINY_FLAGS = {"--n": "40", "--seeds": "2"}
#: Commands that read NB201's measured accuracies (third-party data, skipped without it).
NEEDS_DATA = ("search", "predict")


def use_commands() -> list[str]:
    """The ``archgen`` lines of README's "## Use" bash block, comments stripped."""
    section = README.read_text(encoding="utf-8").split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("archgen")]


def tiny(argv: list[str]) -> list[str]:
    """``argv`` with the values of :data:`TINY_FLAGS` replaced."""
    return [TINY_FLAGS.get(argv[i - 1], arg) if i else arg for i, arg in enumerate(argv)]


def test_readme_use_block_lists_the_commands_a_user_meets_first():
    commands = use_commands()
    assert commands[0] == "archgen run" and commands[-1] == "archgen --help"
    assert {shlex.split(c)[1] for c in commands[:-1]} >= {"run", "plugins", "generate", "evaluate", "sweep",
                                                          "analyze", "search", "predict", "init"}


def test_every_readme_use_command_runs_in_order(tmp_path, monkeypatch, capsys):
    data = shared_data_path("nasbench201", "nb201_accuracies.csv.gz")
    assert main(["init", str(tmp_path / "project")]) == 0
    monkeypatch.chdir(tmp_path / "project")
    for key, value in TINY.items():
        monkeypatch.setenv(key, value)
    if data is not None:
        monkeypatch.setenv("ARCHGEN_SHARED_DATA", str(data.parents[1]))
    ran = []
    for command in use_commands():
        argv = tiny(shlex.split(command)[1:])
        if argv and argv[0] in NEEDS_DATA and data is None:
            continue
        with monkeypatch.context() as scoped:
            for key, value in TINY_FOR.get(argv[0] if argv else "", {}).items():
                scoped.setenv(key, value)
            if "--config" in argv:  # its own file has no [generator] to shrink
                for key in [key for key in TINY if key.startswith("ARCHGEN_GENERATOR__")]:
                    scoped.delenv(key)
            _run(argv, command, capsys)
        ran.append(command)
    if data is None:
        pytest.skip(f"ran {len(ran)} README commands; search and predict need ../shared/data/nasbench201")
    assert len(ran) == len(use_commands())


def _run(argv: list[str], command: str, capsys: pytest.CaptureFixture[str]) -> None:
    if argv == ["--help"]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    else:
        assert main(argv) == 0, f"README command failed: {command}\n{capsys.readouterr().err[-2000:]}"
