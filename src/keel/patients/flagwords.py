"""A flag's reasons in the reader's language (issue #15): each reason as the rule said it (`PatientFlag.said`:
a template marked for the catalogue where it was written, and its parameters) translated here; numbers stay
numbers, words and lists of words are translated one by one. A reason stored without a template (older rows,
free text such as an emergency's reason) is read back through the catalogue's template its English was written
from (lane words35), else shown as it was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from keel.accounts.names import NO_NAME_ON_FILE
from keel.web.dates import iso_day, shown_date
from keel.web.stored_words import stored_reason_text

if TYPE_CHECKING:
    from keel.patients.models import PatientFlag


# Parameters kept as written, never looked up in the catalogue (a person's name: "May" is no month; a
# resolver's name and the note she typed, kept when a flag is reopened: `patients.flags.RESOLVED_EARLIER`).
AS_WRITTEN = frozenset({"name", "resolver", "note"})


def _as_written(value: object) -> str:
    """A name as written; no name (`accounts.names.NO_NAME_ON_FILE`) in the reader's words."""
    return _(NO_NAME_ON_FILE) if value == NO_NAME_ON_FILE else str(value)


def _value(value: object) -> str:  # a stored parameter: JSON, free-form
    if isinstance(value, list):
        return ", ".join(_(str(v)) for v in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    day = iso_day(value) if isinstance(value, str) else None
    if day is not None:  # an ISO day: the reader's shown day (lane words33)
        return shown_date(day)
    return _(str(value)) if value else ""


def said_text(entry: object, fallback: str) -> str:  # a stored `said` entry: JSON, checked here
    """One reason: its template translated and filled, or `fallback` (the English text, read back through the
    catalogue: `web.stored_words.stored_reason_text`) when there is none; the English when a translation's
    placeholder is broken (never a 500)."""
    if not isinstance(entry, dict) or not entry.get("template"):
        # a fixed sentence marked in the core (N_) is catalogued; an English one kept before its template was
        # (a PHQ-9's total until lane words35) is read back through the template it was written from
        return stored_reason_text({"text": fallback}) if fallback else fallback
    params = entry.get("params") or {}
    try:
        return _(entry["template"]) % {
            k: _as_written(v) if k in AS_WRITTEN else _value(v) for k, v in dict(params).items()
        }
    except (KeyError, TypeError, ValueError):
        return fallback


def flag_reasons(flag: PatientFlag) -> list[str]:
    """The flag's reasons, in the active language."""
    said = list(getattr(flag, "said", None) or [])
    return [
        said_text(said[i] if i < len(said) else None, str(text)) for i, text in enumerate(flag.reasons or [])
    ]
