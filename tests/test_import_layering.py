"""The import graph of artzoo and tfds_builders has no cycles, counting imports inside functions too.

A cycle hidden by a function-level import still ties two modules together: neither can be understood, tested or
moved without the other, and which one finishes importing first depends on who is imported first. The graph is
read from the source (AST), so it sees every `import` / `from ... import` statement wherever it stands, except
those under `if TYPE_CHECKING:` (never executed). Dynamic imports (`importlib.import_module(name)`) are not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("artzoo", "tfds_builders")


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the packages (tests of builders excluded)."""
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name.endswith("_test.py"):
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files[name] = path
    return files


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(node, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The known modules one import statement imports."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # `import artzoo.x.y` where y is an attribute: the module is artzoo.x
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its source (top level or inside functions)."""
    files = module_files()
    known = set(files)
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = set().union(*(_targets(n, name, is_package, known) for n in _import_nodes(tree)))
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected component with more than one module (Tarjan)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(set(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest closed path through the component's first module (breadth-first)."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for succ in sorted(graph[node] & component):
                if succ == start:
                    return [*paths[node], start]
                if succ not in paths:
                    paths[succ] = [*paths[node], succ]
                    nxt.append(succ)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component always has one


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between top-level packages: importing any module of a package runs that package's __init__."""
    top = {}
    for module, targets in graph.items():
        top.setdefault(module.split(".")[0], set()).update(t.split(".")[0] for t in targets)
    return {package: targets - {package} for package, targets in top.items()}


def test_no_import_cycles_between_modules():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (counting function-level imports):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_no_import_cycle_between_packages():
    graph = package_graph(import_graph())
    cycles = find_cycles(graph)
    assert not cycles, "packages import each other: " + "; ".join(" -> ".join(c) for c in cycles)
    assert graph["artzoo"] == {"tfds_builders"} and graph["tfds_builders"] == set()  # builders sit below artzoo


def test_the_cycle_finder_names_a_cycle_hidden_in_a_function(tmp_path):
    source = {"a": "import b\n", "b": "def f():\n    from a import x\n", "c": "import a\n"}
    graph = {}
    for name, text in source.items():
        nodes = _import_nodes(ast.parse(text))
        graph[name] = set().union(*(_targets(n, name, False, set(source)) for n in nodes))
    assert find_cycles(graph) == [["a", "b", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_imports_under_type_checking_do_not_count():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n")
    imported = {n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in _import_nodes(tree)}
    assert imported == {"typing", "c"}


def test_the_graph_sees_the_packages_modules():
    graph = import_graph()
    assert "artzoo.train.runner" in graph and "tfds_builders.louvre_genre.louvre_genre_dataset_builder" in graph
    assert "artzoo.models.classifier" in graph["artzoo.train.runner"]
