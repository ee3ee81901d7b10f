"""The treatment API's treatment start: each opioid's last use (told, reported and corrected), the intake, the
withdrawal scores, the clinic's and the home start's readiness; and their bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field, with_config
from typing_extensions import TypedDict

from keel.accounts.names import staff_name
from keel.api_body import CoreIn
from keel.core import intake as core_intake
from keel.core.reasons import REASON_FIELD_HELP
from keel.schemas import NESTED_FORBID, In, Out
from keel.treatment.models import (
    LastUseCorrection,
    LastUseReport,
)
from keel.treatment.readiness import LastUses
from keel.treatment.schemas.care import CareGoalLineOut, NaloxoneKitOut
from keel.treatment.schemas.decisions import DecisionOut


class LastUseCorrectionOut(Schema):
    # The one schema of this module that existed before (the correction route's), kept as the OpenAPI
    # document stated it (extra keys not forbidden there): built field by field by `of`, never from a dict.
    id: int
    opioid: str
    struck_at: str  # ISO datetime
    corrected_at: str | None
    reason: str
    corrected_by: str = Field(description="the username of the staff member who corrected it (integrators)")
    corrected_by_name: str = Field(
        description="who corrected it, as a person reads it: their full name, else their role, in the "
        "request's language; never a username (lane words33)"
    )
    recorded_at: str  # ISO datetime

    @classmethod
    def of(cls, row: LastUseCorrection) -> LastUseCorrectionOut:
        return cls(
            id=row.pk,
            opioid=row.opioid,
            struck_at=row.struck_at.isoformat(),
            corrected_at=row.corrected_at.isoformat() if row.corrected_at else None,
            reason=row.reason,
            corrected_by=row.corrected_by.username,
            corrected_by_name=staff_name(row.corrected_by),
            recorded_at=row.recorded_at.isoformat(),
        )


class LastUseOut(Out):
    opioid: str
    last_use_at: str | None  # ISO datetime
    source: str  # intake | report | corrected | dose | take_home | fill
    correction: LastUseCorrectionOut | None  # source "corrected": the prescriber's correction giving the time


def last_uses_out(uses: LastUses | None) -> list[LastUseOut]:
    """Each opioid's latest known last use and where Keel knows it from, with the correction that gave it."""
    if uses is None:
        return []
    return [
        LastUseOut(
            opioid=u.opioid,
            last_use_at=u.at.isoformat() if u.at else None,
            source=u.source,
            correction=LastUseCorrectionOut.of(u.correction) if u.correction is not None else None,
        )
        for u in uses.uses.values()
    ]


class ReportedUseOut(Out):
    opioid: str
    last_use_at: str | None  # ISO datetime


class LastUseReportOut(Out):
    id: int
    opioids: list[ReportedUseOut]
    source: str  # care_team | person
    reported_at: str  # ISO datetime

    @classmethod
    def of(cls, row: LastUseReport) -> LastUseReportOut:
        return cls(
            id=row.pk,
            opioids=row.opioids,
            source=row.source,
            reported_at=row.reported_at.isoformat(),
        )


class IntakeOut(Out):
    id: int
    values: dict[str, Any]  # free-form: the intake's answers as the core checked and stored them
    overdose_risk: DecisionOut


class ScoreOut(Out):
    """The latest COWS (or SOWS) and how old it is."""

    total: int | None
    filled_at: str  # ISO datetime
    age_hours: float | None


class StartOut(Out):
    intake: dict[str, Any] | None  # free-form: the latest intake's answers as stored
    cows: ScoreOut | None
    last_uses: list[LastUseOut]
    ready: bool
    readiness: DecisionOut | None
    readiness_needs: list[str]
    overdose_risk: DecisionOut | None
    naloxone_kits: list[NaloxoneKitOut]
    care_goals: list[CareGoalLineOut]


class HomeStartOut(Out):
    has_plan: bool
    first_dose_mg: str | None  # decimal text
    sows: ScoreOut | None
    last_uses: list[LastUseOut]
    needs: list[str]
    decision: DecisionOut | None
    redose_interval_hours: int | float
    day1_max_mg: int | float
    day2_max_mg: int | float


@with_config(NESTED_FORBID)
class OpioidLastUseIn(TypedDict, total=False):
    """One opioid in a report of last use; its values are checked by
    `services.last_use.parse_last_use_report`."""

    opioid: object
    last_use_at: object


class LastUseIn(In):
    opioids: list[OpioidLastUseIn] = Field(
        description='each opioid used since the last report: [{"opioid": "heroin", "last_use_at": '
        '"2026-11-25T06:30:00-05:00"}]; an empty list says no opioid since'
    )


class LastUseCorrectionIn(In):
    opioid: str = Field(
        description="the opioid whose time is struck: heroin, fentanyl, rx_short, rx_long, methadone or "
        "buprenorphine"
    )
    struck_at: str = Field(
        description="the mistaken time of last use, as the record reports it (GET .../start: last_uses), "
        'with its zone: "2026-11-25T22:00:00-05:00"'
    )
    corrected_at: str | None = Field(
        default=None,
        description="the right time, earlier than struck_at and not in the future, with its zone; null: the "
        "struck time was wrong and the record gives no other (a later time is a new report of last use)",
    )
    reason: str = Field(
        description=f"the prescriber's reason: {REASON_FIELD_HELP}",
    )


class OpioidUseIn(CoreIn):
    """One opioid on an intake: which, how, and when it was last used (`keel.core.intake.OPIOID`)."""

    FIELDS = core_intake.OPIOID

    opioid: str
    routes: list[str]
    last_use_at: str  # ISO date-time with its zone, not after the intake; "" when not known


class IntakeIn(CoreIn):
    """An intake, as the API and the page post it: the fields, limits and help of `keel.core.intake.FIELDS`
    and a list of opioids, checked by `keel.core.intake.parse_intake` at the time it is recorded."""

    FIELDS = core_intake.FIELDS
    NESTED = {"opioids": list[OpioidUseIn]}

    other_substances: list[str]
    prior_overdoses: int
    prior_treatment: list[str]
    pregnant: str
    uses_alone: bool
    recent_lost_tolerance: bool
    serious_mental_illness: bool
    breathing_or_clearance_illness: bool
    has_naloxone: bool
    family_history: bool
    trauma: bool
    mental_health: bool
    peer_environment: bool
    note: str
    opioids: list[OpioidUseIn]

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        if now is None:
            raise TypeError("an intake is checked at the time it is recorded: parse(now=...)")
        return core_intake.parse_intake(raw, now)
