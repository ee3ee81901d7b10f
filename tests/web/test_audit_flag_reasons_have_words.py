"""Every fixed reason a flag writes into the audit trail (`raise_flag(..., audit_reason=...)`) has its words
on the audit page: session 20's look found "emergency access: the care team is told" in English on the
Spanish page (tests/web/test_audit_words_complete.py reads `reason=`, not `audit_reason=`)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

from keel.web.audit_words import reason_words

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"


def _flag_reasons() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "audit_reason":
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.add(value.value)
    return found


def test_the_flag_reasons_are_found() -> None:
    assert "emergency access: the care team is told" in _flag_reasons()


def test_every_flag_reason_reads_in_spanish() -> None:
    with translation.override("es"):
        untranslated = sorted(r for r in _flag_reasons() if reason_words(r) == r)
    assert untranslated == []
