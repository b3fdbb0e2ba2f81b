"""The server's apps import downward only: no import cycle between them, none imports the
project API, and every import between apps follows the order written in
kassa/server/common/__init__.py and docs/api.md. Read from the source with `ast`, so an
import inside a function counts too, and nothing is imported to check it."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import kassa.server

SERVER = Path(kassa.server.__file__).parent
PACKAGE = "kassa.server"
# Lower layers first; an app may import only apps of a lower layer.
LAYERS: list[set[str]] = [
    {"common"},
    {"journal"},
    {"catalog", "staff"},
    {"terminals"},
    {"cash"},
    {"orders"},
    {"reports"},
]
APPS = set().union(*LAYERS)
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}
# The project modules compose the apps; each is its own node of the graph.
PROJECT = {
    "api",
    "urls",
    "settings",
    "terminal_views",
    "cli",
    "demo",
    "backup",
    "demo_history",
    "wsgi",
    "management",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SERVER).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports, absolute, with `from x import y` read as x.y when
    y is a module of the server."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def server_modules() -> dict[str, set[str]]:
    """Each kassa.server module and the kassa.server modules it imports."""
    files = {
        _module_name(path): path
        for path in SERVER.rglob("*.py")
        if "migrations" not in path.relative_to(SERVER).parts
    }
    known = set(files)
    return {
        module: {name for name in _imports(path, module) if name in known}
        for module, path in files.items()
    }


def node(module: str) -> str | None:
    """The app or project module a module belongs to (None for kassa.server itself)."""
    rest = module.removeprefix(PACKAGE).lstrip(".")
    return rest.split(".")[0] or None


def app_graph(modules: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, imported in modules.items():
        source = node(module)
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        for name in imported:
            target = node(name)
            if target is not None and target != source:
                edges.add(target)
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(vertex: str) -> list[str] | None:
        state[vertex] = 1
        path.append(vertex)
        for target in sorted(graph.get(vertex, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[vertex] = 2
        return None

    for vertex in sorted(graph):
        if vertex not in state and (cycle := visit(vertex)) is not None:
            return cycle
    return None


def test_the_graph_sees_every_app_and_project_module() -> None:
    # given the server's source, then every app and project module is a node, and the
    # project API is seen adding the apps' routers: the reader works
    graph = app_graph(server_modules())
    assert set(graph) == APPS | PROJECT
    assert {"catalog", "staff", "terminals", "cash", "orders", "common", "journal"} <= graph["api"]
    assert "kassa.server.orders.services" in server_modules()["kassa.server.orders.api"]


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


def test_apps_form_no_import_cycle() -> None:
    assert find_cycle(app_graph(server_modules())) is None


def test_no_app_imports_the_project_api() -> None:
    offenders = sorted(
        module
        for module, imported in server_modules().items()
        if node(module) in APPS and f"{PACKAGE}.api" in imported
    )
    assert offenders == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_imports_only_lower_layers(app: str) -> None:
    # an app imports common and the apps below it, never a project module
    imported = app_graph(server_modules()).get(app, set())
    upward = sorted(
        target for target in imported if target not in APPS or RANK[target] >= RANK[app]
    )
    assert upward == []
