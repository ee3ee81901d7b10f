"""FHIR R4 date search (search.html#date, "date"): the one definition every searchable date uses (Observation
`date`, Patient `birthdate`).

A search value is a range at its own precision: a year, a month, a day, a minute, a second or a fraction of
a second (`2026-12-05T10:00-05:00` is the minute 10:00-10:01; an hour alone, `T10`, is no FHIR dateTime: a
400 naming the parameter). A resource's date is a range the same way (a day measured: that whole day; an
instant: its second). A value without a time zone is read in the program's time zone (FHIR: "the server's
local time zone"; a program is Keel's server clock for its people, as everywhere a day is shown); a day
without a time has no time zone and is that day on the same clock. A range's width is elapsed time, on the
value's own clock (a minute on a fall-back day is 60 seconds: `_elapsed`, lane fix37a), and ranges compare
on the time line. A time without a zone in the hour a fall-back day repeats (`2026-11-01T01:30:20`, New
York: 01:30:20 EDT, then EST an hour later) names both occurrences, as the clock on the wall did (decided in
lane fix37i, re37f 3): its range runs from the first occurrence's start to the second's end (R4: a value's
implicit range), so eq finds a reading at either, sa counts only what follows the second and eb only what
precedes the first; the range holds the hour between too (a minute 01:59 holds 01:30 EST). A sender who
means one occurrence gives the zone (`-04:00` or `-05:00`). Prefixes (`RULES`), `s` the search range
and `t` the target's, each [start, end):

- eq: `s` contains `t`; ne: it does not.
- gt: the range above `s` overlaps `t` (t.end > s.end); lt: the range below it does (t.start < s.start).
- ge: `t` reaches `s` or beyond (t.end > s.start): gt, or `t` contained in `s` as the spec says, or `t`
  overlapping `s`'s start (a day holding the instant a poll names: the reading of that day is at or after
  the poll for some of its range, and a poll that skipped it would never see it; review 36g hole 1).
  le likewise (t.start < s.end).
- sa: `t` starts at or after the end of `s`; eb: `t` ends at or before the start of `s`.
- ap: refused (400 not-supported): "approximately" has no rule Keel could state (the spec leaves it to the
  server).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from django.db.models import Q

from keel.core.digits import ascii_digits
from keel.interop.rest.outcomes import FhirError

Range = tuple[datetime, datetime]

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_VALUE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?"
)
_SEARCH = re.compile(r"(?P<prefix>[a-z]{2})?(?P<value>.*)", re.DOTALL)
_OPS: dict[str, Callable[[datetime, datetime], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Each prefix as a conjunction of (side of the target, comparison, side of the search value); ne is not eq.
RULES: dict[str, tuple[tuple[int, str, int], ...]] = {
    "eq": ((0, ">=", 0), (1, "<=", 1)),
    "gt": ((1, ">", 1),),
    "lt": ((0, "<", 0),),
    "ge": ((1, ">", 0),),
    "le": ((0, "<", 1),),
    "sa": ((0, ">=", 1),),
    "eb": ((1, "<=", 0),),
}


def _bad(name: str) -> FhirError:
    return FhirError(
        400,
        "invalid",
        f"{name} must be a date like 2026-11-20, 2026-11-20T10:00 or 2026-11-20T10:00:00-05:00, with an "
        "optional prefix (eq, ne, gt, lt, ge, le, sa, eb)",
        name,
    )


def value_range(value: str, zone: tzinfo, name: str) -> Range:
    """A FHIR date or dateTime as the range [start, end) of its precision; a time without a zone in `zone`.
    Malformed, unreal, or past the calendar's edge (review 20c): a 400 naming `name`, never a 500."""
    m = _VALUE.fullmatch(value)
    # `\d` matches "٢٠٢٦" too: a date's digits are 0-9 only (`ascii_digits`, review 21f)
    if m is None or not all(ascii_digits(run) for run in re.findall(r"\d+", value)):
        raise _bad(name)
    try:
        return _range_of(m, zone)
    except (ValueError, OverflowError):
        raise FhirError(400, "invalid", f"{name} is not a real date", name) from None


def _range_of(m: re.Match[str], zone: tzinfo) -> Range:
    g = m.groupdict()
    year, month, day = int(g["y"]), int(g["m"] or 1), int(g["d"] or 1)
    if g["H"] is None:
        first = date(year, month, day)
        if g["d"] is not None:
            after = first + timedelta(days=1)
        elif g["m"] is not None:
            after = date(year + (month == 12), month % 12 + 1, 1)
        else:
            after = date(year + 1, 1, 1)
        start, end = datetime.combine(first, time(0), zone), datetime.combine(after, time(0), zone)
    else:
        digits = (g["f"] or "")[:6]
        micro = int(digits.ljust(6, "0")) if digits else 0
        step = timedelta(microseconds=10 ** (6 - len(digits))) if digits else timedelta(seconds=1)
        step = step if g["S"] is not None else timedelta(minutes=1)
        clock = time(int(g["H"]), int(g["M"]), int(g["S"] or 0), micro)
        start = datetime.combine(date(year, month, day), clock, _zone(g["z"], zone))
        end = _elapsed(_last_occurrence(start) if g["z"] is None else start, step)
    start.astimezone(UTC), end.astimezone(UTC)  # an instant at the calendar's edge overflows: the 400
    return start, end


def _elapsed(start: datetime, step: timedelta) -> datetime:
    """`step` after `start` on the time line, on `start`'s own clock (lane fix37a, re-attack 36m-4). Aware
    arithmetic is on the wall clock: the minute 01:59 EDT on a fall-back day plus one minute would end at
    02:00 EST, 61 minutes later; the sum in UTC ends at 01:00 EST (fold 1). The end goes back to `start`'s
    clock because `day_field_q` reads the day of each end on it: an end left in UTC (an earlier try) made
    `le1990-05-16T23:59:59.5-05:00` end at 04:59:59.6Z, a 05-17 past midnight, so the database counted the
    birth date 05-17 as starting before it where `matches` (that day on -05:00) did not."""
    return (start.astimezone(UTC) + step).astimezone(start.tzinfo)


def _last_occurrence(start: datetime) -> datetime:
    """The second occurrence of a wall-clock time in the hour a fall-back day repeats (fold 1, an hour after
    the first on the time line), else `start` itself (a spring-forward gap's fold 1 is earlier: no second)."""
    second = start.replace(fold=1)
    return second if second.astimezone(UTC) > start.astimezone(UTC) else start


def _zone(given: str | None, default: tzinfo) -> tzinfo:
    if given is None:
        return default
    if given == "Z":
        return UTC
    sign = -1 if given[0] == "-" else 1
    hours, minutes = int(given[1:3]), int(given[4:6])
    if minutes > 59:
        raise ValueError("no such offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def search_value(raw: str, zone: tzinfo, name: str) -> tuple[str, Range]:
    """A date search value's prefix (eq when none) and range. `ap` and any other prefix: a 400."""
    m = _SEARCH.fullmatch(raw.strip())
    prefix, value = (m.group("prefix") or "eq", m.group("value")) if m else ("eq", raw)
    if prefix == "ap":
        raise FhirError(
            400, "not-supported", f"the ap prefix is not supported; use {', '.join(PREFIXES)}", name
        )
    if prefix not in PREFIXES:
        raise _bad(name)
    return prefix, value_range(value, zone, name)


def matches(prefix: str, search: Range, target: Range) -> bool:
    """Whether a target's range matches a search value's range under `prefix` (`RULES`), compared on the time
    line: two times on one zone's clock compare by their wall clocks (Python ignores `fold`), so 01:30 EDT
    would pass for later than 01:00 EST an hour after it on a fall-back day; in UTC each is its instant."""
    if prefix == "ne":
        return not matches("eq", search, target)
    return all(_OPS[op](target[t].astimezone(UTC), search[s].astimezone(UTC)) for t, op, s in RULES[prefix])


def day_field_q(field: str, prefix: str, search: Range) -> Q:
    """`matches` as a database filter on a date field (a birth date: a day, its range the whole day on the
    search value's clock). Each comparison of the day's start or end with an instant `x` is a comparison of
    the date with `x`'s day: the day starts before `x` when it is before `x`'s day, or is `x`'s day and `x`
    is past midnight; it ends after `x` when it is `x`'s day or later. A row with no date matches nothing."""
    if prefix == "ne":
        return Q(**{f"{field}__isnull": False}) & ~day_field_q(field, "eq", search)
    q = Q(**{f"{field}__isnull": False})
    for t, op, s in RULES[prefix]:
        x = search[s]
        past_midnight = x.timetz().replace(tzinfo=None) != time(0)
        starts = x.date() + timedelta(days=int(past_midnight))  # the first day starting at or after x
        bound: dict[str, date] = {
            (0, ">="): {f"{field}__gte": starts},
            (0, "<"): {f"{field}__lt": starts},
            (1, ">"): {f"{field}__gte": x.date()},
            (1, "<="): {f"{field}__lt": x.date()},
        }[(t, op)]
        q &= Q(**bound)
    return q
