"""The package's layout: imports point one way (no cycle), Click stays in the CLI, WeasyPrint's private names in one module."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "publish"
# WeasyPrint's public API (its documentation's "API" page); anything else of it is private.
PUBLIC_WEASYPRINT = {"weasyprint", "weasyprint.text.fonts", "weasyprint.urls"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (``from a import b``: ``a.b`` when
    that is a module, else ``a``), relative imports resolved.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.update(f"{base}.{alias.name}" for alias in node.names)
            names.add(base)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        # A package's __init__ is run by importing any of its modules: not an edge of interest unless it imports.
        graph[module] = {name for name in _imported(path, module) if name in modules and name != module}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_finder_of_cycles_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = _graph()
    assert "publish.pdf.write" in graph["publish.cli"]  # imported inside the pdf command only
    assert "publish.render" in graph["publish.pdf.html"]  # imported inside functions (and for typing)


def test_no_import_cycle_in_the_package() -> None:
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_the_engine_imports_no_sibling_and_the_bottom_layers_nothing_above() -> None:
    graph = _graph()
    assert not {name for name in graph["publish.pdf.engine"] if name.startswith("publish.pdf")}
    assert not {name for name in graph["publish.pdf.paper"] if name.startswith("publish.pdf")}
    for module in ("publish.book", "publish.processes"):
        for name, imports in graph.items():
            if name.startswith(module):
                above = {i for i in imports if i.startswith(("publish.pdf", "publish.epub", "publish.cli"))}
                assert not above, f"{name} imports {above}"
    for name, imports in graph.items():
        if name.startswith("publish.epub"):
            assert not {i for i in imports if i.startswith("publish.pdf")}, name


def test_only_the_compat_module_touches_weasyprint_or_pydyf_privately() -> None:
    compat = "publish.pdf.weasyprint_compat"
    for module, path in _modules().items():
        if module == compat:
            continue
        private = {
            name
            for name in _imported(path, module)
            if name.startswith("weasyprint.")
            and name.rpartition(".")[0] not in PUBLIC_WEASYPRINT
            and name not in PUBLIC_WEASYPRINT
        }
        assert not private, f"{module} imports {private}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    text = ast.unparse(target)
                    assert not text.startswith(("weasyprint.", "pydyf.")), f"{module} patches {text}"


def test_cli_is_the_only_module_importing_click() -> None:
    """Every module of every subpackage, imports inside functions included."""
    modules = _modules()
    assert {"publish.pdf.engine", "publish.importer.page", "publish.processes.workers"} <= set(modules)
    for module, path in modules.items():
        if module != "publish.cli":
            clicks = {name for name in _imported(path, module) if name == "click" or name.startswith("click.")}
            assert not clicks, f"{module} imports {clicks}"
