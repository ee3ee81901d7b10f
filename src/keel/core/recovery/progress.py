"""Progress arithmetic: days since last use, days in recovery, milestones, the week's adherence.

Keel's definitions (issue #7: "a return to use does not erase the days before it"):
- the recovery start is the first check-in day (or a start date the person gives);
- a *use day* is a day whose check-in reports use; days without a check-in count as days without use
  (Keel cannot know; the page says "days you did not report use");
- days since last use = today - last use day (0 when use was reported today); with no reported use,
  the days from the start to today, counting both;
- days in recovery = days from the start to today, counting both, minus the use days — it never resets;
- milestones (1, 7, 30, 60, 90, 180, 365 days) are counted on days since last use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MILESTONES = (1, 7, 30, 60, 90, 180, 365)
SOURCES = ("keel-issue-7",)


@dataclass(frozen=True)
class Day:
    date: date
    used: bool = False
    medication: str = "not_on_medication"  # taken | missed | not_on_medication
    meeting: bool = False
    counseling: bool = False


@dataclass(frozen=True)
class Week:
    start: date
    checkins: int
    medication_taken: int
    medication_missed: int
    meetings: int
    counseling: int

    @property
    def adherence(self) -> float | None:
        """Share of days with medication taken, of the days that said taken or missed (None if neither)."""
        known = self.medication_taken + self.medication_missed
        return None if known == 0 else self.medication_taken / known


@dataclass(frozen=True)
class Progress:
    today: date
    start: date | None
    last_use: date | None
    days_since_last_use: int
    days_in_recovery: int
    use_days: int
    milestones_reached: tuple[int, ...]
    next_milestone: int | None
    week: Week


def progress(
    today: date, days: Iterable[Day], *, start: date | None = None, meeting_days: Iterable[date] = ()
) -> Progress:
    """Progress up to `today` from check-in days (any order; days after today are ignored) and extra days
    with a logged meeting."""
    series = {d.date: d for d in days if d.date <= today}
    if start is None and series:
        start = min(series)
    use = sorted(d for d, rec in series.items() if rec.used and (start is None or d >= start))
    last_use = use[-1] if use else None
    if start is None:
        since = in_recovery = 0
    else:
        span = (today - start).days + 1 if today >= start else 0
        since = (today - last_use).days if last_use else span
        in_recovery = span - len(use)
    reached = tuple(m for m in MILESTONES if since >= m)
    upcoming = [m for m in MILESTONES if since < m]

    week_start = today - timedelta(days=6)
    week_days = [rec for d, rec in series.items() if d >= week_start]
    meeting_dates = {d.date for d in week_days if d.meeting} | {
        d for d in meeting_days if week_start <= d <= today
    }
    week = Week(
        start=week_start,
        checkins=len(week_days),
        medication_taken=sum(1 for d in week_days if d.medication == "taken"),
        medication_missed=sum(1 for d in week_days if d.medication == "missed"),
        meetings=len(meeting_dates),
        counseling=sum(1 for d in week_days if d.counseling),
    )
    return Progress(
        today=today,
        start=start,
        last_use=last_use,
        days_since_last_use=since,
        days_in_recovery=in_recovery,
        use_days=len(use),
        milestones_reached=reached,
        next_milestone=upcoming[0] if upcoming else None,
        week=week,
    )
