"""What the care-team API sends: `TimelineOut` for one patient's timeline (dates as ISO text, as always)."""

from __future__ import annotations

from ninja import Schema


class TimelineEventOut(Schema):
    day: str  # ISO date
    at: str | None  # ISO datetime; None for day-level events (a check-in, a run of doses)
    area: str
    kind: str
    title: str
    detail: str


class TimelineOut(Schema):
    patient: int
    since: str  # ISO date
    until: str  # ISO date
    days: int
    events: list[TimelineEventOut]
