"""Review 24b hole 3: undoing a slip's take-back (`undo_take_back`). A correction of an earlier day's dose
after which the window gives its run again clears the take-back end and hands the bottles out again at the
mg they left with; never after a hold, over another plan, over a bottle on the shelf, or onto today when a
window dose stands today (lane end28)."""

from __future__ import annotations

from keel.core.decision import Reason
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.doses.bottles.hand_out import (
    _audit_handed_out,
    _left_with,
    _run_unended,
    _set_bottles,
    _taken_back_in,
    bottle_amounts,
    on_shelf,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _resume_refused,
)
from keel.treatment.services.doses.bottles.reasons import (
    TAKE_BACK_UNDONE,
)
from keel.treatment.services.doses.bottles.redecide.change import END_FIELDS, DayChange, clear_end
from keel.treatment.services.doses.bottles.redecide.corrected_back import corrected_back, voided_since
from keel.treatment.services.doses.bottles.redecide.reword import end_said_again


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
    kept = {**_taken_back_in(plan, run), **(plan.bottle_mg or {})}
    had = {d.isoformat(): kept[d.isoformat()] for d in run if d.isoformat() in kept}
    _amounts, blocked = bottle_amounts(
        patient,
        run,
        day,
        total,
        change.ctx,
        change.now,
        True,
        left_with=_left_with(patient, day),
        recorded=had,
    )
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
