"""A program policy value in the reader's language: the policy page and `keel policy show` say each value in
the same words (the core's English, marked `N_` where it is written: the rule's and the value's labels, the
provenance, the bounds sentence, a choice's values). Call it inside the language wanted."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from keel.core.rules import policy as core_policy
from keel.treatment.queries.policy import PolicyValue


def said(v: PolicyValue) -> dict[str, Any]:
    """One value's fields, its words in the active language; a choice's values in words (a form still sends
    the value itself: `choice_words` pairs them)."""
    words = {c: _(core_policy.CHOICE_LABELS.get(c, c)) for c in v.choices}
    return {
        **vars(v),
        "help": _(v.help) if v.help else "",  # gettext("") is the catalogue's header
        "bounds": _(v.bounds) if v.bounds else "",
        "label": _(v.label),
        "rule_label": _(v.rule_label),
        "choice_words": list(words.items()),
        "shown_value": words.get(v.value, v.value) if isinstance(v.value, str) else v.value,
        "shown_default": words.get(v.default, v.default) if isinstance(v.default, str) else v.default,
    }
