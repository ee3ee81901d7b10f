"""How Keel says a day to a person: the one definition (lanes look31, words32).

Django's localized `DATE_FORMAT`, in the active language: "Dec. 6, 2026"; "6 de diciembre de 2026". The
templates say it through `{{ day|shown_date }}` / `{{ instant|shown_datetime }}`
(`web/templatetags/keel_dates.py`, which calls these); Python that writes a day into words a person reads
when the page is drawn calls them too. What a machine reads stays ISO (an API body, FHIR, a CSV cell, an
input's value), and so does text written once and stored (a flag's reason, a plan's end words, audit rows).

Lane words33: a stored sentence is shown through `shown_days_in` (`{{ text|shown_days }}`), which says every
ISO day inside it as the reader's shown day; words built when shown from a template and its parts say their
day parts with `shown_date` (`iso_day` tells a part that is a day).

Lane words34: one style per kind of place. A record's line or column (a dose, an order, a fill, a QTc, an
override, a flag, the timeline's day) says `shown_date` ("Dec. 6, 2026"). The take-home plan and its
decision (its bottles, its end, its reasons, the concerns weighed before it), days near today a nurse
hands out and counts by weekday, say `shown_near_day` ("Sun, Dec 6"; "dom 6 dic"; the year when not
today's); a stored sentence there says its days so too (`shown_days_in(text, near=today)`).

Lane words35: a month (the measures page, its table and its charts) says `shown_month` ("November 2026";
"noviembre de 2026"), a chart's axis `shown_month_short` ("Nov"); an instant on a record of many programs
(the audit trail) says `shown_datetime(..., "T")` on its program's clock, the zone named."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.utils import dateformat, formats
from django.utils.translation import pgettext


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


def shown_near_day(day: date, today: date | None = None) -> str:
    """A day near today, in the take-home plan's words: its weekday, month and day ("Sun, Dec 6"; "dom 6
    dic"), with the year when it is not `today`'s (lane words34: moved here from `end_words.day_words`)."""
    if today is not None and day.year != today.year:
        return formats.date_format(day, pgettext("a day in a sentence, with its year", "D, M j, Y"))
    return formats.date_format(day, pgettext("a day in a sentence", "D, M j"))


# An ISO month ("2026-11"): what the measures keep per month, and their CSV and API send
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _month(value: date | str) -> date | None:
    """The first day of the month `value` is (a day, or an ISO month), else None."""
    if isinstance(value, date):
        return value.replace(day=1)
    found = _ISO_MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return date(int(found[1]), int(found[2]), 1)


def shown_month(value: date | str) -> str:
    """A month in the reader's words ("November 2026"; "noviembre de 2026": Django's localized
    `YEAR_MONTH_FORMAT`), from a day or an ISO month ("2026-11"); text that is no month is kept as written
    (lane words35: the measures page said "2026-11")."""
    month = _month(value)
    return formats.date_format(month, "YEAR_MONTH_FORMAT") if month else str(value)


def shown_month_short(value: date | str, first: bool = False) -> str:
    """A month under a chart's bar, short ("Nov"; "nov"), with its year on the `first` bar and on a January
    ("Nov 2026", "Jan 2027"); text that is no month is kept as written."""
    month = _month(value)
    if month is None:
        return str(value)
    if first or month.month == 1:
        return formats.date_format(month, pgettext("a month on a chart's axis, with its year", "M Y"))
    return formats.date_format(month, pgettext("a month on a chart's axis", "M"))


# An ISO day standing alone: not part of a longer number, an ISO instant ("2026-12-06T14:05") nor a range
# of digits with more dashes
_ISO_DAY = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|:\d)")


def iso_day(text: str) -> date | None:
    """The day `text` is when it is exactly an ISO day ("2026-12-06"), else None."""
    found = _ISO_DAY.fullmatch(text.strip()) if isinstance(text, str) else None
    return _day(found) if found else None


def _day(found: re.Match[str]) -> date | None:
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:  # "2026-02-30" is no day: kept as written
        return None


def shown_days_in(text: str, near: date | None = None) -> str:
    """A stored sentence (a reason, an end, a note written once, in English or as typed) with every ISO day
    inside it said as the reader's shown day ("the bottles from 2026-12-06" -> "the bottles from Dec. 6,
    2026"; "6 de diciembre de 2026" in Spanish); with `near` (today, in the take-home plan's place) as
    `shown_near_day` says it ("Sun, Dec 6"). Anything else in it is kept as written."""
    if not text or not isinstance(text, str):
        return text or ""

    def said(found: re.Match[str]) -> str:
        day = _day(found)
        if day is None:
            return found[0]
        return shown_date(day) if near is None else shown_near_day(day, near)

    return _ISO_DAY.sub(said, text)
