"""Lane end26, review 27a hole 4: a plan ended by the void (or 0 mg) of an earlier day's dose
(`voided_on`) whose dose is corrected back up: the run is judged again from the record it had before the 0
(`after_voided`), and a prescriber's end the voided end was written over is given back whole
(`earlier_end`, `TakeHomePlan.earlier_end`). Blocked by a hold, another plan, or the shelf: the end stands
and its words follow the dose (`corrected_back`)."""

from __future__ import annotations

from datetime import date, datetime

from keel.core.decision import Reason
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.doses.bottles.hand_out import (
    _audit_handed_out,
    _run_recorded,
    _run_unended,
    _set_bottles,
    _taken_back_in,
    brought_back_days,
    on_shelf,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _resume_refused,
)
from keel.treatment.services.doses.bottles.reasons import (
    TAKE_BACK_UNDONE,
)
from keel.treatment.services.doses.bottles.redecide.change import END_FIELDS, DayChange, clear_end, held_only
from keel.treatment.services.doses.bottles.redecide.corrected_back import corrected_back
from keel.treatment.services.doses.bottles.redecide.go_on import judge_run
from keel.treatment.services.doses.bottles.redecide.reword import down_again
from keel.treatment.services.doses.bottles.redecide.shelf import stays_on_shelf


def voided_on(plan: TakeHomePlan, day: date) -> bool:
    """Lane end26: the plan's end is the "voided" end of the dose of `day` (`_end_not_handed_out` for an
    earlier day's dose corrected to 0 or voided: ended on `day`, `PlanEnd.VOIDED`, no earlier end carried)."""
    if plan.ended_on != day or plan.ended_by_id is None:
        return False
    if plan.end_kind == PlanEnd.VOIDED:
        return True
    # review 27a hole 4: the voided end written over a later end (a prescriber's), which it restores
    return plan.end_kind == PlanEnd.AFTER_EARLIER_END and earlier_end(plan) is not None


def earlier_end(
    plan: TakeHomePlan, over: str = PlanEnd.VOIDED
) -> tuple[date, int | None, datetime | None, str, str] | None:
    """Review 27a hole 4: the end a voided end (`PlanEnd.VOIDED`, `_end_not_handed_out`; lane fix29a: or the
    end of kind `over`) was written over (`TakeHomePlan.earlier_end`, kept by `_end_keeping_earlier`): its
    last covered day, by, at, reason and kind; None when the plan's end is not such an end."""
    kept = plan.earlier_end or {}
    if kept.get("over") != over or not kept.get("ended_on"):
        return None
    at = kept.get("ended_at")
    return (
        date.fromisoformat(str(kept["ended_on"])),
        int(kept["ended_by"]) if kept.get("ended_by") is not None else None,
        datetime.fromisoformat(str(at)) if at else None,
        str(kept.get("end_reason") or ""),
        str(kept.get("end_kind") or ""),
    )


def after_voided(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end26: an earlier day's dose corrected to 0 (or voided) ended the plan on that day
    (`VOIDED_NOT_HANDED_OUT`) and took the run's bottles back; a correction back up makes that dose stand
    again. The bottles left with it (the record said so), so the run is judged again as a correction of
    that dose from the record it had before the 0 (`judge_run`, the bottles back at the mg they left
    with): allowed, the plan goes on and nobody calls the person back (`TAKE_BACK_UNDONE`); blocked, the
    keep back or the take-back from today of a direct correction to that total. Not after a hold today, nor
    when another plan covers a day of the run (`_resume_refused`): the end stands and, lane fix28c (review
    28c holes 2 and 3), its words say the dose stands again and its bottles may be at home
    (`corrected_back`; the call-back of `amend_dose` tells the nurse of any no word names); nor over a
    bottle of the run recorded brought back (review 27a hole 2, `on_shelf`): the end stands and, lane fix29a
    (review 29a hole 3), its words say so too (`corrected_back`: the bottles at home called back, those on
    the shelf stay there), never "not handed out". A voided end
    written over a prescriber's gives that end back whole (review 27a hole 4, `earlier_end`), the nurse
    told only of the days it covers."""
    patient, day, today = change.patient, change.today, change.real_today
    run = _run_unended(plan, day)
    if not run:
        return []
    earlier = earlier_end(plan)  # review 27a hole 4: a prescriber's end the voided end was written over
    if _resume_refused(patient, plan, day, today):
        # lane fix28c (review 28c holes 2 and 3): the end stands, but the dose stands again, so its words
        # no longer say the bottles were not handed out (`corrected_back`). Lane fix28d (review 28d hole 3):
        # a prescriber's end kept under it stays in the words (`_note_after`), and the end stands from the
        # voided day as the corrected-back end (never read as undoable)
        return corrected_back(change, plan)
    shelf = on_shelf(plan, run, today)
    # review 27a hole 2: never over bottles recorded brought back; the end stands. Lane fix28b (review 28b
    # hole 5): a prescriber's end that stops before the first of them is given back all the same (the days on
    # the shelf stay clinic days, past its end), and the nurse hears only of the days it covers
    if shelf and (earlier is None or earlier[0] >= shelf[0]):
        # lane fix29a (review 29a hole 3): the end stands, but the dose stands again: its words say the
        # bottles of the run may be at home (called back) and those brought back stay on the shelf
        # (`corrected_back`, as on the hold and other-plan paths above), never "not handed out". Lane
        # fix34a (review 34a hole 3): judged at the new total first (`_judged_over_shelf`)
        return _judged_over_shelf(change, plan, shelf)
    recorded = dict(plan.bottle_mg or {})
    back = brought_back_days(plan)
    back_in = {iso: mg for iso, mg in _taken_back_in(plan, run).items() if iso not in back}
    if earlier is None:
        clear_end(plan)
    else:
        plan.ended_on, plan.ended_by_id, plan.ended_at, plan.end_reason, plan.end_kind = earlier
    plan.earlier_end = held_only(plan)  # lane fix30a: a hold's day stays
    plan.save(update_fields=[*END_FIELDS, "earlier_end"])
    if back_in:
        _set_bottles(plan, {**recorded, **back_in})
    run = [d for d in run if d.isoformat() not in back]  # lane fix28b: a bottle on the shelf stays there
    had, rest = _run_recorded(plan, run)
    restored = plan.ended_on, plan.end_kind
    said = judge_run(change, plan, run, had, rest) if run else []
    if (plan.ended_on, plan.end_kind) != restored:
        return said
    ahead = [d.isoformat() for d in run if d >= today and (restored[0] is None or d <= restored[0])]
    _audit_handed_out(change.by, patient, plan, ahead, day)
    if not ahead:
        return said
    return [*said, Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead))]


def _judged_over_shelf(change: DayChange, plan: TakeHomePlan, shelf: list[date]) -> list[Reason]:
    """Lane fix34a (review 34a hole 3): a voided end over a bottle of its run on the shelf, its dose
    corrected back above 0: the run is judged at the new total first, as on the keep-back path
    (`go_on.kept_back_stays`, review 33a hole 3's fix). Still blocked: the end stands on the dose's day as
    the keep back a correction down to that total writes (`reword.down_again`: the window's reason, the days
    from the record, a note after them kept; the kind `PlanEnd.KEPT_BACK`, so a later correction takes the
    keep-back paths), the nurse told of the bottles at home and on the shelf. Given: `corrected_back`."""
    said = down_again(change, plan)
    if said is None:
        return corrected_back(change, plan)
    if plan.end_kind == PlanEnd.VOIDED:  # a voided end over a prescriber's keeps its kind (`earlier_end`)
        plan.end_kind = PlanEnd.KEPT_BACK
        plan.save(update_fields=["end_kind"])
    return [*said, stays_on_shelf(change, plan, shelf)]
