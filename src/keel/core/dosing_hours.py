"""The dosing window's hours (issue #18): is a moment inside the program's hours, in the program's own time
zone, and when does the window open next.

The window is open from `opens` (included) to `closes` (excluded), read on the wall clock of the program's
zone, so a daylight-saving change moves nothing: 06:30 is 06:30 on the day the clocks change. A program with
no hours set is always open. A closure day (an ISO date in the program's zone) is closed all day. Pure: the
moment is passed in, never read from a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy
from keel.core.words import gettext_noop

RULE = "dosing-window-hours"
VERSION = "1"
NEEDS_OVERRIDE = "needs_override"


def inside_hours(local: time, opens: time | None, closes: time | None) -> bool:
    """Whether a wall-clock time is inside the window: from opening (included) to closing (excluded). No
    hours set (either one missing): always open."""
    if opens is None or closes is None:
        return True
    return opens <= local.replace(tzinfo=None) < closes


def local_moment(at: datetime, zone: str) -> datetime:
    """The moment on the wall clock of the zone (an aware datetime; a naive one is refused)."""
    if at.tzinfo is None:
        raise ValueError("a moment with its time zone")
    return at.astimezone(ZoneInfo(zone))


def is_open(
    at: datetime, zone: str, opens: time | None, closes: time | None, closure_days: Iterable[date] = ()
) -> bool:
    """Whether the window is open at this moment in the program's zone (closure days closed all day)."""
    local = local_moment(at, zone)
    if local.date() in set(closure_days):
        return False
    return inside_hours(local.time(), opens, closes)


def next_opening(
    at: datetime, zone: str, opens: time | None, closes: time | None, closure_days: Iterable[date] = ()
) -> datetime | None:
    """When the window next opens after `at` (local, aware), or None when it is open now or has no hours and
    no closure ahead within a year. Skips closure days."""
    closed = set(closure_days)
    if is_open(at, zone, opens, closes, closed):
        return None
    local = local_moment(at, zone)
    tz = ZoneInfo(zone)
    day = local.date()
    for _ in range(370):
        if day not in closed:
            start = datetime.combine(day, opens or time(0), tzinfo=tz)
            if start > local:
                return start
        day += timedelta(days=1)
    return None


class HoursDetails(TypedDict):
    """A dose outside the hours: the program's local time of it (ISO)."""

    local_time: str


def hours_decision(
    at: datetime, zone: str, opens: time | None, closes: time | None, closure_days: Iterable[date] = ()
) -> Decision[NoPolicy, HoursDetails] | None:
    """None when a dose at `at` is inside the program's hours; else a "needs_override" decision whose reason
    names the hours (or the closure day)."""
    closed = set(closure_days)
    local = local_moment(at, zone)
    if is_open(at, zone, opens, closes, closed):
        return None
    if local.date() in closed:
        reason = Reason.said(
            gettext_noop(
                "The clinic is closed today (%(day)s). A dose today needs a prescriber's override for today "
                "with the reason."
            ),
            (),
            day=local.date().isoformat(),
        )
    else:
        assert opens is not None and closes is not None  # closed outside hours only when both are set
        reason = Reason.said(
            gettext_noop(
                "The dosing window is open from %(opens)s to %(closes)s; %(at)s is outside those hours. A "
                "dose now needs a prescriber's override for today with the reason."
            ),
            (),
            opens=opens.strftime("%H:%M"),
            closes=closes.strftime("%H:%M"),
            at=local.strftime("%H:%M"),
        )
    return Decision(
        rule=RULE,
        version=VERSION,
        decision=NEEDS_OVERRIDE,
        reasons=(reason,),
        details={"local_time": local.isoformat()},
    )
