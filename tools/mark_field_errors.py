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

Words that come in through a variable are not rewritten (lane shape29): they are checked, and each one
the tool cannot see marked is printed (exit 1 in either mode: marking it and its Spanish are a person's job):
- a `FieldError.said` / `ItemError.said` template, or a `template=` given to `FieldError` / `ItemError`, named
  by a variable must resolve (in the function, the module, or a `keel` module it is imported from) to a marked
  constant (`N_("...")`, `_("...")`); a template carried by a value already made (`why.template`) passes;
- a reason named by a variable that resolves to a string constant must be that constant marked (before this,
  `TAKEN = "this person already has an appointment at this time"` reached a page in English only).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = "from keel.core.words import gettext_noop as N_"
ERROR_KINDS = {"FieldError", "ItemError"}
MARKS = {"N_", "_", "gettext", "gettext_lazy", "gettext_noop"}


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


def _error_call(call: ast.Call) -> str | None:
    """ "new" for `FieldError(...)` / `ItemError(...)`, "said" for their `.said(...)`, else None."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in ERROR_KINDS:
        return "new"
    if isinstance(func, ast.Attribute) and func.attr in ERROR_KINDS:
        return "new"
    if isinstance(func, ast.Attribute) and func.attr == "said":
        owner = func.value
        if (isinstance(owner, ast.Name) and owner.id in ERROR_KINDS) or (
            isinstance(owner, ast.Attribute) and owner.attr in ERROR_KINDS
        ):
            return "said"
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _is_marked(node: ast.expr) -> bool:
    """`N_("words")` (or a page's `_`, Django's gettext) around one string constant."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", "") in MARKS
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


class _Names:
    """What a name stands for in one module: its module-level assignments and its imports from `keel`."""

    def __init__(self, tree: ast.Module, root: Path) -> None:
        self.root = root
        self.tree = tree
        self.values: dict[str, list[ast.expr]] = {}
        self.imported: dict[str, tuple[str, str]] = {}
        for node in tree.body:
            _collect(node, self.values)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keel."):
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)

    def values_of(self, name: str, seen: frozenset[str] = frozenset()) -> list[ast.expr] | None:
        """The expressions assigned to `name` here or where it is imported from; None when not found."""
        if name in self.values:
            return self.values[name]
        if name not in self.imported or name in seen:
            return None
        module, original = self.imported[name]
        path = self.root / "src" / Path(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if not path.is_file():
            return None
        return _Names(ast.parse(path.read_text()), self.root).values_of(original, seen | {name})


def _collect(node: ast.stmt, into: dict[str, list[ast.expr]]) -> None:
    """`NAME = value` and `NAME: T = value` of one statement, added to `into`."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                into.setdefault(target.id, []).append(node.value)
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        into.setdefault(node.target.id, []).append(node.value)


def _local_values(function: ast.AST | None, name: str) -> list[ast.expr] | None:
    if function is None:
        return None
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.stmt):
            _collect(node, found)
    return found.get(name)


def _passed_values(
    function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, tree: ast.Module
) -> list[ast.expr] | None:
    """What the calls in this module pass to the function's parameter `name` (a template handed on to a
    helper); None when it is no parameter or no call here passes it."""
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    keyword_only = [a.arg for a in function.args.kwonlyargs]
    if name not in params and name not in keyword_only:
        return None
    passed = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if called != function.name:
            continue
        index = params.index(name) - (1 if params[:1] in (["self"], ["cls"]) else 0) if name in params else -1
        if 0 <= index < len(node.args):
            passed.append(node.args[index])
        passed += [k.value for k in node.keywords if k.arg == name]
    return passed or None


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each call's innermost enclosing function (a call at module level has none)."""
    owner: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if function is not None:
                owner[child] = function
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            visit(child, inner)

    visit(tree, None)
    return owner


def unmarked_through_variables(source: str, root: Path = ROOT) -> list[str]:
    """Each template or reason named by a variable that the check cannot see marked, as "line: what"."""
    tree = ast.parse(source)
    names = _Names(tree, root)
    owners = _enclosing_functions(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (kind := _error_call(node)) is None:
            continue
        slots = [(_argument(node, 1, "template"), True)]
        if kind == "new":
            slots = [(_argument(node, 1, "reason"), False), (_argument(node, 2, "template"), True)]
        for arg, is_template in slots:
            if isinstance(arg, ast.Attribute) and arg.attr == "template":
                continue  # a template carried by a value already made (a FieldError's, a Reason's)
            if not isinstance(arg, ast.Name | ast.Attribute):
                continue
            values = _variable_values(arg, names, owners.get(node))
            if is_template and (values is None or not all(_is_marked(v) for v in values)):
                found.append(f"{node.lineno}: template {ast.unparse(arg)} is not a marked constant")
            elif not is_template and values and any(_unmarked_constant(v) for v in values):
                found.append(f"{node.lineno}: reason {ast.unparse(arg)} is an unmarked constant")
    return found


def _variable_values(
    arg: ast.Name | ast.Attribute, names: _Names, function: ast.AST | None
) -> list[ast.expr] | None:
    """What a `NAME` or a `module.NAME` was assigned, or None when it cannot be told (a value worked out)."""
    if isinstance(arg, ast.Name):
        local = _local_values(function, arg.id)
        if local is None and isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            local = _passed_values(function, arg.id, names.tree)
        return local if local is not None else names.values_of(arg.id)
    owner = arg.value
    if isinstance(owner, ast.Name) and owner.id in names.imported:
        module, original = names.imported[owner.id]
        path = names.root / "src" / Path(*f"{module}.{original}".split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if path.is_file():
            return _Names(ast.parse(path.read_text()), names.root).values_of(arg.attr)
    return None


def _unmarked_constant(node: ast.expr) -> bool:
    """A string constant, or an `a if c else b` with one, outside any marking call."""
    if isinstance(node, ast.IfExp):
        return _unmarked_constant(node.body) or _unmarked_constant(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value.strip())


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [ROOT / "src" / "keel"]
    files = [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    changed, unmarked = [], []
    for path in files:
        if "migrations" in path.parts or path.name == "mark_field_errors.py":
            continue
        source = path.read_text()
        if "Error(" not in source and "Error.said(" not in source:
            continue
        unmarked += [f"{path.relative_to(ROOT)}:{w}" for w in unmarked_through_variables(source)]
        if "FieldError(" not in source:
            continue
        new = rewrite(source)
        if new != source:
            changed.append(path)
            if not check:
                path.write_text(new)
    for path in changed:
        print(("would change " if check else "changed ") + str(path.relative_to(ROOT)))
    for where in unmarked:
        print(f"unmarked (mark it N_ and write its Spanish): {where}")
    return 1 if (check and changed) or unmarked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
