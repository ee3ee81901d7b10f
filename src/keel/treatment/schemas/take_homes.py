"""The treatment API's take-home plans: a plan decided (its bottles, the mg each holds, the call-back list),
the review before deciding, and the bodies of a plan, its end and bottles brought back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from keel.schemas import NESTED_FORBID, In, IsoDate, Out
from keel.treatment.models import (
    TakeHomePlan,
)
from keel.treatment.schemas.decisions import StoredDecision


class TakeHomeOut(Out):
    id: int
    decided_at: str  # ISO datetime
    days_in_treatment: int
    max_supply_days: int
    bottles: list[str]  # ISO dates
    open_flags: list[dict[str, str]]  # the concerns acknowledged: id, kind, raised_on
    ended_on: str | None
    ended_by: int | None
    ended_at: str | None
    end_reason: str
    returned_days: list[str]  # ISO dates
    # session 22: the mg each bottle handed out holds, by its ISO day (decimal text); a day not here was not
    # handed out yet (or the plan was decided before amounts were kept)
    bottle_mg: dict[str, str]
    # lane bottle39: a bottle handed out after a late observed dose: the earliest moment she may take it (ISO
    # day -> ISO instant, UTC): the dose's time plus the program's same_day_hours (inside its day)
    bottle_not_before: dict[str, str] = {}
    # review 24b hole 6: an ended plan's bottles still at home for days it no longer covers (ISO day -> mg):
    # call the person back to bring them in (until recorded brought back, `returned_days`)
    call_back: dict[str, str] = {}
    episode_id: int | None
    criteria: dict[str, bool]
    decision: StoredDecision

    @classmethod
    def of(cls, t: TakeHomePlan, call_back: dict[date, Decimal] | None = None) -> TakeHomeOut:
        return cls(
            call_back={d.isoformat(): f"{mg.normalize():f}" for d, mg in sorted((call_back or {}).items())},
            id=t.pk,
            decided_at=t.decided_at.isoformat(),
            days_in_treatment=t.days_in_treatment,
            max_supply_days=t.max_supply_days,
            bottles=t.bottles,
            open_flags=t.open_flags,
            ended_on=t.ended_on.isoformat() if t.ended_on else None,
            ended_by=t.ended_by_id,
            ended_at=t.ended_at.isoformat() if t.ended_at else None,
            end_reason=t.end_reason,
            returned_days=t.returned_days,
            bottle_mg=t.bottle_mg or {},
            bottle_not_before=t.bottle_not_before or {},
            episode_id=t.enrollment_id,
            criteria=t.criteria,
            decision=t.decision,
        )


class TakeHomeConcernOut(Out):
    id: str
    kind: str  # a flag kind, or missed_doses
    raised_on: str  # ISO date


class TakeHomeReviewOut(Out):
    days_in_treatment: int
    federal_max_days: int
    open_flags: list[TakeHomeConcernOut]
    closure_days: list[str]  # ISO dates
    bottles_held: list[str]  # ISO dates: bottles held or still to be handed, counted against a new supply


@with_config(NESTED_FORBID)
class TakeHomeCriteriaIn(TypedDict, total=False):
    """The documented take-home criteria (`services.CRITERIA_KEYS`, 42 CFR 8.12); one left out is not met.
    A misspelt criterion is refused by name (it was counted as not met without a word)."""

    no_active_risky_use: bool
    regular_attendance: bool
    no_serious_behavior_problems: bool
    no_known_recent_diversion: bool
    safe_transport_and_storage: bool
    other_factors_considered: bool


class TakeHomeIn(In):
    criteria: TakeHomeCriteriaIn
    state_max_days: int | None = None
    start_on: IsoDate | None = None
    acknowledged_flags: list[str] = Field(
        default_factory=list, description="the id of every open concern (GET .../take-homes/review)"
    )
    bottle_days: list[IsoDate] | None = Field(
        default=None, description="a schedule below the maximum (weekends only, say); empty: every day"
    )
    closure_day: IsoDate | None = Field(
        default=None, description="one dose for a program closure day, for someone not otherwise eligible"
    )


class TakeHomeEndIn(In):
    reason: str = Field(description="why the plan ends early: a reason of substance (kept in the record)")
    from_day: IsoDate | None = Field(
        default=None, description="the first day its bottles no longer cover: today or later; blank: today"
    )
    returned_days: list[IsoDate] | None = Field(
        default=None,
        description="the days whose bottles were brought back unopened or never handed out; empty or "
        "absent: none came back, and the bottles handed out keep counting against the supply",
    )


class TakeHomeBroughtBackIn(In):
    """Lane fix25c: bottles brought back on a plan that ended (the call-back list), never an end."""

    reason: str = Field(description="how they came back: who brought them, and when (kept in the record)")
    returned_days: list[IsoDate] = Field(description="the days whose bottles were brought back unopened")
