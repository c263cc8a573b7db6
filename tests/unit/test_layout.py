"""The package layout of issue #10: no import cycle between modules."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "sdmission"


def _module_graph() -> nx.DiGraph:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        # module-level imports only: imports inside functions and TYPE_CHECKING blocks run later
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sdmission"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph.add_edge(name, full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                graph.add_edges_from((name, a.name) for a in node.names if a.name.startswith("sdmission"))
    return graph


def test_no_import_cycle() -> None:
    graph = _module_graph()
    assert graph.number_of_nodes() > 50
    assert list(nx.simple_cycles(graph)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = _module_graph()
    graph.add_edge("sdmission.schema.scenario", "sdmission.study.case")  # case imports scenario.load -> schema
    assert list(nx.simple_cycles(graph))
