"""List every `Any` in src/keel by file and kind (issue #17: "`Any` at boundaries only where the data really
is free-form").

    .venv/bin/python tools/any_inventory.py [--by-kind] [--check] [paths...]     # default: src/keel

Each use of the name `Any` (or `typing.Any`) is counted once, by where it sits in the syntax tree:
`parameter`, `return`, `variable` (an annotated assignment or attribute), `dict[str, Any]` (wherever it sits),
`cast` (the first argument of `cast(...)`), `alias` (a type alias or TypeVar bound) and `other` (a base class,
a `TypedDict` field, a subscript inside a larger annotation...). Migrations are not counted (Django writes
them).

`--write` writes the table afresh with today's counts (an entry's `why` kept; a new file's from `WHY`, else
"to type"): run it after typing some away, and read the diff.
`--check` compares each file's count with `tools/any_allowed.toml` and exits 1 if any file grew (the ratchet
`tests/meta/test_any_ratchet.py` runs); a file that shrank is printed so its entry can be lowered.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "keel"
ALLOWED = ROOT / "tools" / "any_allowed.toml"
KINDS = ("parameter", "return", "variable", "dict[str, Any]", "cast", "alias", "other")


@dataclass(frozen=True)
class Use:
    """One `Any` in one file: where and which kind."""

    path: str
    line: int
    kind: str


def _is_any(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "Any"
    return isinstance(node, ast.Attribute) and node.attr == "Any" and isinstance(node.value, ast.Name)


def _is_dict_str_any(node: ast.AST) -> bool:
    """`dict[str, Any]` / `Dict[str, Any]` / `Mapping[str, Any]` / `MutableMapping[str, Any]`."""
    if not (
        isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2
    ):
        return False
    name = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
    key, value = node.slice.elts
    return (
        name in {"dict", "Dict", "Mapping", "MutableMapping"} and _is_any(value) and ast.unparse(key) == "str"
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.uses: list[Use] = []
        self._kinds: list[str] = ["other"]

    def _within(self, node: ast.AST | None, kind: str) -> None:
        if node is None:
            return
        self._kinds.append(kind)
        self.visit(node)
        self._kinds.pop()

    def generic_visit(self, node: ast.AST) -> None:
        if _is_dict_str_any(node):
            self.uses.append(Use(self.path, getattr(node, "lineno", 0), "dict[str, Any]"))
            assert isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple)
            self.visit(node.value)
            self.visit(node.slice.elts[0])
            return
        if _is_any(node):
            self.uses.append(Use(self.path, getattr(node, "lineno", 0), self._kinds[-1]))
            return
        super().generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self._within(node.annotation, "parameter")

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in (*node.decorator_list, node.args):
            self.visit(child)
        self._within(node.returns, "return")
        for statement in node.body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        alias = isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias"
        self._within(node.value if alias else node.annotation, "alias" if alias else "variable")
        if not alias:
            self.visit(node.target)
            self._within(node.value, self._kinds[-1])

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "cast" and node.args:
            self._within(node.args[0], "cast")
            for rest in (*node.args[1:], *node.keywords):
                self.visit(rest)
            return
        if name in {"TypeVar", "TypeAliasType", "NewType"}:
            for child in (*node.args, *node.keywords):
                self._within(child, "alias")
            return
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        """`from typing import Any` is not a use."""


def uses_in_text(text: str, name: str) -> list[Use]:
    """Every `Any` in one module's source."""
    finder = _Finder(name)
    finder.visit(ast.parse(text, filename=name))
    return finder.uses


def uses_in(path: Path) -> list[Use]:
    """Every `Any` in one file."""
    return uses_in_text(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def python_files(paths: list[Path]) -> list[Path]:
    """The files under each path (migrations left out)."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    return [f for f in files if "migrations" not in f.parts]


def counts(paths: list[Path] | None = None) -> dict[str, int]:
    """Each file's number of `Any` (files with none left out)."""
    found = Counter(use.path for f in python_files(paths or [SRC]) for use in uses_in(f))
    return dict(sorted(found.items()))


def allowed() -> dict[str, int]:
    """The committed ceiling per file: `["src/keel/x.py"] count = n  why = "..."`."""
    table = tomllib.loads(ALLOWED.read_text(encoding="utf-8"))
    return {path: int(entry["count"]) for path, entry in table.items()}


def grown(found: dict[str, int], ceiling: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Files whose count went above their ceiling (a file not in the table has a ceiling of 0)."""
    return {p: (n, ceiling.get(p, 0)) for p, n in found.items() if n > ceiling.get(p, 0)}


# Why a file's data is free-form, by where it sits (first match wins); a file no pattern names is "to type".
WHY: tuple[tuple[str, str], ...] = (
    ("/management/commands/", "Django internals: BaseCommand.handle(*args, **options), argparse's options"),
    ("/migrations/", "Django internals: historical models"),
    (
        "src/keel/careteam/queries/",
        "raw SQL rows: a hand-written read's driver values, the ORM-compiled parameters",
    ),
    ("src/keel/treatment/queries/window/", "raw SQL rows: a hand-written read's driver values"),
    ("src/keel/web/health.py", "raw SQL rows and driver connections (the probe's prepared statement)"),
    ("src/keel/crypto.py", "JSON: any JSON value, encrypted and decrypted as it is"),
    (
        "src/keel/db/",
        "Django internals: driver rows, ORM converters (value, expression, connection), Field[Any, Any]",
    ),
    ("fhir", "FHIR JSON: a resource is a free-form JSON object (R4's shapes are not modelled)"),
    ("src/keel/interop/", "FHIR JSON: resources, bundles and search parameters passed through as JSON"),
    (
        "src/keel/core/directory/",
        "a feed's JSON: meeting and facility feeds as published, free-form until parsed",
    ),
    ("src/keel/directory/", "a feed's JSON (meetings, facilities) and their stored records' hashes"),
    (
        "src/keel/audit/",
        "audit detail JSON (an event's `detail`, free-form per action), the chain's row fields",
    ),
    (
        "sharing",
        "consent scope and release JSON (a released record's free-form detail); to type (lane priv31)",
    ),
    (
        "src/keel/core/instruments/",
        "instrument definitions (JSON data files) and answers before they are checked",
    ),
    (
        "src/keel/core/rules/",
        "a rule's inputs and policy: JSON checked per rule (core.rules.inputs); to type per rule",
    ),
    ("schemas.py", "OpenAPI JSON Schema fragments and pydantic's hooks"),
    ("/api", "django-ninja internals: a route's function and a JSON body before it is checked"),
    ("views", "Django internals: template contexts and a view's *args/**kwargs"),
    ("forms.py", "Django internals: a form's *args/**kwargs and cleaned_data"),
    ("models.py", "Django internals: a model's or field's *args/**kwargs, raw SQL parameters"),
)


def why_for(path: str) -> str:
    """The reason `WHY` gives for a file (else "to type")."""
    return next((why for pattern, why in WHY if pattern in path), "to type")


def write_table(found: dict[str, int]) -> str:
    """The table for today's counts, each entry's `why` kept from the committed table when it has one."""
    kept = tomllib.loads(ALLOWED.read_text(encoding="utf-8")) if ALLOWED.exists() else {}
    lines = [
        "# Each file's ceiling of `Any` (tools/any_inventory.py; ratchet: tests/meta/test_any_ratchet.py).",
        "# A count may fall (lower it: `tools/any_inventory.py --write`), never rise. `why`: why the data is",
        '# free-form there, or "to type".',
    ]
    for path, n in sorted(found.items()):
        why = str(kept.get(path, {}).get("why", "")) or why_for(path)
        lines += ["", f'["{path}"]', f"count = {n}", f'why = "{why}"']
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Print the inventory (or check the ratchet)."""
    args = [a for a in argv if not a.startswith("--")]
    uses = [use for f in python_files([Path(a).resolve() for a in args] or [SRC]) for use in uses_in(f)]
    if "--write" in argv:
        ALLOWED.write_text(write_table(dict(Counter(u.path for u in uses))), encoding="utf-8")
        return 0
    if "--check" in argv:
        found, ceiling = dict(Counter(u.path for u in uses)), allowed()
        for path, (n, limit) in sorted(grown(found, ceiling).items()):
            print(f"{path}: {n} Any, {limit} allowed (type the new ones, or say why the data is free-form)")
        for path, limit in sorted(ceiling.items()):
            if found.get(path, 0) < limit:
                print(f"{path}: {found.get(path, 0)} Any, {limit} allowed: lower its entry", file=sys.stderr)
        return 1 if grown(found, ceiling) else 0
    if "--by-kind" in argv:
        for kind, n in Counter(u.kind for u in uses).most_common():
            print(f"{n:5}  {kind}")
        return 0
    per_file: dict[str, Counter[str]] = {}
    for use in uses:
        per_file.setdefault(use.path, Counter())[use.kind] += 1
    for path, kinds in sorted(per_file.items(), key=lambda item: -item[1].total()):
        detail = ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kinds[kind])
        print(f"{kinds.total():4}  {path}  ({detail})")
    print(f"{len(uses):4}  total in {len(per_file)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
