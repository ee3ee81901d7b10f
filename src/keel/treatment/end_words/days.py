"""Days as a person reads them in an end's words (`day_words`: "Sun, Dec 6"; `days_words`: the service's
ISO list said as runs)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from keel.web.dates import shown_near_day


def day_words(day: date, today: date | None = None) -> str:
    """A day as a person reads it in a sentence: its weekday, month and day ("Sun, Dec 6"; "dom 6 dic"),
    with the year when it is not this year's (`keel.web.dates.shown_near_day`, the one definition)."""
    return shown_near_day(day, today)


def days_words(text: str, today: date | None = None) -> str:
    """ISO days as the service lists them ("2026-12-06, 2026-12-07") said as a person reads them: each run
    of days in a row as its first and last ("Sun, Dec 6 to Tue, Dec 8"), two in a row joined by "and".
    Text that is not a list of days is kept as it is."""
    try:
        days = sorted({date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()})
    except ValueError:
        return text
    if not days:
        return text
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return "; ".join(_run_words(run, today) for run in runs)


def _run_words(run: list[date], today: date | None) -> str:
    """Lane fix31a (review 31a hole 5): one run of days in a row as a sentence names it after its own
    preposition ("The bottles for %(days)s"; "Los frascos del %(days)s"): one day, two joined by "and", or
    the first and the last with no article of its own ("Sun, Dec 6 to Wed, Dec 9"; "dom 6 dic al mié 9
    dic"), so the Spanish sentence's "del" is said once (the shared "%(first)s to %(last)s", "del ... al
    ...", stands alone in a list of bottles and is not used here)."""
    first, last = day_words(run[0], today), day_words(run[-1], today)
    if len(run) == 1:
        return first
    if len(run) == 2:
        return _("%(first)s and %(last)s") % {"first": first, "last": last}
    return pgettext("a run of days after the sentence's preposition", "%(first)s to %(last)s") % {
        "first": first,
        "last": last,
    }
