"""No import circles in the library (issue 28): the import graph of every module of the packages the
distribution installs (``components``, ``policies``, ``dpengine``) and of ``benchmarks`` has no cycle.

An edge is every import a module can execute: at the top, inside a function (the usual hiding place
of a circle: it only moves the failure to run time), under ``try``. Imports under
``if TYPE_CHECKING:`` are left out: they never run, so they order nothing; they name a type for the
annotations only. A shared type or function two modules need belongs in a module both import.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGES = ("components", "policies", "dpengine", "benchmarks")
INSTALLED_AS = {"dataplatform.components": "components", "dataplatform.policies": "policies"}
INSTALLED_AS["dataplatform.engine"] = "dpengine"
"""Installed names of the repository folders (setup.py): an absolute import under either name counts."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"package {name} not found"
    return Path(next(iter(spec.submodule_search_locations)))


def module_files(packages: Mapping[str, Path]) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's ``__init__``), for every module below ``packages``."""
    found: dict[str, tuple[Path, bool]] = {}
    for package, folder in packages.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            is_init = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_init else parts)] = (path, is_init)
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _targets(module: str, is_init: bool, node: ast.Import | ast.ImportFrom) -> Iterable[tuple[str, str]]:
    """(a submodule this import may name, else the module it imports from), per imported name."""
    if isinstance(node, ast.Import):
        yield from ((alias.name, alias.name) for alias in node.names)
        return
    base = module.split(".") if is_init else module.split(".")[:-1]
    if node.level:
        prefix = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    for alias in node.names:
        yield f"{prefix}.{alias.name}", prefix


def _folder_name(name: str) -> str:
    for installed, folder in INSTALLED_AS.items():
        if name == installed or name.startswith(installed + "."):
            return folder + name[len(installed) :]
    return name


def import_graph(modules: Mapping[str, tuple[Path, bool]]) -> dict[str, dict[str, int]]:
    """Module -> {imported module of ``modules``: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, (path, is_init) in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skipped = _type_checking_only(tree)
        edges: dict[str, int] = {}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in skipped:
                continue
            for submodule, source in _targets(module, is_init, node):
                submodule, source = _folder_name(submodule), _folder_name(source)
                target = submodule if submodule in modules else source
                if target in modules and target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


def circles(graph: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative: the graph is deep enough to worry the recursion limit on some interpreters.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def describe(graph: Mapping[str, Mapping[str, int]], component: list[str], files: Mapping[str, Path]) -> str:
    members = set(component)
    lines = [f"import circle of {len(component)} modules:"]
    for module in component:
        for target, line in sorted(graph[module].items()):
            if target in members:
                lines.append(f"  {files[module]}:{line}: {module} imports {target}")
    return "\n".join(lines)


def test_no_import_circles_in_the_library() -> None:
    modules = module_files({name: _package_dir(name) for name in PACKAGES})
    assert len(modules) > 100, "the walk found too few modules to mean anything"
    graph = import_graph(modules)
    files = {name: path for name, (path, _) in modules.items()}
    found = circles(graph)
    assert found == [], "\n\n".join(describe(graph, c, files) for c in found)


def _write(root: Path, files: Mapping[str, str]) -> dict[str, Path]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"pkg": root / "pkg"}


@pytest.mark.parametrize(
    ("b_source", "expected"),
    [
        # A function-level import closes the circle just the same.
        ("def f():\n    from . import a\n", [["pkg.a", "pkg.b"]]),
        ("from .a import VALUE\n", [["pkg.a", "pkg.b"]]),
        ("import pkg.sub.c\n", [["pkg.a", "pkg.b", "pkg.sub.c"]]),
        ("from dataplatform.engine import a\n", []),  # another package's name: not ``pkg``
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import VALUE\n", []),
        ("VALUE = 1\n", []),
    ],
)
def test_the_walk_finds_a_circle(tmp_path: Path, b_source: str, expected: list[list[str]]) -> None:
    packages = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from .b import thing\nVALUE = 1\n",
            "pkg/b.py": b_source,
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "from ..a import VALUE\n",
        },
    )
    assert circles(import_graph(module_files(packages))) == expected


def test_installed_names_count_as_the_folders(tmp_path: Path) -> None:
    # The library's own code imports relatively; an absolute import under the installed name is
    # the same module, and the same edge.
    packages = _write(
        tmp_path,
        {
            "dpengine/__init__.py": "",
            "dpengine/a.py": "from .b import x\n",
            "dpengine/b.py": "def f():\n    import dataplatform.engine.a\n",
        },
    )
    assert circles(import_graph(module_files({"dpengine": packages["pkg"].parent / "dpengine"}))) == [
        ["dpengine.a", "dpengine.b"]
    ]
