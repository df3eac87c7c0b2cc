"""The sandbox package's imports: no cycle, and none hidden inside a function (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import idcode_async.sandbox

PACKAGE = Path(idcode_async.sandbox.__file__).parent


def _trees() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.glob("*.py")}


def _sibling(node: ast.ImportFrom) -> str | None:
    """``from .x import …`` → ``x``; imports from outside the package → None."""
    if node.level != 1:
        return None
    return (node.module or "").split(".")[0] or None


def test_no_import_inside_a_function() -> None:
    hidden = [
        f"{name}:{node.lineno}"
        for name, tree in _trees().items()
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert hidden == []


def test_module_imports_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for name, tree in _trees().items():
        graph[name] = {
            target
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (target := _sibling(node)) is not None
            and target != "__init__"
        }
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            visit(target, (*path, name))
        done.add(name)

    for name in sorted(graph):
        if name != "__init__":
            visit(name, ())
    assert graph["app"].isdisjoint({"core", "serve"})
