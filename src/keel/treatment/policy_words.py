"""A program policy value in the reader's language: the policy page and `keel policy show` say each value in
the same words (the core's English, marked `N_` where it is written: the rule's and the value's labels, the
provenance, the bounds sentence, a choice's values). Call it inside the language wanted."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.utils.translation import gettext as _

from keel.core.rules import policy as core_policy
from keel.core.rules.policy import Setting
from keel.treatment.queries.policy import PolicyValue


class PolicyWords(TypedDict):
    """`PolicyValue`'s fields (its words in the active language), with a choice's values in words and the
    value in force and the default as a reader sees them."""

    rule: str
    field: str
    value: Setting
    default: Setting
    help: str
    tighter: str | None
    set_by: str | None
    set_by_name: str
    set_at: datetime | None
    reason: str
    floor: float | None
    ceiling: float | None
    bounds: str
    stored: Setting
    choices: tuple[str, ...]
    label: str
    rule_label: str
    choice_words: list[tuple[str, str]]
    shown_value: Setting
    shown_default: Setting


def said(v: PolicyValue) -> PolicyWords:
    """One value's fields, its words in the active language; a choice's values in words (a form still sends
    the value itself: `choice_words` pairs them)."""
    words = {c: _(core_policy.CHOICE_LABELS.get(c, c)) for c in v.choices}
    return {
        "rule": v.rule,
        "field": v.field,
        "value": v.value,
        "default": v.default,
        "help": _(v.help) if v.help else "",  # gettext("") is the catalogue's header
        "tighter": v.tighter,
        "set_by": v.set_by,
        "set_by_name": v.set_by_name,
        "set_at": v.set_at,
        "reason": v.reason,
        "floor": v.floor,
        "ceiling": v.ceiling,
        "bounds": _(v.bounds) if v.bounds else "",
        "stored": v.stored,
        "choices": v.choices,
        "label": _(v.label),
        "rule_label": _(v.rule_label),
        "choice_words": list(words.items()),
        "shown_value": words.get(v.value, v.value) if isinstance(v.value, str) else v.value,
        "shown_default": words.get(v.default, v.default) if isinstance(v.default, str) else v.default,
    }
