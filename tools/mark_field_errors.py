"""Mark every field error's words for the translation catalogue at its source (issue #17: "marking core
strings for translation at their source"). Idempotent: run it again after a merge; it changes only what
is new.

    .venv/bin/python tools/mark_field_errors.py [--check] [paths...]     # default: src/keel

- `FieldError(name, "fixed words")` becomes `FieldError(name, N_("fixed words"))`;
- `FieldError(name, f"words {value}")` becomes `FieldError.said(name, N_("words %(value)s"), value=value)`:
  the same English text (`tests/meta/test_field_error_words.py` holds both forms to it), and a template the
  pages translate (`keel.web.field_words.said`).

`N_` is `keel.core.words.gettext_noop` (the name `keel makemessages` reads); the import is added where
missing.
`--check` changes nothing and exits 1 if anything would change (CI could run it; the meta test does the same).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = "from keel.core.words import gettext_noop as N_"


def _is_field_error(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "FieldError") or (
        isinstance(func, ast.Attribute) and func.attr == "FieldError"
    )


def _reason_arg(call: ast.Call) -> ast.expr | None:
    if len(call.args) >= 2:
        return call.args[1]
    for keyword in call.keywords:
        if keyword.arg == "reason":
            return keyword.value
    return None


def _param_name(node: ast.expr, taken: set[str]) -> str:
    if isinstance(node, ast.Name):
        base = node.id.lstrip("_").lower() or "value"
    elif isinstance(node, ast.Attribute):
        base = node.attr.lstrip("_").lower() or "value"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
        base = "items"
    else:
        base = "value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _said(source: str, call: ast.Call, fstring: ast.JoinedStr) -> str | None:
    """The `.said(...)` call for a FieldError made from an f-string; None when it cannot be said plainly."""
    template, params, taken = "", [], set()
    for part in fstring.values:
        if isinstance(part, ast.Constant):
            template += str(part.value).replace("%", "%%")
            continue
        assert isinstance(part, ast.FormattedValue)
        expr = ast.get_source_segment(source, part.value)
        if expr is None:
            return None
        name = _param_name(part.value, taken)
        value = expr
        if part.conversion != -1:
            value = f"{ {ord('r'): 'repr', ord('s'): 'str', ord('a'): 'ascii'}[part.conversion] }({value})"
        if part.format_spec is not None:
            spec = part.format_spec
            if not all(isinstance(v, ast.Constant) for v in spec.values):
                return None
            value = f"format({value}, {_quote(''.join(str(v.value) for v in spec.values))})"  # type: ignore[attr-defined]
        template += f"%({name})s"
        params.append(f"{name}={value}")
    field = ast.get_source_segment(source, call.args[0]) if call.args else None
    if field is None or len(call.args) != 2 or call.keywords:
        return None
    func = ast.get_source_segment(source, call.func)
    return f"{func}.said({field}, N_({_quote(template)}), {', '.join(params)})"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _edits(source: str) -> list[tuple[int, int, str]]:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())  # ast counts bytes

    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_field_error(node)):
            continue
        arg = _reason_arg(node)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            segment = ast.get_source_segment(source, arg)
            assert segment is not None and arg.end_lineno is not None and arg.end_col_offset is not None
            edits.append(
                (
                    offset(arg.lineno, arg.col_offset),
                    offset(arg.end_lineno, arg.end_col_offset),
                    f"N_({segment})",
                )
            )
        elif isinstance(arg, ast.JoinedStr):
            said = _said(source, node, arg)
            if said is None:
                continue
            assert node.end_lineno is not None and node.end_col_offset is not None
            edits.append(
                (offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset), said)
            )
    return sorted(edits, reverse=True)


def _with_import(source: str) -> str:
    if re.search(r"^from keel\.core\.words import .*\bgettext_noop as N_\b", source, re.M):
        return source
    tree = ast.parse(source)
    last = max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)), default=0
    )
    lines = source.splitlines(keepends=True)
    lines.insert(last, IMPORT + "\n")
    return "".join(lines)


def rewrite(source: str) -> str:
    edits = _edits(source)
    if not edits:
        return source
    for start, end, text in edits:
        source = source[:start] + text + source[end:]
    return _with_import(source)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [ROOT / "src" / "keel"]
    files = [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    changed = []
    for path in files:
        if "migrations" in path.parts or path.name == "mark_field_errors.py":
            continue
        source = path.read_text()
        if "FieldError(" not in source:
            continue
        new = rewrite(source)
        if new != source:
            changed.append(path)
            if not check:
                path.write_text(new)
    for path in changed:
        print(("would change " if check else "changed ") + str(path.relative_to(ROOT)))
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
