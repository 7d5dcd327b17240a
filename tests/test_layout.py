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


def _method_packages() -> set[str]:
    return {p for p in _packages_on_disk() if p.startswith("archgen.plugins.") and p.count(".") == 2} - SLOT_PACKAGES


@pytest.mark.parametrize("package", sorted(_method_packages()))
def test_a_method_imports_only_core_and_slot_folders(package):
    folder = ROOT / "plugins" / package.rsplit(".", 1)[1]
    for source in folder.rglob("*.py"):
        for imported in _imports(source):
            if not imported.startswith("archgen.plugins."):
                continue
            owner = ".".join(imported.split(".")[:3])
            assert owner == package or owner in SLOT_PACKAGES, (
                f"{source.relative_to(ROOT)} imports {imported}: a method package may import core and the slot "
                f"folders {sorted(SLOT_PACKAGES)}, never another method"
            )


@pytest.mark.parametrize("package", sorted(SLOT_PACKAGES))
def test_a_slot_folder_imports_no_method(package):
    folder = ROOT / "plugins" / package.rsplit(".", 1)[1]
    methods = _method_packages()
    for source in folder.rglob("*.py"):
        for imported in _imports(source):
            assert ".".join(imported.split(".")[:3]) not in methods, f"{source.relative_to(ROOT)} imports method {imported}"


def test_core_imports_no_plugin_or_space():
    for source in (ROOT / "core").rglob("*.py"):
        for imported in _imports(source):
            assert not imported.startswith(("archgen.plugins", "archgen.spaces")), (
                f"{source.relative_to(ROOT)} imports {imported}: core finds plugins through entry points only"
            )
