"""Review 24b hole 3: undoing a slip's take-back (`undo_take_back`). A correction of an earlier day's dose
after which the window gives its run again clears the take-back end and hands the bottles out again at the
mg they left with; never after a hold, over another plan, over a bottle on the shelf, or onto today when a
window dose stands today (lane end28)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.decision import Reason
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.doses.bottles.hand_out import (
    _audit_handed_out,
    _left_with,
    _run_unended,
    _set_bottles,
    on_shelf,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _resume_refused,
)
from keel.treatment.services.doses.bottles.reasons import (
    TAKE_BACK_UNDONE,
)
from keel.treatment.services.doses.bottles.redecide.change import END_FIELDS, DayChange, clear_end
from keel.treatment.services.doses.bottles.redecide.corrected_back import (
    again_after_corrected_back,
    corrected_back,
    voided_since,
)
from keel.treatment.services.doses.bottles.redecide.reword import end_said_again, judged_again


def undo_take_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Review 24b hole 3: a correction of the dose of `day` (the change's day) after which the window gives
    again the run that left with it undoes the same day's take-back (`_take_back_from_today`), as
    `_go_on_after_kept_back` undoes yesterday's: the plan stands again and the bottles taken back are handed
    out again at the mg they left with (judged by the order in force when they left). Not after a hold
    today, nor when another plan covers a day of the run (`_resume_refused`), nor over a bottle of the run
    recorded brought back (review 27a, `on_shelf`), nor when a dose given today stands and today is a day of
    the run (lane end28, defence in depth: the window refuses such a dose unless today's bottle came back,
    probe 27; were one recorded all the same, today is never made a take-home day again). The end's kind is
    cleared with the end. Lane fix30a (review 30a hole 3): a take-back that stays (a hold, another plan, a
    bottle on the shelf) has its words follow the dose that stands (`corrected_back`)."""
    patient, day, today, total = change.patient, change.today, change.real_today, change.total
    if total <= 0:  # lane fix30d (review 30d hole 4): the dose they left with is voided; the end says so
        return voided_since(change, plan)
    run = _run_unended(plan, day)
    if _resume_refused(patient, plan, day, today) or on_shelf(plan, run, today):
        # review 27a: never over bottles recorded brought back; nor after a hold, another plan: the take-back
        # stands. Lane fix30a (review 30a hole 3, fix29c's leftover): its words follow the dose that stands
        # (`corrected_back`, which tells `ON_SHELF` of the bottles brought back)
        return corrected_back(change, plan)
    if today in run and _left_with(patient, today) is not None:
        # lane end28 (defence in depth, probe 27): she was dosed at the window today while the take-back
        # stood; re-covering today would make today a take-home day with a dose already given: never
        return []
    kept, blocked = judged_again(change, plan, run)
    if blocked is not None:  # lane fix31a (review 31a hole 2): the take-back stands, its words follow
        end_said_again(change, plan, blocked)
    if not run or blocked is not None:
        return []
    # review 27a's note: the end's kind goes with it (a running plan never keeps `taken_back`)
    clear_end(plan)
    plan.save(update_fields=END_FIELDS)
    _set_bottles(plan, kept)
    ahead = [d.isoformat() for d in run if d >= today]
    _audit_handed_out(change.by, patient, plan, ahead, day)
    return [Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead))]


def taken_back_since(plan: TakeHomePlan, day: date) -> bool:
    """Lane fix31a (review 31a hole 6): the plan's end is a take-back of the run that left with the dose of
    `day` written on an earlier day than this change (`_take_back_from_today`, `PlanEnd.TAKEN_BACK`; or its
    words said since as an end that stands, `PlanEnd.CORRECTED_BACK`): ended on or after `day`, the day
    after its end a day of that run. Read from the stored kind, never the English (`_taken_back_from`
    reads only a take-back written on the change's own day, which `undo_take_back` may undo)."""
    if plan.ended_on is None or plan.ended_by_id is None or plan.ended_on < day:
        return False
    if plan.end_kind not in (PlanEnd.TAKEN_BACK, PlanEnd.CORRECTED_BACK):
        return False
    return plan.ended_on + timedelta(days=1) in _run_unended(plan, day)


def after_take_back_since(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane fix31a (review 31a hole 6): a correction of the dose whose run an earlier day's take-back ended
    (`taken_back_since`). No past day is covered again (lane end28: a double dose lies there; the person
    may have been dosed at the window since), so the end stands and the run is never announced handed out
    (the call-back list still names its bottles at home): voided or 0 mg, the voided words
    (`voided_since`); still blocked at the total that stands, the take-back's words at that amount
    (`end_said_again`); the window would give the run again, the corrected-back end ("corrected down and
    later back up", `corrected_back`: the nurse told to call back the bottles at home); an end already
    corrected back, its words follow the dose (`again_after_corrected_back`)."""
    if plan.end_kind == PlanEnd.CORRECTED_BACK or change.total <= 0:
        return again_after_corrected_back(change, plan) if change.total > 0 else voided_since(change, plan)
    run = _run_unended(plan, change.today)
    _kept, blocked = judged_again(change, plan, run) if run else ({}, None)
    if blocked is not None:
        end_said_again(change, plan, blocked)
        return []
    return corrected_back(change, plan)
