"""The built wheel works like any package (issue 26: installed like any package).

The wheel is built from a copy of the checkout's files (what git tracks or would track, so a stale
``build/`` never leaks in), installed into a throw-away venv that sees this interpreter's
dependencies (``--system-site-packages``: offline and fast) but not the checkout, and ``archgen`` is
run from that venv in empty folders: the packaged registry with tiny ``ARCHGEN_*`` overrides, then
``archgen init`` and the written copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: ``ARCHGEN_*`` overrides that cut the default registry's run to seconds (240 sampled cells, one epoch each).
TINY = {
    "ARCHGEN_RUN__DEVICE": "cpu", "ARCHGEN_DATA__SOURCE": "sample", "ARCHGEN_DATA__NUM_ARCHS": "240",
    "ARCHGEN_GENERATOR__OPTIONS__VQVAE_EPOCHS": "1", "ARCHGEN_GENERATOR__OPTIONS__PRIOR_EPOCHS": "1",
    "ARCHGEN_EVALUATE__NUM_SAMPLES": "50",
}


def _source_files() -> list[str]:
    """The checkout's files a clone would have (tracked, or untracked and not ignored) under what the wheel builds from."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tops = {*pyproject["tool"]["setuptools"]["package-dir"].values(), "pyproject.toml", "README.md", "registry.toml",
            "examples"}
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the wheel is built from the files git lists")
    return [name for name in listed if name and name.split("/")[0] in tops and os.path.lexists(ROOT / name)]


def _copy_checkout(target: Path) -> None:
    for name in _source_files():
        source, copy = ROOT / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # core/defaults/ links to registry.toml and examples/: keep them links
            copy.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, copy)


def _environment(venv: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHGEN_", "PYTHON", "VIRTUAL_ENV"))}
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}{keep.get('PATH', '')}", "VIRTUAL_ENV": str(venv),
            "ARCHGEN_PROGRESS": "0", "OMP_NUM_THREADS": "1", **extra}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def _can_build_wheels() -> bool:
    """Whether ``pip wheel --no-build-isolation`` can work here: setuptools has bdist_wheel built in or beside it."""
    import importlib.util

    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the wheel built from this checkout installed; returns the venv's folder."""
    if not _can_build_wheels():
        pytest.skip("this interpreter's setuptools cannot build a wheel offline (needs setuptools>=70.1 or the "
                    "'wheel' package; a fresh venv's ensurepip setuptools 65 has neither)")
    base = tmp_path_factory.mktemp("wheel")
    _copy_checkout(base / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"), str(base / "src")],
         base, _environment(base))
    (wheel,) = (base / "dist").glob("archgen-*.whl")
    # --without-pip: the system pip (visible through --system-site-packages) installs into the venv.
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(base / "venv")], base, _environment(base))
    python = base / "venv" / "bin" / "python"
    # --ignore-installed: never touch the shared (editable) install outside the venv.
    _run([str(python), "-m", "pip", "--disable-pip-version-check", "install", "-q", "--no-deps", "--ignore-installed",
          str(wheel)], base, _environment(base / "venv"))
    return base / "venv"


def test_the_wheel_ships_the_registry_and_the_examples(installed):
    (wheel,) = (installed.parent / "dist").glob("archgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {"archgen/defaults/registry.toml"} | {
        f"archgen/defaults/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "examples").rglob("*.toml")
    }
    assert shipped <= names
    assert not any(name.startswith(("core/", "tests/", "examples/")) or name == "registry.toml" for name in names)


def test_the_installed_package_runs_in_an_empty_folder(installed, tmp_path):
    env = _environment(installed)
    python = str(installed / "bin" / "python")
    where = _run([python, "-c", "import archgen; print(archgen.__file__)"], tmp_path, env).stdout.strip()
    assert Path(where).is_relative_to(installed) and not Path(where).is_relative_to(ROOT), where
    archgen = str(installed / "bin" / "archgen")

    # No registry.toml here: the packaged one, tiny by overrides, without benchmark data.
    bare = tmp_path / "bare"
    bare.mkdir()
    done = _run([archgen, "run"], bare, {**env, **TINY})
    assert done.stderr.splitlines()[0].startswith("note: no ./registry.toml: using the one packaged with archgen")
    assert (bare / "runs" / "nb201-arch-vq" / "metrics.json").is_file()

    # archgen init, then the editable copy; the run goes beside it.
    project = tmp_path / "project"
    done = _run([archgen, "init", str(project)], tmp_path, env)
    assert (project / "registry.toml").is_file() and (project / "examples" / "predict" / "nb201.toml").is_file()
    done = _run([archgen, "run", "--name", "tiny"], project, {**env, **TINY})
    assert "note:" not in done.stderr and "Protocol" in done.stdout
    assert (project / "runs" / "tiny" / "report.md").is_file()
