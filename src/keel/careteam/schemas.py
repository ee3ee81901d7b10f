"""What the care-team API sends: `CaseloadRowOut` for each of the caller's patients, `TimelineOut` for one
patient's timeline (dates as ISO text, as always)."""

from __future__ import annotations

from pydantic import BaseModel

from keel.careteam.queries import CaseloadRow


class CaseloadReasonOut(BaseModel):
    text: str  # in English, as stored decisions carry it
    sources: list[str]


class CaseloadRowOut(BaseModel):
    id: int
    display_name: str
    record_number: str | None  # None: the role does not see record numbers
    in_care: bool | None  # None: the role does not see episodes
    tier: str
    reasons: list[CaseloadReasonOut]
    missed_dose_days: int | None
    days_since_checkin: int | None
    words: list[str]  # the reasons in the reader's language

    @classmethod
    def of(cls, row: CaseloadRow) -> CaseloadRowOut:
        return cls(
            id=row.id,
            display_name=row.display_name,
            record_number=row.record_number,
            in_care=row.in_care,
            tier=row.tier,
            reasons=[CaseloadReasonOut(text=r["text"], sources=r["sources"]) for r in row.reasons],
            missed_dose_days=row.missed_dose_days,
            days_since_checkin=row.days_since_checkin,
            words=list(row.words),
        )


class TimelineEventOut(BaseModel):
    day: str  # ISO date
    at: str | None  # ISO datetime; None for day-level events (a check-in, a run of doses)
    area: str
    kind: str
    title: str
    detail: str


class TimelineOut(BaseModel):
    patient: int
    since: str  # ISO date
    until: str  # ISO date
    days: int
    events: list[TimelineEventOut]
