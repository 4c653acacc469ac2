"""The house's rules, checked on the code (issue 24): no private name imported across modules, no
import circle between modules at import time, and ``core/`` imports neither Flask nor the database."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wellbeing"


@cache
def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(top_level_only: bool):  # type: ignore[no-untyped-def]
    mods = _modules()
    packages = {m for m in mods if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").exists()}
    for name, tree in mods.items():
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                yield name, _resolve(name, node, name in packages), [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    yield name, a.name, []


def test_no_private_name_is_imported_across_modules() -> None:
    bad = [(m, target, n) for m, target, names in _imports(top_level_only=False) for n in names
           if n.startswith("_") and not n.startswith("__") and target.startswith("wellbeing")]
    assert bad == []


def test_no_import_circle_at_import_time() -> None:
    mods = set(_modules())
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, target, names in _imports(top_level_only=True):
        for t in [target, *(f"{target}.{n}" for n in names)]:
            if t in mods and t != m:
                graph[m].add(t)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    # a package's __init__ re-exporting its own modules is not a circle between rooms
    circles = [c for c in circles if not all(x == c[0] or x.startswith(c[0] + ".") for x in c)]
    assert circles == []


def test_core_imports_no_flask_and_no_database() -> None:
    bad = [(m, target) for m, target, _names in _imports(top_level_only=False)
           if m.startswith("wellbeing.core") and (target.split(".")[0] in ("flask", "flask_sqlalchemy", "sqlalchemy")
                                                   or target in ("wellbeing.extensions", "wellbeing.models"))]
    assert bad == []


#: Issue 24: "no module in wellbeing/ over ~600 lines" — a module past this is split along its sections.
MAX_MODULE_LINES = 620


def test_no_module_is_longer_than_the_house_allows() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
