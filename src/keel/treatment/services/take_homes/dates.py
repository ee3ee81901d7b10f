"""The dates a take-home request or a plan's end names, read: one date (`_a_date`) or a list of them
(`_dates`), ISO text or a date, each bad one a field error in the caller's list."""

from __future__ import annotations

from datetime import date

from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_


def _a_date(raw: object, name: str, errors: list[FieldError]) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.append(FieldError(name, N_("a date like 2026-11-28")))
        return None


def _dates(raw: object, name: str, errors: list[FieldError]) -> list[date] | None:
    if raw in (None, "", []):
        return None
    items = raw.split() if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        errors.append(FieldError(name, N_("a list of dates like 2026-11-28")))
        return None
    days = []
    for item in items:
        day = _a_date(item, name, errors)
        if day is not None:
            days.append(day)
    return sorted(days)
