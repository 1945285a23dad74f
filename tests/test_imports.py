"""The kg modules import each other without cycles, and stage modules never import the build machinery.

Imports are read from the source with :mod:`ast`, at the top of a module and
inside its functions alike: an import hidden in a function still ties the two
modules together (it only moves the failure from import time to call time).
"""

from __future__ import annotations

import ast
from pathlib import Path

KG_DIR = Path(__file__).resolve().parents[1] / "kg"
STAGE_MODULES = (
    "kg.pipeline",
    "kg.inputs",
    "kg.forms",
    "kg.extract",
    "kg.partners",
    "kg.ner",
    "kg.resolve",
    "kg.links",
    "kg.graph",
    "kg.store",
    "kg.serialise",
    "kg.manifest",
    "kg.analyse",
    "kg.visualise",
    "kg.report",
    "kg.privacy",
)
MACHINERY = ("kg.engine", "kg.build", "kg.cache")


def test_kg_modules_import_each_other_without_cycles() -> None:
    """Every kg module, subpackages included, can be imported before whatever imports it."""
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles among kg modules:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_stage_modules_do_not_import_the_build_machinery() -> None:
    """The pipeline's stages work on plain data: the engine, the build and the cache call them, never the reverse."""
    graph = import_graph()
    offending = sorted(
        f"{stage} imports {target}"
        for stage in STAGE_MODULES
        for target in graph[stage]
        if any(target == root or target.startswith(root + ".") for root in MACHINERY)
    )
    assert not offending, "\n".join(offending)


def test_the_graph_sees_hidden_and_package_imports(tmp_path: Path) -> None:
    """The reader finds imports inside functions and resolves every import form to the module it loads."""
    source = (
        "import kg.a\n"
        "from kg import b, VERSION\n"
        "from kg.pkg import c\n"
        "from kg.pkg.c import thing\n"
        "def f():\n"
        "    from kg.d import g\n"
        "    import os\n"
    )
    modules = {"kg", "kg.a", "kg.b", "kg.d", "kg.pkg", "kg.pkg.c", "kg.me"}
    assert kg_imports(ast.parse(source), "kg.me", modules) == {"kg", "kg.a", "kg.b", "kg.d", "kg.pkg.c"}
    assert find_cycles({"kg.a": {"kg.b"}, "kg.b": {"kg.c"}, "kg.c": {"kg.a"}}) == [["kg.a", "kg.b", "kg.c", "kg.a"]]
    assert find_cycles({"kg.a": {"kg.b"}, "kg.b": set()}) == []


def import_graph() -> dict[str, set[str]]:
    """Each kg module's name mapped to the kg modules it imports anywhere in its source."""
    paths = {module_name(path): path for path in sorted(KG_DIR.rglob("*.py"))}
    return {
        name: kg_imports(ast.parse(path.read_text(encoding="utf-8")), name, set(paths)) - {name}
        for name, path in paths.items()
    }


def module_name(path: Path) -> str:
    """The dotted name of a module file under kg/ (``kg/engine/__init__.py`` is ``kg.engine``)."""
    parts = path.relative_to(KG_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kg_imports(tree: ast.AST, name: str, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the source of module ``name`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_deepest(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, name, modules)
            found.update(_deepest(f"{base}.{alias.name}", modules) for alias in node.names)
    return found - {None}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per back edge met by a depth-first walk in name order, each as a closed path of module names."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            _walk(graph, start, [], done, cycles)
    return cycles


def _walk(graph: dict[str, set[str]], node: str, path: list[str], done: set[str], cycles: list[list[str]]) -> None:
    """Depth-first from ``node`` with the current ``path``; records each edge back into the path as a cycle."""
    path.append(node)
    for target in sorted(graph.get(node, ())):
        if target in path:
            cycles.append(path[path.index(target) :] + [target])
        elif target not in done:
            _walk(graph, target, path, done, cycles)
    path.pop()
    done.add(node)


def _absolute(node: ast.ImportFrom, name: str, modules: set[str]) -> str:
    """The absolute module a ``from ... import`` names, relative imports resolved against module ``name``."""
    if not node.level:
        return node.module or ""
    package = name if name in modules and _is_package(name) else name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _is_package(name: str) -> bool:
    """True when the kg module ``name`` is a package (a folder with ``__init__.py``)."""
    return (KG_DIR.parent / name.replace(".", "/") / "__init__.py").is_file()


def _deepest(dotted: str, modules: set[str]) -> str | None:
    """The longest prefix of ``dotted`` that is a kg module (``kg.x.attr`` gives ``kg.x``), or None outside kg."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None
