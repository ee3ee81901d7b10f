"""The keep-back and go-on paths of a day's total above 0: a run judged by the window's verdict
(`judge_run`: recorded at its mg, kept back, or taken back from today; a run wholly past never touched,
review 23c), and a plan kept back earlier that day that goes on when the total now lets its run go home
(`after_keep_back`, `_go_on_after_kept_back`; never over a bottle on the shelf, review 27a)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from keel.core.decision import Reason
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _handed_out,
    _left_with,
    _run_recorded,
    _run_unended,
    _set_bottles,
    _taken_back_in,
    bottle_amounts,
    brought_back_days,
    on_shelf,
    run_from,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _nothing_given_on,
    _resume_refused,
)
from keel.treatment.services.doses.bottles.redecide.change import END_FIELDS, DayChange, clear_end
from keel.treatment.services.doses.bottles.redecide.corrected_back import corrected_back, voided_since
from keel.treatment.services.doses.bottles.redecide.reword import (
    corrected_after_keep_back,
    end_said_again,
    judged_again,
    kept_back_stands,
)
from keel.treatment.services.doses.bottles.redecide.shelf import end_on_shelf, stays_on_shelf
from keel.treatment.services.doses.bottles.take_back import (
    _keep_back,
    _record_take_back,
    _take_back_from_today,
)


def after_keep_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """A plan kept back on the change's day (`_kept_back_on`) goes on when the day's total now lets its run
    go home (`_go_on_after_kept_back`); a "nothing given" end of an earlier day is undone only by a dose given
    that day, never by a correction: lane end28, a correction back up of that day's dose leaves the end
    standing and makes its words true (`corrected_back`); lane fix32d (review 32d hole 4): so does an
    earlier day's keep back whose bottles never left (`never_left`). A void (or 0 mg) of the kept-back dose
    says so (`voided_since`): of an earlier day, or of today when the bottles never left (lane fix34a)."""
    # lane fix30d (review 30d hole 4): the kept-back dose is voided; lane fix34a (review 34a hole 2): of today
    # too when its bottles never left (a correction up's words never outlive the dose)
    voided = change.total <= 0 and plan.end_kind == PlanEnd.KEPT_BACK
    if voided and (change.today < change.real_today or never_left(plan, change.today)):
        return voided_since(change, plan)
    if corrected_after_keep_back(change, plan, plan.end_kind, never_left(plan, change.today)):
        return kept_back_stands(change, plan)  # lane fix33b (review 33a holes 2, 3): never a hand-out
    # lane fix32d (review 32d hole 4): an earlier day's keep back whose bottles never left stands as its
    # "nothing given" does; a correction back up never hands them out after the day
    stands = _nothing_given_on(plan, change.today) or never_left(plan, change.today)
    if change.today == change.real_today or not stands:
        return _go_on_after_kept_back(change, plan)
    if change.total > 0:
        return corrected_back(change, plan)
    return []


def never_left(plan: TakeHomePlan, day: date) -> bool:
    """Lane fix32d (review 32d hole 4): the plan's end is a keep back of `day` whose run never left the
    clinic (the window kept it back: no bottle of it recorded handed out nor taken back)."""
    return plan.end_kind == PlanEnd.KEPT_BACK and run_never_left(plan, day)


def run_never_left(plan: TakeHomePlan, day: date) -> bool:
    """Lane fix32d: the run of `day` (the plan's end set aside) has no bottle recorded handed out nor taken
    back: it never left the clinic."""
    run = _run_unended(plan, day)
    had, _rest = _run_recorded(plan, run)
    return bool(run) and not had and not _taken_back_in(plan, run)


def _go_on_after_kept_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """A plan kept back earlier on the change's day (its run judged at a lower total, e.g. a split dose's
    first part) goes on when the day's total now lets its run go home; else it stays ended. Review 27a holes
    1 and 3: never over a bottle of its run recorded brought back (`on_shelf`, `stays_on_shelf`)."""
    patient, today, total = change.patient, change.today, change.total
    # lane fix28c (review 28c hole 6): a hold on the real today stops a plan going on, not only one on the
    # dose's day (a correction of yesterday's dose after a hold today)
    if total <= 0:
        return []
    refused = _resume_refused(patient, plan, today, change.real_today)
    shelf = on_shelf(plan, _run_unended(plan, today), change.real_today)
    if (refused or shelf) and today < change.real_today and plan.end_kind == PlanEnd.KEPT_BACK:
        # lane fix30a (review 30a hole 2, fix29c's leftover): an earlier day's keep back that stays (a hold
        # since the decision, another plan, a bottle on the shelf): its words follow the dose that stands
        return kept_back_stays(change, plan)
    if refused:
        return []
    if shelf:  # review 27a holes 1 and 3: never over bottles recorded brought back; the plan stays ended
        if plan.end_kind == PlanEnd.NOTHING_GIVEN:  # lane fix28b (review 28b hole 3): a dose stands again
            end_on_shelf(plan, shelf, today)
        return [stays_on_shelf(change, plan, shelf)]
    ended = (plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind)
    clear_end(plan)
    run = run_from(plan, today)
    amounts, blocked = (
        bottle_amounts(patient, run, today, total, change.ctx, change.now, True, plan=plan)
        if run
        else ({}, None)
    )
    if run and blocked is not None and ended[4] == PlanEnd.NOTHING_GIVEN:
        return _keep_back_after_nothing_given(change, plan, run, blocked)
    if not run or blocked is not None:
        plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = ended
        if blocked is not None:  # lane fix30d (review 30d hole 5); lane fix31a (review 31a holes 1 and 4)
            end_said_again(change, plan, blocked)
        return []
    plan.save(update_fields=END_FIELDS)
    _set_bottles(plan, {**(plan.bottle_mg or {}), **amounts})
    _audit_plan(
        change.by,
        patient,
        plan,
        "bottles handed out: the day's total changed",
        {"bottles": sorted(amounts), "mg": [amounts[d] for d in sorted(amounts)]},
    )
    return [_handed_out(amounts)]


def kept_back_stays(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """An earlier day's keep back that stays whatever the total (a hold since the decision, another plan, a
    bottle of its run on the shelf: `_go_on_after_kept_back`; or the same written over an earlier end,
    `prescriber_end.after_end_over_earlier`), its words following the dose that stands.
    Lane fix33a (review 32d hole 5): the run is judged at that total first (`judged_again`, as the window
    judges it): still blocked, the keep back is said again at it (`end_said_again`: the window's reason,
    the kind kept, never `CORRECTED_BACK`), the nurse told of the bottles on the shelf (`stays_on_shelf`);
    given, the dose is back up and the end stands as corrected back (`corrected_back`, lane fix30a)."""
    run = _run_unended(plan, change.today)
    _kept, blocked = judged_again(change, plan, run) if run else ({}, None)
    if blocked is None:
        return corrected_back(change, plan)
    end_said_again(change, plan, blocked)
    shelf = on_shelf(plan, run, change.real_today)
    return [stays_on_shelf(change, plan, shelf)] if shelf else []


def _keep_back_after_nothing_given(
    change: DayChange, plan: TakeHomePlan, run: list[date], blocked: tuple[date, Decimal, Reason]
) -> list[Reason]:
    """Lane end26: today's "nothing given" end (a correction to 0 mg, a void) and then a dose stands again
    (a correction back up, a dose given later) at a total the window would not give the run after: a dose
    stands, so the end is no longer "nothing given" but the keep back a direct correction to that total
    writes (`_keep_back`, `PlanEnd.KEPT_BACK`; the bottles of the run at home named for the call-back), and
    the nurse is told once (`TAKEN_BACK_PLAN_STOPS`, or `KEPT_BACK` when none is at home). `plan`: its end
    already cleared in memory by the caller (`_go_on_after_kept_back`)."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    home = bottles_at_home(change.patient, change.real_today).get(plan.pk, {})
    back = brought_back_days(plan)
    call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run and d.isoformat() not in back}
    return [_keep_back(change.by, change.patient, plan, run, change.today, change.now, blocked, home=call)]


def judge_run(
    change: DayChange, plan: TakeHomePlan, run: list[date], had: dict[str, str], rest: dict[str, str]
) -> list[Reason]:
    """A day's total above 0: the run is judged by the window's verdict against it (`bottle_amounts`) and
    its bottles not yet recorded are recorded at their mg (review 24b hole 1: bottles already handed out
    keep their mg and are judged by the order in force when they left), or, blocked, taken back from today
    (a run that began before today, `_take_back_from_today`) or kept back (`_keep_back`, the call-back
    naming the bottles at home: review 24b holes 4 and 7); a run wholly past is never touched (review
    23c)."""
    by, patient, today, now, real_today = (
        change.by,
        change.patient,
        change.today,
        change.now,
        change.real_today,
    )
    if today < real_today and run[-1] < real_today:
        return []  # review 23c: a run wholly past left the clinic and was drunk; its record stands
    recorded = {**rest, **had}
    left_with = _left_with(patient, today) if had else None
    amounts, blocked = bottle_amounts(
        patient, run, today, change.total, change.ctx, now, True, left_with=left_with, recorded=had, plan=plan
    )
    if blocked is None:
        new = {iso: mg for iso, mg in amounts.items() if iso not in had}
        if new:
            _set_bottles(plan, {**recorded, **new})
            return [_handed_out(new)]
        return []
    if run[0] < real_today:  # lane fix23d: the run began before today, reaches today
        return [_take_back_from_today(by, patient, plan, run, today, now, blocked)]
    back = brought_back_days(plan)
    if today < real_today:  # review 24b holes 4 and 7: what left with yesterday's dose and is at home
        from keel.treatment.queries.take_home_plans import bottles_at_home

        home = bottles_at_home(patient, real_today).get(plan.pk, {})
        call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run}
    else:
        call = {iso: mg for iso, mg in had.items() if iso not in back}
    _record_take_back(plan, rest, had, call)
    return [_keep_back(by, patient, plan, run, today, now, blocked, home=call)]
