"""No import cycles among the lms modules, counting the imports inside functions too.

Every `import` and `from … import …` in lms/ is read with ast, wherever it stands (module level,
inside a function, under a guard), and becomes an edge from the importing module to the imported
one: `from lms.x import y` points at the module `lms.x.y` when that file exists, else at `lms.x`.
Importing a module does not count as importing its parent packages (Python runs their
__init__ first, but that is not a dependency the code chose).

A slice package's __init__ only creates its Blueprint; the app factory imports the view modules
(lms.SLICES), so the views' `from lms.x import bp` is an ordinary edge and no exception is made.

A second test looks at the slices as wholes: each slice is one node, except its data layer (the
`models` module, and the `sources` registry of hours), which is a node of its own because every
slice may read every table. Cross-cutting modules (lms.progress, lms.units, lms.access, …) are
nodes too. That graph has no cycle either: completion (lms.progress) sits between the data layer
and the slices, so content, quiz and hours never import each other's services or views.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lms

ROOT = Path(lms.__file__).resolve().parent
DATA_LAYER = {"models", "sources"}


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
                    targets.add(sub if sub in modules else base)
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
    assert "lms.orgs" in real["lms.orgs.views"]  # `from lms.orgs import bp`
    assert not real["lms.orgs"] - {"lms.orgs.models"}  # the package __init__ imports no views


def slice_node(module: str) -> str:
    """lms.quiz.attempts → "quiz", lms.quiz.models → "quiz.data", lms.progress → "progress"."""
    parts = module.split(".")
    if len(parts) > 2 and parts[2] in DATA_LAYER:
        return f"{parts[1]}.data"
    return parts[1] if len(parts) > 1 else parts[0]


def slice_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        for target in targets:
            a, b = slice_node(module), slice_node(target)
            graph.setdefault(a, set())
            graph.setdefault(b, set())
            if a != b:
                graph[a].add(b)
    return graph


def test_no_cycles_between_slices():
    graph = slice_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles between slices:\n" + "\n".join(
        f"- {', '.join(c)}\n    e.g. {_path_through(graph, c)}" for c in cycles
    )
    # Completion is asked by content, quiz, hours' neighbours and certificates; it asks only data.
    assert graph["progress"] <= {"content.data", "quiz.data", "hours.data", "units"}
    for a, b in (("content", "quiz"), ("content", "hours"), ("quiz", "hours"), ("audit", "orgs")):
        assert not (b in graph[a] and a in graph[b]), (a, b)
