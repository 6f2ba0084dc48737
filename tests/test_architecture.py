"""The house shows its flow: no module of lineupwatch imports in a circle, and every import between
stages goes the way docs/architecture.md draws it.

Static: the import graph comes from the AST of every module under src/lineupwatch, with absolute
and relative imports, imports inside functions and under TYPE_CHECKING alike (a circle that only
a lazy import keeps from failing is still a circle). Importing `a.b.c` runs the package `a.b`'s
`__init__` first, so that is an edge too. Nothing of lineupwatch is imported to check it.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "lineupwatch"
DOC = ROOT / "docs" / "architecture.md"

_BELOW_OPS = frozenset({"config", "sanitize", "children", "hub", "normalize", "store", "stream", "analysis", "report",
                        "alerts", "replay"})
# Stage -> the stages it may import: one way, from the base (config, sanitize) up to the CLI. A
# stage is a folder of src/lineupwatch, or one of its top-level modules; `lineupwatch` is the
# package's own __init__, `cli` is cli.py and __main__.py.
ALLOWED: dict[str, frozenset[str]] = {
    "lineupwatch": frozenset(),
    "config": frozenset(),
    "sanitize": frozenset(),
    "children": frozenset(),
    "hub": frozenset(),
    "normalize": frozenset({"config", "sanitize"}),
    "store": frozenset({"config", "sanitize", "normalize"}),
    "replay": frozenset({"config", "sanitize", "children", "normalize"}),
    "stream": frozenset({"config", "sanitize", "hub", "normalize", "store"}),
    "analysis": frozenset({"config", "sanitize", "normalize", "store", "stream"}),
    "report": frozenset({"config", "sanitize", "children", "normalize", "store", "stream", "analysis"}),
    "alerts": frozenset({"config", "sanitize", "normalize", "store", "stream", "analysis"}),
    "ops": _BELOW_OPS,
    "cli": _BELOW_OPS | {"ops"},
}


def find_modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__), for every .py under `package`."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(package: Path) -> dict[str, dict[str, int]]:
    """Module -> {module it imports: line of the first such import}, within the package."""
    modules = find_modules(package)
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        edges = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, name, is_package, modules):
                for module in _with_packages(target, name, modules):
                    edges[module] = min(edges.get(module, node.lineno), node.lineno)
    return graph


def _targets(node: ast.AST, name: str, is_package: bool, modules: dict) -> list[str]:
    """The modules of the package one import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    # `from x import y`: y is a module of x, or a name defined in x
    return [f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module for alias in node.names]


def _with_packages(target: str, importer: str, modules: dict) -> list[str]:
    """`target` and the packages whose __init__ importing it runs, except those the importer is in
    (they ran before it) and anything outside the package."""
    parts = target.split(".")
    found = []
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        if module in modules and module != importer and not importer.startswith(module + "."):
            found.append(module)
    return found


def stage(module: str) -> str:
    """'lineupwatch.store.facts' -> 'store'; 'lineupwatch.cli' and 'lineupwatch.__main__' -> 'cli'."""
    parts = module.split(".")
    if len(parts) == 1:
        return parts[0]
    return "cli" if parts[1] == "__main__" else parts[1]


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One shortest circle through each strongly connected group of modules, as a closed path
    (first module repeated at the end); [] when the graph is one-way."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, {}))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:  # Tarjan, iteratively
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, {}):
                    groups.append(group)
    return sorted(_shortest_circle(graph, group) for group in groups)


def _shortest_circle(graph: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    start = min(group)
    came_from: dict[str, str] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for child in sorted(graph.get(node, {})):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child in group and child not in came_from:
                came_from[child] = node
                todo.append(child)
    raise AssertionError(f"no circle in {group}")


def wrong_ways(graph: dict[str, dict[str, int]], allowed: dict[str, frozenset[str]]) -> list[str]:
    """Every import from one stage into another that the table does not allow, one line each."""
    found = []
    for module, edges in sorted(graph.items()):
        source = stage(module)
        for target, line in sorted(edges.items()):
            into = stage(target)
            if into != source and into not in allowed.get(source, frozenset()):
                may = ", ".join(sorted(allowed.get(source, ()))) or "nothing of lineupwatch"
                found.append(f"{module} (line {line}) imports {target}: {source} may import {may}")
    return found


def circle_report(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(path) for path in found)


GRAPH = import_graph(PACKAGE)


def test_every_stage_has_a_row_in_the_table() -> None:
    assert {stage(module) for module in GRAPH} == set(ALLOWED)


def test_the_table_is_one_way() -> None:
    table = {name: dict.fromkeys(may, 0) for name, may in ALLOWED.items()}
    assert circles(table) == [], circle_report(circles(table))


def test_no_module_imports_in_a_circle() -> None:
    found = circles(GRAPH)
    assert not found, "modules import each other in a circle:\n" + circle_report(found)


def test_every_import_between_stages_goes_the_allowed_way() -> None:
    found = wrong_ways(GRAPH, ALLOWED)
    assert not found, "imports against the flow (docs/architecture.md):\n" + "\n".join(found)


def test_the_architecture_doc_shows_the_table_the_test_enforces() -> None:
    """docs/architecture.md's table: one row per stage, `name/` or `name.py` first, what it may
    import (backticked stage names, or "nothing") last. (The package's own __init__ is prose.)"""
    rows = re.findall(r"^\| `(\w+)(?:/|\.py)` \|.*\| ([^|]+) \|$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    shown = {name: frozenset(re.findall(r"`(\w+)`", may)) for name, may in rows}
    assert shown == {name: may for name, may in ALLOWED.items() if name != "lineupwatch"}


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "lineupwatch"
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def test_the_check_names_a_circle_through_a_lazy_import(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "__init__.py": "", "store/__init__.py": "",
        "store/a.py": "from . import b\n",
        "store/b.py": "def later():\n    from .c import X\n",
        "store/c.py": "from lineupwatch.store.a import Y\n",
        "store/d.py": "from .a import Y\n",
    })
    assert circles(import_graph(package)) == [
        ["lineupwatch.store.a", "lineupwatch.store.b", "lineupwatch.store.c", "lineupwatch.store.a"]]


@pytest.mark.parametrize("statement", [
    "from ..analysis.entries import Entry", "from ..analysis import entries", "from .. import analysis",
    "import lineupwatch.analysis.entries", "from lineupwatch.analysis.entries import Entry",
], ids=["relative", "relative-module", "relative-package", "absolute", "absolute-from"])
def test_the_check_names_an_import_against_the_flow(tmp_path: Path, statement: str) -> None:
    package = _write(tmp_path, {
        "__init__.py": "", "store/__init__.py": "", "analysis/__init__.py": "",
        "analysis/entries.py": "Entry = 1\n",
        "store/facts.py": f"import json\n\n\ndef read():\n    {statement}\n",
    })
    found = wrong_ways(import_graph(package), ALLOWED)
    assert found and all(line.startswith("lineupwatch.store.facts (line 5) imports lineupwatch.analysis")
                         and line.endswith(": store may import config, normalize, sanitize") for line in found)
