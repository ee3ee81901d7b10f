"""Figures for docs/shape.md (issue #17): the longest files and functions and the `Any` counts of src/keel
without its migrations. Run from the repository root: .venv/bin/python bench/shape.py"""

from __future__ import annotations

import ast
import re
import statistics
from pathlib import Path


def main() -> None:
    files = [p for p in Path("src/keel").rglob("*.py") if "migrations" not in p.parts]
    sizes = sorted(((len(p.read_text().splitlines()), str(p)) for p in files), reverse=True)
    print("longest files:")
    for n, name in sizes[:8]:
        print(f"  {n:5d} {name}")
    funcs: list[tuple[int, str]] = []
    user_any = 0
    for p in files:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                funcs.append((node.end_lineno - node.lineno + 1, f"{p}:{node.lineno} {node.name}"))
                params = node.args.args + node.args.kwonlyargs
                annotations = {a.arg: a.annotation for a in params if a.annotation is not None}
                user_any += any(
                    ast.unparse(annotations[k]) == "Any" for k in ("user", "by") if k in annotations
                )
    funcs.sort(reverse=True)
    print("longest functions:")
    for n, name in funcs[:8]:
        print(f"  {n:5d} {name}")
    print("functions:", len(funcs), "median lines:", statistics.median(n for n, _ in funcs))
    texts = [p.read_text() for p in files]
    print("Any (word count, src/keel excl. migrations):", sum(len(re.findall(r"\bAny\b", t)) for t in texts))
    lines = sum(
        1 for t in texts for line in t.splitlines() if "import" not in line and re.search(r"\bAny\b", line)
    )
    print("lines with Any, import lines aside:", lines)
    print(
        "lines with dict[str, Any]:",
        sum(1 for t in texts for line in t.splitlines() if "dict[str, Any]" in line),
    )
    print("functions taking user: Any or by: Any:", user_any)


if __name__ == "__main__":
    main()
