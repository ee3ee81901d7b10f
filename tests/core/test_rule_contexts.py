"""Issue #17: each rule names its checked input and its policy values as TypedDicts, which mypy holds the
rule's code to. These tests hold the TypedDicts to the rule's fields, which `Rule.run` parses: every field
a key, every key a field, each value's type the one its kind parses to (None too when it may be absent)."""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any

import pytest

from keel.core import rules
from keel.core.rules import early_warning, methadone, naltrexone, overdose, qtc
from keel.core.rules.base import NoPolicy
from keel.core.rules.buprenorphine import dose_limit, home_start, low_dose, readiness
from keel.core.rules.inputs import Field

KIND_TYPE: dict[str, Any] = {
    "number": float,
    "integer": int,
    "bool": bool,
    "choice": str,
    "text": str,
    "date": date,
    "choices": list[str],
}

CONTEXTS: dict[str, tuple[Any, Any, tuple[str, ...]]] = {
    # rule: (input TypedDict, policy TypedDict, input keys that are not flat fields)
    "methadone-dose-check": (methadone.DoseInput, methadone.DosePolicy, ()),
    "take-home-eligibility": (methadone.TakeHomeInput, methadone.TakeHomePolicy, ()),
    "buprenorphine-dose-limit": (dose_limit.DoseInput, dose_limit.DosePolicy, ()),
    "buprenorphine-readiness": (readiness.ReadinessInput, readiness.ReadinessPolicy, ("opioids",)),
    "buprenorphine-home-start": (home_start.HomeInput, home_start.HomePolicy, ("opioids",)),
    "naltrexone-readiness": (naltrexone.ReadinessInput, naltrexone.ReadinessPolicy, ("opioids",)),
    "qtc-monitoring": (qtc.QtcInput, NoPolicy, ()),
    "overdose-risk": (overdose.OverdoseInput, NoPolicy, ()),
    "early-warning": (early_warning.Input, early_warning.Policy, ("today", "checkins", "screens")),
}


def _expected(f: Field) -> Any:
    kind = KIND_TYPE[f.kind]
    return kind if f.default is not None or f.required else kind | None


def _same(hint: Any, expected: Any) -> bool:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return isinstance(expected, types.UnionType) and set(typing.get_args(hint)) == set(
            typing.get_args(expected)
        )
    return bool(hint == expected)


def test_every_rule_has_its_contexts() -> None:
    assert set(CONTEXTS) == set(rules.RULES)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_input_typeddict_is_the_rules_input_fields(name: str) -> None:
    rule = rules.get(name)
    typed, _policy, nested = CONTEXTS[name]
    hints = typing.get_type_hints(typed)
    assert set(hints) == {f.name for f in rule.inputs} | set(nested)
    assert typed.__required_keys__ == frozenset(hints)
    wrong = {f.name: hints[f.name] for f in rule.inputs if not _same(hints[f.name], _expected(f))}
    assert wrong == {}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_policy_typeddict_is_the_rules_policy_fields(name: str) -> None:
    rule = rules.get(name)
    _input, typed, _nested = CONTEXTS[name]
    hints = typing.get_type_hints(typed)
    assert set(hints) == {f.name for f in rule.policy}
    assert typed.__required_keys__ == frozenset(hints)
    wrong = {f.name: hints[f.name] for f in rule.policy if not _same(hints[f.name], _expected(f))}
    assert wrong == {}


def test_early_warning_entries_are_its_checkin_and_screen_fields() -> None:
    for typed, fields in (
        (early_warning.Checkin, early_warning.CHECKIN),
        (early_warning.Screen, early_warning.SCREEN),
    ):
        hints = typing.get_type_hints(typed)
        assert set(hints) == {f.name for f in fields}
        assert {f.name for f in fields if not _same(hints[f.name], _expected(f))} == set()


def test_the_start_gate_gives_fields_of_the_buprenorphine_dose_limit() -> None:
    """The start gate the treatment app reads (`StartGate`, today's low-dose step `LowDoseStep`) is a part
    of buprenorphine-dose-limit's input: every key a field, of the type the rule parses it to."""
    fields = {f.name: f for f in rules.get("buprenorphine-dose-limit").inputs}
    for typed in (dose_limit.StartGate, low_dose.LowDoseStep):
        hints = typing.get_type_hints(typed)
        assert set(hints) <= set(fields)
        assert {k for k, hint in hints.items() if hint != KIND_TYPE[fields[k].kind]} == set()
