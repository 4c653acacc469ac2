"""The house's rules, checked on the code (issue 24): no private name imported or used across modules, no
import circle between modules at import time, no module over :data:`MAX_MODULE_LINES` lines, and
``core/`` imports neither Flask nor the database.

The walker reads a package's source (never imports it). The circle check is itself attacked: a throw-away
package with two sibling modules importing each other (``from . import x``, also inside a module-level
``try``) must be caught, while the blueprint pattern (a package's ``__init__`` defining ``bp`` and then
importing its views, which import ``bp``) is not a circle between rooms.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wellbeing"
#: Issue 24: "no module in wellbeing/ over ~600 lines" — a module past this is split along its sections.
MAX_MODULE_LINES = 620


@cache
def _modules(package: Path = PACKAGE) -> dict[str, ast.Module]:
    out = {}
    for path in package.rglob("*.py"):
        rel = path.relative_to(package.parent).with_suffix("")
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


def _module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run when the module is imported: the body, and inside module-level ``if``/``try``/
    ``with`` blocks — not function or class bodies."""
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        yield node
        if isinstance(node, (ast.If, ast.With, ast.For, ast.While)):
            todo[:0] = [*node.body, *getattr(node, "orelse", [])]
        elif isinstance(node, ast.Try):
            todo[:0] = [*node.body, *[s for h in node.handlers for s in h.body], *node.orelse, *node.finalbody]


def _imports(top_level_only: bool, package: Path = PACKAGE) -> Iterator[tuple[str, str, list[str]]]:
    """(module, imported module, imported names) for every import statement of the package."""
    mods = _modules(package)
    packages = {m for m in mods if (package.parent / m.replace(".", "/") / "__init__.py").exists()}
    for name, tree in mods.items():
        nodes = _module_level(tree) if top_level_only else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                yield name, _resolve(name, node, name in packages), [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    yield name, a.name, []


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules it imports at import time. ``from P import x`` is an edge to the module
    ``P.x`` when that is a module, else to ``P`` (a name defined in ``P``)."""
    mods = set(_modules(package))
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, target, names in _imports(True, package):
        targets = [f"{target}.{n}" if f"{target}.{n}" in mods else target for n in names] or [target]
        graph[m].update(t for t in targets if t in mods and t != m)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles (strongly connected components of more than one module, Tarjan), without the
    blueprint pattern: a package and its own submodules that form no circle among themselves once the
    package's ``__init__`` is left out (the package imports its views, the views import its ``bp``)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)

    def blueprint_pattern(c: list[str]) -> bool:
        root = c[0]
        inner = set(c) - {root}
        return (all(x.startswith(root + ".") for x in inner)
                and not circles({a: graph[a] & inner for a in inner}))

    return [c for c in found if not blueprint_pattern(c)]


def test_no_private_name_is_imported_across_modules() -> None:
    bad = [(m, target, n) for m, target, names in _imports(top_level_only=False) for n in names
           if n.startswith("_") and not n.startswith("__") and target.startswith("wellbeing")]
    assert bad == []


def test_no_private_name_is_used_through_another_module() -> None:
    """``mod._x`` where ``mod`` is one of our modules imported under a name (``from . import batches``,
    ``import wellbeing.core.x as x``)."""
    mods = _modules()
    bad = []
    for name, tree in mods.items():
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                packages = (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
                target = _resolve(name, node, packages)
                for a in node.names:
                    if f"{target}.{a.name}" in mods:
                        aliases[a.asname or a.name] = f"{target}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append((name, f"{aliases[node.value.id]}.{node.attr}"))
    assert bad == []


def test_no_import_circle_at_import_time() -> None:
    assert circles(import_graph()) == []


def test_the_circle_check_catches_siblings_and_spares_blueprints(tmp_path: Path) -> None:
    """The adversary: siblings importing each other (one inside a module-level ``try``) are a circle;
    a blueprint package importing its views, which import its ``bp``, is not."""
    pkg = tmp_path / "house"
    (pkg / "disclosure").mkdir(parents=True)
    (pkg / "shop").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "disclosure" / "__init__.py").write_text("from .cells import build\n")
    (pkg / "disclosure" / "cells.py").write_text("from . import rounding\n\ndef build():\n    return rounding\n")
    (pkg / "disclosure" / "rounding.py").write_text("try:\n    from . import cells\nexcept ImportError:\n    pass\n")
    (pkg / "shop" / "__init__.py").write_text("bp = object()\n\nfrom . import views  # noqa: E402\n")
    (pkg / "shop" / "views.py").write_text("from . import bp\n")
    found = circles(import_graph(pkg))
    assert found == [["house.disclosure.cells", "house.disclosure.rounding"]]


def test_no_module_is_longer_than_the_house_allows() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_core_imports_no_flask_and_no_database() -> None:
    bad = [(m, target) for m, target, _names in _imports(top_level_only=False)
           if m.startswith("wellbeing.core") and (target.split(".")[0] in ("flask", "flask_sqlalchemy", "sqlalchemy")
                                                   or target in ("wellbeing.extensions", "wellbeing.models"))]
    assert bad == []
