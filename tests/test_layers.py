"""The package's shape (DESIGN §1): imports point down only, no import cycle, no
module over 900 lines. Read from the source with ``ast``, so a cycle hidden in a
function-level import counts too; imports under ``if TYPE_CHECKING:`` do not run and do
not count."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dynviz"
MAX_LINES = 900

LOWER_LAYERS = {
    # layer: the dynviz layers it may import (besides itself)
    "dynviz.core": set(),
    "dynviz.storage": {"dynviz.core"},
    "dynviz.sim": {"dynviz.core", "dynviz.events", "dynviz.node"},
    "dynviz.node": {"dynviz.core", "dynviz.storage", "dynviz.events"},
    "dynviz.events": {"dynviz.core"},
}
"""The lower layers and what they may import; everything above (cluster, session,
table, net, tui, cli) sits on them. ``sim`` runs real nodes, so it may name ``node``;
``node`` never names ``sim`` (the Runtime protocol stands between them)."""


LEAVES = {"dynviz.wording"}
"""Modules that import nothing of dynviz: any layer above ``core`` may use them."""


def modules_of(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules_of(PACKAGE)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run: at any depth, except in ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    walk(other)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            walk(child)

    walk(tree)
    return found


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> list[str]:
    """The dynviz modules an import statement runs (the named module, or the package
    whose attribute it takes)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        names = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                 for alias in node.names]
    out = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.startswith("dynviz"):
            out.append(name)
    return out


def import_graph(modules: dict[str, Path] = MODULES) -> nx.DiGraph:
    """Module -> the dynviz modules it imports, and the packages those imports run
    first (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``); a module's
    own parent packages are left out (they run before it in any case)."""
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(module, path, node, modules):
                while target:
                    if target != module and not module.startswith(target + "."):
                        graph.add_edge(module, target)
                    target = target.rpartition(".")[0]
    return graph


def test_there_is_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def _layer(module: str) -> str | None:
    return next((layer for layer in LOWER_LAYERS if module == layer or module.startswith(layer + ".")), None)


def test_imports_point_down_only():
    wrong = []
    for module, target in import_graph().edges:
        layer, other = _layer(module), _layer(target) or target
        if layer is None or other in (layer, "dynviz") or (target in LEAVES and layer != "dynviz.core"):
            continue
        if other not in LOWER_LAYERS[layer]:
            wrong.append(f"{module} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_900_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by idea (STYLE.md)"


def test_the_walk_sees_a_cycle_planted_in_a_function(tmp_path):
    """The check can fail: two modules importing each other, one lazily, make a cycle;
    an import only a type checker runs does not."""
    package = tmp_path / "dynviz"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from dynviz import b\n")
    (package / "b.py").write_text("def f():\n    from dynviz.a import x\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import dynviz.a\n")
    graph = import_graph(modules_of(package))
    assert {("dynviz.a", "dynviz.b"), ("dynviz.b", "dynviz.a")} <= set(graph.edges)
    assert ("dynviz.c", "dynviz.a") not in graph.edges
