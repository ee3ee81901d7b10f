"""Import cycles between Keel's modules (`python tools/import_cycles.py`; `tests/meta/test_import_cycles.py`).

ARCHITECTURE.md says dependencies point down only. This reads every `import` of `src/keel` (outside
migrations), at module level and inside functions alike (not those under `if TYPE_CHECKING:`, which only
the type checker reads), as an edge from the importing module to the module it names (`from keel.a import
b` names `keel.a.b` when that is a module, else `keel.a`). Importing a package is importing its
`__init__`, whose own imports are its edges: a module that imports its own package's face, which imports
the module back, is a cycle (import the sibling module instead). Strongly connected components of more
than one module are cycles; each is printed with the edges inside it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def modules(src: Path = SRC) -> dict[str, Path]:
    """Every module of `keel` outside migrations, by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted((src / "keel").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _named(node: ast.AST, here: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement names, relative imports resolved against `here`."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = here.split(".") if is_package else here.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        for alias in node.names:
            yield f"{base}.{alias.name}"
            yield base


def _runtime_imports(tree: ast.AST) -> Iterator[ast.AST]:
    """Every import statement outside an `if TYPE_CHECKING:` block (a name for the type checker only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for branch in node.orelse for n in _runtime_imports_of(branch))
            continue
        yield from _runtime_imports_of(node)


def _runtime_imports_of(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
        return
    yield from _runtime_imports(node)


def edges(found: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the Keel modules it imports (the deepest existing module each import names)."""
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, path in found.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(tree):
            targets = {t for t in _named(node, name, is_package) if t in found and t != name}
            # `from keel.a import b`: b if it is a module, else a.
            for target in targets:
                if not any(other.startswith(target + ".") for other in targets):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def main() -> int:
    graph = edges(modules())
    found = cycles(graph)
    for number, component in enumerate(found, 1):
        print(f"cycle {number}: {len(component)} modules")
        inside = set(component)
        for name in component:
            for target in sorted(graph[name] & inside):
                print(f"  {name} -> {target}")
    print(f"{len(found)} cycles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
