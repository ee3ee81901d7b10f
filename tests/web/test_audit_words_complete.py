"""Every kind of record Keel audits, and every reason Keel writes, has its words on the audit page (issue #15:
no internal codes on any page; issue #17's walk of the guide found 50 kinds shown as their code, and the
reasons were all English codes such as "mfa code", on the Spanish page too).

The kinds are read from the source: every `target_type` passed by keyword, by position to a function whose
parameter it is, or as that parameter's default, as a string or a module constant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from keel.patients.models import FlagKind
from keel.web.audit_words import REASONS, RECORDS, reason_words

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
