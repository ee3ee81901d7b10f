"""How Keel shows a day to a reader in a template (lane look31); the one definition is `keel.web.dates`.

Staff pages showed days as ISO ("2026-12-06") while a patient's pages said them in words through Django's
localized `DATE_FORMAT` ("Dec. 6, 2026"; "6 de diciembre de 2026"). Both now say them the patients' way, in
the reader's language. What a machine reads stays ISO: an `<input type="date">` value, a `<time datetime>`
attribute, a CSV cell, an API body.

`{{ day|shown_date }}` the day; `{{ instant|shown_datetime }}` the day and the time (24-hour, as Keel shows
times); `{{ instant|shown_datetime:"T" }}` with the zone's abbreviation too. An aware instant is shown in the
active time zone (a template's `{% timezone %}` block: the program's), as Django's own `date` filter does."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from keel.web import dates

register = template.Library()


@register.filter(expects_localtime=True)
def shown_date(value: date | datetime | None) -> str:
    """The day in the reader's words ("Dec. 6, 2026"); empty for no day (`keel.web.dates.shown_date`)."""
    return dates.shown_date(value)


@register.filter(expects_localtime=True)
def shown_datetime(value: datetime | date | None, zone: str = "") -> str:
    """The day in the reader's words and the time ("Dec. 6, 2026, 14:05"), with the zone's abbreviation
    when asked ("T") (`keel.web.dates.shown_datetime`)."""
    return dates.shown_datetime(value, zone)


@register.filter
def shown_days(value: object, near: date | None = None) -> str:
    """A stored sentence with every ISO day inside it said as the reader's day (lane words33;
    `keel.web.dates.shown_days_in`); `{{ text|shown_days:today }}` in the take-home plan's style (words34)."""
    return dates.shown_days_in(str(value), near if isinstance(near, date) else None) if value else ""


@register.filter
def shown_month(value: object) -> str:
    """A month in the reader's words ("November 2026") from a day or an ISO month ("2026-11"); lane words35,
    `keel.web.dates.shown_month`."""
    return dates.shown_month(value) if isinstance(value, date | str) else ""
