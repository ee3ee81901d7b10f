"""Figures for docs/shape.md: longest files and functions, Any counts (src/keel without migrations)."""

import ast
import pathlib
import re

root = pathlib.Path("src/keel")
files = [p for p in root.rglob("*.py") if "migrations" not in p.parts]
sizes = sorted(((len(p.read_text().splitlines()), str(p)) for p in files), reverse=True)
print("longest files:")
for n, p in sizes[:8]:
    print(f"  {n:5d} {p}")
funcs = []
user_any = 0
for p in files:
    t = ast.parse(p.read_text())
    for node in ast.walk(t):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            funcs.append((node.end_lineno - node.lineno + 1, f"{p}:{node.lineno} {node.name}"))
            for a in node.args.args + node.args.kwonlyargs:
                if (
                    a.arg in ("user", "by")
                    and a.annotation is not None
                    and ast.unparse(a.annotation) == "Any"
                ):
                    user_any += 1
                    break
funcs.sort(reverse=True)
print("longest functions:")
for n, f in funcs[:8]:
    print(f"  {n:5d} {f}")
import statistics

print("functions:", len(funcs), "median lines:", statistics.median(n for n, _ in funcs))
anys = sum(len(re.findall(r"\bAny\b", p.read_text())) for p in files)
print("Any (word count, src/keel excl. migrations):", anys)
print("functions taking user: Any or by: Any:", user_any)
