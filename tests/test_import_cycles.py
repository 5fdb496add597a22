"""No import cycles among the lms modules, counting the imports inside functions too.

Every `import` and `from … import …` in lms/ is read with ast, wherever it stands (module level,
inside a function, under a guard), and becomes an edge from the importing module to the imported
one: `from lms.x import y` points at the module `lms.x.y` when that file exists, else at `lms.x`.
Importing a module does not count as importing its parent packages (Python runs their
__init__ first, but that is not a dependency the code chose).

One pattern is left out on purpose, and only that one: a slice package registers its views by
importing them after creating its Blueprint (`bp = Blueprint(...)` then `from lms.x import views`
in lms/x/__init__.py), and the views take `bp` back (`from lms.x import bp`). That formal cycle is
how Flask blueprints are wired; the edge `lms.x.<module> → lms.x` for the name `bp` alone is
not counted. Any other name taken from the package's __init__ is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lms

ROOT = Path(lms.__file__).resolve().parent
BLUEPRINT_NAME = "bp"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: set[str] = set()
            if isinstance(node, ast.Import):
                targets = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:
                        targets.add(sub)
                    elif alias.name == BLUEPRINT_NAME and name.startswith(base + "."):
                        continue  # the blueprint pattern (see the module docstring)
                    else:
                        targets.add(base)
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def _path_through(graph: dict[str, set[str]], component: list[str]) -> str:
    """One concrete loop inside a component, for the failure message: a → b → … → a."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    loop = [v]
                    while loop[-1] != start:
                        loop.append(previous[loop[-1]])
                    return " → ".join([start, *reversed(loop[:-1]), start]) if len(loop) > 1 else f"{start} → {v} → {start}"
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return " ↔ ".join(component)


def test_no_import_cycles():
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles among lms modules:\n" + "\n".join(
        f"- {', '.join(c)}\n    e.g. {_path_through(graph, c)}" for c in cycles
    )


def test_the_checker_sees_function_level_imports_and_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert _path_through(graph, ["a", "b", "c"]) == "a → b → c → a"
    source = "def f():\n    from lms.certificates.render import render_local\n"
    node = ast.parse(source).body[0].body[0]
    assert isinstance(node, ast.ImportFrom) and _resolve("lms.x", False, node) == "lms.certificates.render"
    real = import_graph()
    assert "lms.certificates.render" in real["lms.certificates.worker"]  # an import inside main()
    assert "lms.orgs.views" in real["lms.orgs"]  # the package registers its views …
    assert "lms.orgs" not in real["lms.orgs.views"]  # … and `from lms.orgs import bp` is the one exclusion
