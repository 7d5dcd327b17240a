"""The source layout: what pyproject ships, and which packages may import which.

CONTRIBUTING.md ("Layout") states the rules these tests enforce.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"archgen": ROOT / "core", "archgen.plugins": ROOT / "plugins", "archgen.spaces": ROOT / "spaces"}
#: Slot folders: shared building blocks any method may compose.
SLOT_PACKAGES = {"archgen.plugins.encoders", "archgen.plugins.quantizers", "archgen.plugins.priors"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _packages_on_disk() -> set[str]:
    found = set()
    for root_name, folder in PACKAGE_DIRS.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder).parts
            found.add(".".join((root_name, *relative)))
    return found


def test_pyproject_ships_exactly_the_folders_with_an_init():
    declared = set(_pyproject()["tool"]["setuptools"]["packages"])
    assert declared == _packages_on_disk()


def test_entry_points_name_their_defining_module():
    for group, points in _pyproject()["project"]["entry-points"].items():
        for name, target in points.items():
            module, _, attribute = target.partition(":")
            root_name = next(r for r in sorted(PACKAGE_DIRS, key=len, reverse=True) if module.startswith(r + ".") or module == r)
            path = PACKAGE_DIRS[root_name].joinpath(*module[len(root_name) + 1 :].split("."))
            source = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
            tree = ast.parse(source.read_text(encoding="utf-8"))
            defined = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
            defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            assert attribute in defined, f"{group}:{name} points at {target}, which {source.name} does not define"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


#: Entry-point group -> the folder its first-party plugins live in: one layout axis, the slot.
SLOT_FOLDERS = {
    "archgen.spaces": ROOT / "spaces",
    "archgen.encoders": ROOT / "plugins" / "encoders",
    "archgen.quantizers": ROOT / "plugins" / "quantizers",
    "archgen.priors": ROOT / "plugins" / "priors",
    "archgen.generators": ROOT / "plugins" / "generators",
    "archgen.predictors": ROOT / "plugins" / "predictors",
    "archgen.searchers": ROOT / "plugins" / "searchers",
}


def test_plugins_holds_only_slot_folders():
    folders = {p for p in (ROOT / "plugins").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(SLOT_FOLDERS.values()) - {ROOT / "spaces"}


@pytest.mark.parametrize("group", sorted(_pyproject()["project"]["entry-points"]))
def test_an_entry_point_group_names_its_folder(group):
    folder = SLOT_FOLDERS[group]
    prefix = "archgen.spaces" if folder.name == "spaces" else f"archgen.plugins.{folder.name}"
    for name, target in _pyproject()["project"]["entry-points"][group].items():
        assert target.startswith(prefix + "."), f"{group}:{name} = {target} lives outside {folder.relative_to(ROOT)}/"


def _generator_packages() -> set[str]:
    return {p for p in _packages_on_disk() if p.startswith("archgen.plugins.generators.") and p.count(".") == 3}


@pytest.mark.parametrize("package", sorted(_generator_packages()))
def test_a_generator_imports_only_core_and_building_block_slots(package):
    folder = ROOT / "plugins" / "generators" / package.rsplit(".", 1)[1]
    for source in folder.rglob("*.py"):
        for imported in _imports(source):
            if not imported.startswith("archgen.plugins."):
                continue
            owner = ".".join(imported.split(".")[:4]) if imported.startswith("archgen.plugins.generators.") else ".".join(imported.split(".")[:3])
            assert owner == package or owner in SLOT_PACKAGES, (
                f"{source.relative_to(ROOT)} imports {imported}: a generator may import core and the slot "
                f"folders {sorted(SLOT_PACKAGES)}, never another generator"
            )


@pytest.mark.parametrize("package", sorted(SLOT_PACKAGES | {"archgen.plugins.predictors", "archgen.plugins.searchers"}))
def test_other_slots_import_no_generator(package):
    folder = ROOT / "plugins" / package.rsplit(".", 1)[1]
    for source in folder.rglob("*.py"):
        for imported in _imports(source):
            assert not imported.startswith("archgen.plugins.generators"), f"{source.relative_to(ROOT)} imports generator {imported}"


def test_core_imports_no_plugin_or_space():
    for source in (ROOT / "core").rglob("*.py"):
        for imported in _imports(source):
            assert not imported.startswith(("archgen.plugins", "archgen.spaces")), (
                f"{source.relative_to(ROOT)} imports {imported}: core finds plugins through entry points only"
            )
