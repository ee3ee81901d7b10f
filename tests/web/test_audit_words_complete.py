"""Every kind of record Keel audits, and every reason Keel writes, has its words on the audit page (issue #15:
no internal codes on any page; issue #17's walk of the guide found 50 kinds shown as their code, and the
reasons were all English codes such as "mfa code", on the Spanish page too).

The kinds are read from the source: every `target_type` passed by keyword, by position to a function whose
parameter it is, or as that parameter's default, as a string or a module constant.

So are the reasons: fixed ones (a string, either branch of `a if x else b`, a sum of strings, an f-string of
module constants) passed as `reason=` or to a function that writes its `reason` parameter into the trail; and
the reasons written from a pattern (an f-string such as "role may not {what}"): each pattern needs its family
in `keel.web.audit_words.REASON_FAMILIES` (or a REASON_CODES beginning), and each value a part can take (read
from every caller, or every member of its enum) needs its words in that family's vocabulary."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from keel.access.policy import Area
from keel.audit.models import Action
from keel.core.instruments.registry import codes as instrument_codes
from keel.patients.models import FlagKind
from keel.web.audit_words import REASON_CODES, REASON_FAMILIES, REASONS, RECORDS, reason_words

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.update({t.id: value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _value(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value or None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


TREES = [ast.parse(p.read_text()) for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def _audited_kinds() -> list[str]:
    trees = TREES
    position: dict[str, int] = {}  # function name -> the index of its target_type parameter
    kinds: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = [*node.args.posonlyargs, *node.args.args]
                names = [a.arg for a in args]
                if "target_type" in names:
                    at = position[node.name] = names.index("target_type")
                    first_default = len(args) - len(node.args.defaults)
                    if at >= first_default:
                        kinds.add(_value(node.args.defaults[at - first_default], {}) or "")
                for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
                    if arg.arg == "target_type" and default is not None:
                        kinds.add(_value(default, {}) or "")
    for tree in trees:
        names = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "target_type":
                    kinds.add(_value(keyword.value, names) or "")
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in position and len(node.args) > position[called]:
                kinds.add(_value(node.args[position[called]], names) or "")
    kinds.discard("")
    return sorted(kinds)


KINDS = _audited_kinds()


def test_the_source_audits_many_kinds_of_record():
    assert len(KINDS) > 60


@pytest.mark.parametrize("kind", KINDS)
def test_every_audited_kind_has_words(kind):
    assert kind in RECORDS


@pytest.mark.parametrize("kind", KINDS)
def test_every_audited_kind_has_spanish_words(kind):
    with translation.override("es"):
        spanish = str(RECORDS.get(kind, kind))
    with translation.override("en"):
        english = str(RECORDS.get(kind, kind))
    assert spanish != english or kind == "qtc"


def _written_reasons() -> list[str]:
    """Every reason Keel writes as a fixed string (`reason="..."` anywhere in the source)."""
    keywords = (k for tree in TREES for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords)
    found = {_value(k.value, {}) or "" for k in keywords if k.arg == "reason"}
    return sorted(r for r in found if r.strip(" ;"))


REASONS_WRITTEN = _written_reasons()


def test_the_source_writes_many_reasons():
    assert len(REASONS_WRITTEN) > 60


@pytest.mark.parametrize("reason", REASONS_WRITTEN)
def test_every_reason_keel_writes_has_words(reason):
    assert reason in REASONS


@pytest.mark.parametrize("reason", REASONS_WRITTEN)
def test_every_reason_keel_writes_has_spanish_words(reason):
    with translation.override("es"):
        assert reason_words(reason) != reason


@pytest.mark.parametrize(("code", "label"), FlagKind.choices)
def test_an_early_warning_reason_names_its_flag_in_words(code, label):
    with translation.override("es"):
        assert reason_words(f"early warning: {code}") == f"alerta temprana: {label}"


def test_a_guard_rail_reason_names_its_verdict_in_words():
    with translation.override("es"):
        assert reason_words("guard rail: needs_override") == (
            "límite de seguridad: necesita una excepción de un prescriptor"
        )


def test_a_reason_a_person_wrote_is_shown_as_written():
    assert reason_words("Patient vomited the dose; told to come back.") == (
        "Patient vomited the dose; told to come back."
    )


# --- Reasons written from a pattern (an f-string), and fixed reasons the keyword scan above does not see ---

PARENTS = {child: node for tree in TREES for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
FUNCTIONS = [
    n for tree in TREES for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
]
ALL_CONSTANTS = {k: v for tree in TREES for k, v in _constants(tree).items()}
ENUMS = {"Action": Action, "Area": Area}  # a part typed by one of these can be any of its members
REGISTRIES = {"instrument": instrument_codes()}  # a part named so can be any registered instrument


def _enclosing(node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    while node in PARENTS:
        node = PARENTS[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def _called(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _forwarders() -> dict[str, int]:
    """Functions that write their `reason` parameter into an audit row (`reason=reason`): name -> index."""
    found = {}
    for fn in FUNCTIONS:
        names = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        if "reason" in names and any(
            k.arg == "reason" and isinstance(k.value, ast.Name) and k.value.id == "reason"
            for n in ast.walk(fn)
            if isinstance(n, ast.Call)
            for k in n.keywords
        ):
            found[fn.name] = names.index("reason")
    return found


FORWARDERS = _forwarders()


def _reason_values() -> list[ast.expr]:
    """Every expression Keel writes as an audit reason: `reason=...` anywhere, and what a forwarder gets."""
    found = []
    for tree in TREES:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            found += [k.value for k in call.keywords if k.arg == "reason"]
            at = FORWARDERS.get(_called(call))
            if at is not None and len(call.args) > at:
                found.append(call.args[at])
    return found


def _fixed(node: ast.expr) -> list[str] | None:
    """The reasons a fixed expression writes (a string, either branch of `a if x else b`, a sum of strings, an
    f-string of module constants); None when it is not fixed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _fixed(node.body), _fixed(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fixed(node.left), _fixed(node.right)
        return None if left is None or right is None else [a + b for a in left for b in right]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value.value, ast.Name) and value.value.id in ALL_CONSTANTS:
                parts.append(ALL_CONSTANTS[value.value.id])
            else:
                return None
        return ["".join(parts)]
    return None


FIXED_REASONS = sorted(
    {r for node in _reason_values() for r in (_fixed(node) or []) if r.strip(" ;")} - set(REASONS_WRITTEN)
)
PATTERNS = [
    node
    for node in _reason_values()
    if isinstance(node, ast.JoinedStr) and _fixed(node) is None and _enclosing(node) is not None
]


def _shape(node: ast.JoinedStr) -> str:
    return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)


FAMILY_SHAPES = {re.sub(r"\{\w+\}", "{}", f.pattern): f for f in REASON_FAMILIES}
CODE_SHAPES = {start + "{}" for start in REASON_CODES}


def test_the_source_writes_reasons_from_patterns_and_fixed_reasons_the_keyword_scan_misses():
    assert len(PATTERNS) >= 8  # 10 before the one patient getter wrote the refusals once
    assert len(FIXED_REASONS) >= 10


@pytest.mark.parametrize("shape", sorted({_shape(n) for n in PATTERNS}))
def test_every_reason_pattern_has_words(shape):
    """A new pattern needs a ReasonFamily in keel.web.audit_words (or a REASON_CODES beginning)."""
    assert shape in FAMILY_SHAPES or shape in CODE_SHAPES


@pytest.mark.parametrize("reason", FIXED_REASONS)
def test_every_fixed_reason_has_spanish_words(reason):
    with translation.override("es"):
        assert reason_words(reason) != reason


def _bound(call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr | None]:
    """The call's argument for each of fn's parameters (a default when it passes none; None: not known)."""
    args = [*fn.args.posonlyargs, *fn.args.args]
    bound: dict[str, ast.expr | None] = {}
    for arg, default in zip(args[len(args) - len(fn.args.defaults) :], fn.args.defaults, strict=True):
        bound[arg.arg] = default
    for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        bound[arg.arg] = default
    skip = 1 if isinstance(call.func, ast.Attribute) and args and args[0].arg in ("self", "cls") else 0
    for arg, value in zip(args[skip:], call.args, strict=False):
        bound[arg.arg] = value
    bound.update({k.arg: k.value for k in call.keywords if k.arg})
    return bound


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ENUMS:
        return str(ENUMS[node.value.id][node.attr].value)
    return None


def _empty(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("", None)


def _through(node: ast.expr | None, call: ast.Call, depth: int = 0) -> list[str | None]:
    """The values an argument can take: a literal, or a parameter of the function making the call, followed
    to that function's own callers (a helper that passes its `what` on: `_scoped_for(..., what)`)."""
    said = _literal(node)
    if said is not None:
        return [said]
    outer = _enclosing(call)
    if isinstance(node, ast.Name) and outer is not None and depth < 3:
        names = {a.arg for a in [*outer.args.posonlyargs, *outer.args.args, *outer.args.kwonlyargs]}
        if node.id in names:
            found: list[str | None] = []
            for tree in TREES:
                for inner in (
                    n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) == outer.name
                ):
                    found += _through(_bound(inner, outer).get(node.id), inner, depth + 1)
            return found or [None]
    return [None]


def _at_call(expr: ast.expr, bound: dict[str, ast.expr | None], call: ast.Call) -> list[str | None]:
    """The parts a call writes: a parameter's argument (followed through the caller's own parameters), or the
    first non-empty of `a or b`."""
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        for value in expr.values:
            if isinstance(value, ast.Name) and value.id in bound and _empty(bound[value.id]):
                continue
            return _at_call(value, bound, call)
        return [""]
    if isinstance(expr, ast.Name) and expr.id in bound:
        return _through(bound[expr.id], call)
    return [None]


def _guard(node: ast.AST, fn: ast.AST) -> str | None:
    """The parameter p of an `if not p:` or `if p is not True and ...:` (or `if not p and ...:`) around the
    reason (a call leaving p at True never writes it)."""
    while node in PARENTS and node is not fn:
        node = PARENTS[node]
        test = getattr(node, "test", None)
        if not isinstance(node, ast.If):
            continue
        tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        for first in tests[:1]:
            if isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not):
                return first.operand.id if isinstance(first.operand, ast.Name) else None
            if (
                isinstance(first, ast.Compare)
                and isinstance(first.ops[0], ast.IsNot)
                and isinstance(first.left, ast.Name)
                and isinstance(first.comparators[0], ast.Constant)
                and first.comparators[0].value is True
            ):
                return first.left.id
        return None
    return None


def _always_true(node: ast.expr | None, call: ast.Call, depth: int = 0) -> bool:
    """The argument is `True`, or a parameter of the calling function that every one of its callers passes
    as `True` (`_scoped_for(..., emergency_access=True)` passing it on)."""
    if isinstance(node, ast.Constant):
        return node.value is True
    outer = _enclosing(call)
    if not isinstance(node, ast.Name) or outer is None or depth >= 3:
        return False
    if node.id not in {a.arg for a in [*outer.args.posonlyargs, *outer.args.args, *outer.args.kwonlyargs]}:
        return False
    calls = [
        n for tree in TREES for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) == outer.name
    ]
    return bool(calls) and all(_always_true(_bound(c, outer).get(node.id), c, depth + 1) for c in calls)


def _part_values(node: ast.JoinedStr, expr: ast.expr) -> list[tuple[str | None, str]]:
    """Every value one part of a pattern can take, and where it comes from (None: the test cannot read it)."""
    fn = _enclosing(node)
    assert fn is not None
    annotations = {a.arg: a.annotation for a in [*fn.args.args, *fn.args.kwonlyargs]}
    if isinstance(expr, ast.Name):
        kind = ast.unparse(annotations[expr.id]) if annotations.get(expr.id) is not None else ""
        if kind in ENUMS:
            return [(str(member.value), f"any {kind}") for member in ENUMS[kind]]
        if expr.id in REGISTRIES:
            return [(code, f"any {expr.id}") for code in REGISTRIES[expr.id]]
    guard = _guard(node, fn)
    found = []
    for tree in TREES:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) == fn.name):
            bound = _bound(call, fn)
            left = bound.get(guard) if guard is not None else None
            if _always_true(left, call):
                continue  # `if not p:` with p True: this call never writes the reason
            where = f"{fn.name}(...) line {call.lineno}: {ast.unparse(call)[:120]}"
            found += [(value, where) for value in _at_call(expr, bound, call)]
    return found or [(None, f"no call of {fn.name} found")]


def _parts() -> list[tuple[str, str, str | None, str]]:
    """(pattern, part, value, where) for every part with a closed vocabulary of every pattern Keel writes."""
    found = []
    for node in PATTERNS:
        family = FAMILY_SHAPES.get(_shape(node))
        if family is None:
            continue  # a REASON_CODES beginning: its codes have their own tests above
        names = re.findall(r"\{(\w+)\}", family.pattern)
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        for name, expr in zip(names, values, strict=True):
            if family.parts[name] is not None:
                found += [(family.pattern, name, value, where) for value, where in _part_values(node, expr)]
    return sorted(set(found), key=lambda p: (p[0], p[1], p[2] or "", p[3]))


PARTS = _parts()


def test_the_patterns_have_many_parts():
    assert len(PARTS) > 40


@pytest.mark.parametrize(("pattern", "part", "value", "where"), PARTS)
def test_every_part_of_a_reason_pattern_has_words(pattern, part, value, where):
    """A part is read from the source (a string or an enum member passed by every caller); one the test cannot
    read fails, so that a new part always comes with its words."""
    assert value is not None, f"{pattern}: {part} from a value the test cannot read, at {where}"
    family = FAMILY_SHAPES[re.sub(r"\{\w+\}", "{}", pattern)]
    vocabulary = family.parts[part]
    assert vocabulary is not None
    assert value in vocabulary
    with translation.override("es"):
        example = re.sub(
            r"\{(\w+)\}", lambda m: value if m.group(1) == part else _any(family, m.group(1)), pattern
        )
        assert reason_words(example) != example


def _any(family, part: str) -> str:
    vocabulary = family.parts[part]
    return next(iter(vocabulary)) if vocabulary else "x"


def test_a_reason_from_a_pattern_reads_in_words_from_each_part():
    with translation.override("es"):
        # review 21: a refused read is an attempt ("intentó ver"), never "consultó" (viewed)
        assert reason_words("read clinical: outside scope or missing") == (
            "intentó ver (historia clínica): fuera de su alcance o no existe"
        )
        assert reason_words("role may not record doses") == "este rol no puede registrar dosis"
        assert reason_words("second factor reset: lost her phone") == (
            "inicio de sesión en dos pasos restablecido: lost her phone"
        )


def test_a_part_outside_its_vocabulary_is_shown_as_written():
    with translation.override("es"):
        assert reason_words("role may not juggle") == "role may not juggle"
