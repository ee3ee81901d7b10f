"""Review 27a: a bottle recorded brought back is on the clinic's shelf for good. A dose that stands again
never has its plan cover that bottle's day again (`stays_on_shelf`: the end stands, audited, the nurse told
`ON_SHELF`); today's "nothing given" end then says what stops the plan (`end_on_shelf`, lane fix28b)."""

from __future__ import annotations

from datetime import date

from keel.core.decision import Reason
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.reasons import (
    ON_SHELF,
    ON_SHELF_END,
)
from keel.treatment.services.doses.bottles.redecide.change import DayChange


def stays_on_shelf(change: DayChange, plan: TakeHomePlan, shelf: list[date]) -> Reason:
    """Review 27a holes 1-3: a dose stands again (later today, or a correction back up) whose run has
    bottles recorded brought back (`on_shelf`): the plan's end stands (it never covers their days again:
    the person comes to the window for them, the window's missed-dose checks count them as clinic days, and
    no reader counts a bottle both handed out and on the shelf); the bottles of the run still at home stay
    on the call-back list. Audited; the nurse is told not to hand them out again (`ON_SHELF`)."""
    days = [d.isoformat() for d in shelf]
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan not resumed: bottles brought back stay at the clinic",
        {"bottles_brought_back": days, "dose_day": change.today.isoformat()},
    )
    return Reason.said(ON_SHELF, ("42cfr8.12-2024",), days=", ".join(days))


def end_on_shelf(plan: TakeHomePlan, shelf: list[date], day: date) -> None:
    """Lane fix28b (review 28b hole 3): today's "nothing given" end (`NOTHING_GIVEN`) after which a dose
    stands again today while bottles of the run are on the shelf: the plan stays stopped, and its end now
    says what stops it (`ON_SHELF_END`, stored as a keep back, `PlanEnd.KEPT_BACK`: no longer one a later
    dose today reads as "nothing given" to hand out, `goes_home_at_a_dose_today`). Its day, by and instant
    stand; the caller audits it (`stays_on_shelf`)."""
    plan.end_reason = ON_SHELF_END.format(days=", ".join(d.isoformat() for d in shelf), day=day.isoformat())
    plan.end_kind = PlanEnd.KEPT_BACK
    plan.save(update_fields=["end_reason", "end_kind"])
