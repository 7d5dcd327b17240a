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
    "archgen.datasets": ROOT / "plugins" / "datasets",
    "archgen.oracles": ROOT / "plugins" / "oracles",
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


def _archgen_modules() -> dict[str, Path]:
    """Every module under core/, plugins/ and spaces/ by its dotted name (a package by its ``__init__``)."""
    modules = {}
    for root_name, folder in PACKAGE_DIRS.items():
        for source in folder.rglob("*.py"):
            parts = source.relative_to(folder).with_suffix("").parts
            modules[".".join((root_name, *(parts[:-1] if parts[-1] == "__init__" else parts)))] = source
    return modules


def _imported_modules(name: str, source: Path, modules: dict[str, Path]) -> set[str]:
    """The archgen modules one module imports, wherever the import statement sits."""
    package = name if source.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import sub` depends on the submodule; `from pkg import name` on pkg's __init__.
            targets.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names)
    return {target for target in targets if target in modules and target != name}


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as ``[a, b, ..., a]``, or ``None`` (iterative depth-first search)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path, stack = [start], {start}, [iter(sorted(graph[start]))]
        while stack:
            step = next(stack[-1], None)
            if step is None:  # every import of path[-1] explored: no cycle through it
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                stack.pop()
            elif step in on_path:
                return [*path[path.index(step) :], step]
            elif step not in done:
                path.append(step)
                on_path.add(step)
                stack.append(iter(sorted(graph[step])))
    return None


def test_no_import_cycle_among_archgen_modules():
    """No archgen module imports itself back through others, however the imports are written.

    The graph has an edge for every ``import archgen.x`` and ``from archgen.x import y`` (to the
    submodule ``archgen.x.y`` when ``y`` is one), across core/, plugins/ and spaces/. Imports inside
    functions and under ``if TYPE_CHECKING:`` count too: they do not run at import time, but a
    reader still has to follow them both ways. A module's own parent packages are not edges
    (importing ``a.b`` always runs ``a/__init__``; a package importing its submodules is no cycle).
    """
    modules = _archgen_modules()
    graph = {name: _imported_modules(name, source, modules) for name, source in modules.items()}
    cycle = _a_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


#: Folders that sit below the commands: they reach a run through archgen.runs, never archgen.pipeline.
BELOW_PIPELINE = {"plugins": ROOT / "plugins", "core/analysis": ROOT / "core" / "analysis", "core/runs": ROOT / "core" / "runs"}


def _archgen_imports(path: Path) -> set[str]:
    """Every archgen module ``path`` imports, ``from archgen import pipeline`` included, wherever the import sits."""
    names = set(_imports(path))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "archgen" and node.level == 0:
            names.update(f"archgen.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("folder", sorted(BELOW_PIPELINE))
def test_plugins_analyses_and_the_run_layer_never_import_the_pipeline(folder):
    forbidden = ("archgen.pipeline", "archgen.analysis") if folder == "core/runs" else ("archgen.pipeline",)
    for source in BELOW_PIPELINE[folder].rglob("*.py"):
        for imported in _archgen_imports(source):
            assert not (imported in forbidden or imported.startswith(tuple(f + "." for f in forbidden))), (
                f"{source.relative_to(ROOT)} imports {imported}: open a run with archgen.runs (archgen.open_run) instead"
            )


#: The first-party spaces' entry-point names: core finds every space through its entry point, so it names none.
FIRST_PARTY_SPACES = ("nb201", "nb101", "darts_cell", "darts", "mbv3", "autoformer")


def test_core_never_names_a_first_party_space():
    """Space-specific facts (published results, special cases) live in the space, not in core.

    Every token of core's source -- identifiers, strings, docstrings and comments -- is searched for
    an entry-point name standing alone (``nb201``, not ``is_valid_nasbench201`` or ``paper_nb201``).
    """
    import io
    import re
    import tokenize

    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(FIRST_PARTY_SPACES) + r")(?![A-Za-z0-9_])")
    found = []
    for source in sorted((ROOT / "core").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            for match in pattern.finditer(token.string):
                found.append(f"{source.relative_to(ROOT)}:{token.start[0]}: {match.group(1)!r}")
    assert not found, "core names a space (move the fact into the space):\n" + "\n".join(found)


#: The layers of CONTRIBUTING.md's diagram, bottom first: a module imports its own layer and those below.
LAYERS = (
    ("foundation", ("archgen.errors", "archgen.architecture", "archgen.atomic", "archgen.io", "archgen.nn",
                    "archgen.runtime", "archgen.device", "archgen.progress", "archgen.figures", "archgen.benchmark",
                    "archgen.published", "archgen.plain_names", "archgen.validation_messages", "archgen.data_files",
                    "archgen.result_store")),
    ("contracts", ("archgen.protocols", "archgen.generation", "archgen.space_base", "archgen.oracle",
                   "archgen.registry", "archgen.config", "archgen.overrides", "archgen.hooks", "archgen.training",
                   "archgen.metrics", "archgen.two_stage", "archgen.guided_sampling", "archgen.distinct_sampling",
                   "archgen.distinct", "archgen.plugin_outputs")),
    ("runs", ("archgen.runs", "archgen")),
    ("extensions", ("archgen.plugins", "archgen.spaces", "archgen.testing")),
    ("analysis", ("archgen.analysis",)),
    ("pipeline", ("archgen.pipeline",)),
    ("cli", ("archgen.cli",)),
)
#: Peers in one layer that must not import each other: plugins and spaces meet only through the registry.
PEERS = ("archgen.plugins", "archgen.spaces", "archgen.testing")


def _layer_of(module: str) -> tuple[int, str]:
    """(rank, prefix) of the longest LAYERS prefix that owns ``module``."""
    owners = [(len(prefix), rank, prefix) for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
              if module == prefix or module.startswith(prefix + ".")]
    assert owners, f"{module} is in no layer of tests/test_layout.py LAYERS (add it, and to CONTRIBUTING's diagram)"
    _, rank, prefix = max(owners)
    return rank, prefix


def test_every_module_imports_only_its_layer_and_those_below():
    """CONTRIBUTING.md's layer diagram, enforced: foundation < contracts < runs < plugins/spaces/testing
    < analysis < pipeline < cli. Imports inside functions count (a lazy import is still a dependency)."""
    modules = _archgen_modules()
    broken = []
    for name, source in sorted(modules.items()):
        rank, prefix = _layer_of(name)
        for target in sorted(_imported_modules(name, source, modules)):
            target_rank, target_prefix = _layer_of(target)
            peer_import = target_rank == rank and prefix in PEERS and target_prefix in PEERS and prefix != target_prefix
            if target_rank > rank or peer_import:
                broken.append(f"{name} ({LAYERS[rank][0]}) imports {target} ({LAYERS[target_rank][0]})")
    assert not broken, "imports against the layers:\n" + "\n".join(broken)


#: Size limits that keep core readable: a function fits on a screen, a pipeline module is one command step.
MAX_CORE_FUNCTION_LINES = 80
MAX_PIPELINE_MODULE_LINES = 320


def test_no_core_function_is_longer_than_a_screen():
    """Every function under core/ (signature, docstring and body; methods and nested ones too) has at most 80 lines."""
    long = []
    for source in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_CORE_FUNCTION_LINES:
                    long.append(f"{source.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "split these into named steps:\n" + "\n".join(long)


def test_no_pipeline_module_does_several_jobs():
    """A module of core/pipeline/ is one command step or one job of one (about 300 lines at most)."""
    large = [f"{p.relative_to(ROOT)} ({n} lines)" for p in sorted((ROOT / "core" / "pipeline").rglob("*.py"))
             if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_PIPELINE_MODULE_LINES]
    assert not large, "split by job:\n" + "\n".join(large)
