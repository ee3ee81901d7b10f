"""How Keel says a day to a person: the one definition (lanes look31, words32).

Django's localized `DATE_FORMAT`, in the active language: "Dec. 6, 2026"; "6 de diciembre de 2026". The
templates say it through `{{ day|shown_date }}` / `{{ instant|shown_datetime }}`
(`web/templatetags/keel_dates.py`, which calls these); Python that writes a day into words a person reads
when the page is drawn calls them too. What a machine reads stays ISO (an API body, FHIR, a CSV cell, an
input's value), and so does text written once and stored (a flag's reason, a plan's end words, audit rows)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat, formats


def shown_date(value: date | datetime | None) -> str:
    """The day in the reader's words ("Dec. 6, 2026"); empty for no day. An instant is said as given (the
    template filter first moves it to the active time zone, as Django's `date` filter does)."""
    if not isinstance(value, date):
        return ""
    return formats.date_format(value, "DATE_FORMAT")


def shown_datetime(value: datetime | date | None, zone: str = "") -> str:
    """The day in the reader's words and the time ("Dec. 6, 2026, 14:05"), with the zone's abbreviation
    when asked ("T"); a bare day shows as `shown_date`."""
    if not isinstance(value, datetime):
        return shown_date(value)
    clock = dateformat.format(value, "H:i T" if zone == "T" else "H:i")
    return f"{formats.date_format(value, 'DATE_FORMAT')}, {clock}"
