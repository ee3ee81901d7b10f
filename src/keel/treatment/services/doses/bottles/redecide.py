"""Redecide after a change of a day's total: the one decision of the bottles going home after a day
(`redecide_bottles`), made again at every change of that day's given methadone total (a dose at the window,
`hand_out_at_dose`; a correction or a void, `doses.corrections`; nothing given after an end,
`take_back_after_end`). The change is one frozen `DayChange`, built once; each step takes it with the plan
it judges: a plan kept back that day goes on (`_after_keep_back`, `_go_on_after_kept_back`), a slip's
take-back is undone (`_undo_take_back`), or the run is judged (`_judge_run`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries import DoseContext
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _audit_handed_out,
    _handed_out,
    _left_with,
    _run_recorded,
    _run_unended,
    _set_bottles,
    _taken_back,
    _taken_back_in,
    bottle_amounts,
    brought_back_days,
    on_shelf,
    run_from,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _kept_back_on,
    _nothing_given_on,
    _resume_refused,
    _taken_back_from,
)
from keel.treatment.services.doses.bottles.reasons import (
    CORRECTED_BACK_AT_HOME,
    CORRECTED_BACK_AT_HOME_DOWN,
    CORRECTED_BACK_AT_HOME_VOIDED,
    CORRECTED_BACK_CALL_BACK,
    CORRECTED_BACK_CALL_BACK_DOWN,
    CORRECTED_BACK_CALL_BACK_VOIDED,
    CORRECTED_BACK_NONE_HOME,
    CORRECTED_BACK_NONE_HOME_DOWN,
    CORRECTED_BACK_NONE_HOME_VOIDED,
    CORRECTION_CALL_BACK,
    EARLIER_END,
    HANDED_OUT,
    ON_SHELF,
    ON_SHELF_END,
    TAKE_BACK_UNDONE,
    TAKEN_BACK,
    WINDOW_DOSED_CALL_BACK,
    WINDOW_DOSED_END,
    WINDOW_DOSED_NONE_HOME,
    WINDOW_VOIDED,
    WINDOW_VOIDED_END,
)
from keel.treatment.services.doses.bottles.take_back import (
    _end_after_hold,
    _end_keeping_earlier,
    _end_not_handed_out,
    _keep_back,
    _record_take_back,
    _take_back_from_today,
    _take_back_nothing_given,
)

_END_FIELDS = ["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"]


@dataclass(frozen=True)
class DayChange:
    """One change of a day's given methadone total, as every step of `redecide_bottles` reads it: who made it
    (`by`), whose (`patient`), the dose's day (`today`), the change's instant (`now`), the day's total as it
    now stands (`total`), that day's dose context as the window read it (`ctx`), and the person's own today
    at `now` (`real_today`: later than `today` for a correction of an earlier day's dose)."""

    by: User
    patient: Patient
    today: date
    now: datetime
    total: Decimal
    ctx: DoseContext
    real_today: date


def redecide_bottles(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> tuple[Reason, ...]:
    """Review 22o: the one decision of the bottles going home after a day, made again at every change of
    that day's given methadone total (`total`: the doses standing, as corrected; a dose, a split dose's
    later part, a correction up or down, a void; review 22t hole 5: of that day's dose whatever the day,
    `today` the dose's day and `ctx` that day's context as the window read it, `now` the change's instant):
    the run starting the next day is judged by the window's verdict against that total (`bottle_amounts`,
    never the higher of the day before and the day). Nothing given (0): the run's bottles are taken back
    (`TAKEN_BACK`) and, no hold ending it, its plan ends before the run (`_end_not_handed_out`, review 23b
    holes 2 and 3). Judged and allowed: recorded at their mg (a plan kept back earlier that day at a lower
    total goes on again). Blocked: taken back and the plan stops (`TAKEN_BACK_PLAN_STOPS` when they had been
    handed out, else `KEPT_BACK`). A bottle taken back is kept as such on its plan (`_set_bottles`,
    `TakeHomePlan.bottles_taken_back`). Review 23c: a correction of an earlier day's dose that leaves a total
    above 0 (up or down) never touches a run wholly past (every bottle day before today): its bottles left
    the clinic and were drunk, the record of what left is never rewritten, the plan (and its later runs, a
    prescriber's) stands, and the nurse is told nothing about calling back. A run reaching today or later is
    judged as above (allowed: recorded at their mg). Blocked, when the run starts today or later (the dose
    was today's or yesterday's): taken back, `TAKEN_BACK_PLAN_STOPS`, call the person back; the plan stops
    on the dose's day as a keep back stops it. Blocked, when the run began before today and reaches today
    (lane fix23d): the bottles of days before today stand as recorded (they left the clinic and were
    drunk; what left is never rewritten); those of today and later are taken back (`bottles_taken_back`,
    `TAKEN_BACK_PLAN_STOPS` naming only them, call the person back), and the plan ends yesterday
    (`_take_back_from_today`, `TAKEN_BACK_FROM_TODAY`): never earlier, so the days gone stay take-home
    days, and today on are clinic days for every reader of `plan_days` (the window, the medication page,
    the API, FHIR). Inside the change's transaction, under the person's lock. Returns
    the reasons the dose's check carries and the correction tells (`amend_dose`)."""
    said: list[Reason] = []
    not_out: list[tuple[TakeHomePlan, list[date]]] = []  # nothing given: runs that did not leave
    zone = zone_of(patient)
    real_today = local_today(patient, now)
    change = DayChange(by, patient, today, now, total, ctx, real_today)
    for plan in plans:
        said.extend(_redecide_plan(change, plan, zone, not_out))
    if total <= 0:
        _end_nothing_given(change, plans, not_out)
    return tuple(said)


def _redecide_plan(
    change: DayChange, plan: TakeHomePlan, zone: ZoneInfo, not_out: list[tuple[TakeHomePlan, list[date]]]
) -> list[Reason]:
    """`redecide_bottles`' step for one plan: a plan not judged that day is passed over (`_not_judged_on`);
    one whose end that day's change may undo goes on (`_after_keep_back`, `_after_voided`,
    `_undo_take_back`); else its run (`_run_at`) is taken back when nothing is given (added to `not_out`,
    whose plans `_end_nothing_given` ends) or judged (`_judge_run`)."""
    today, total, real_today = change.today, change.total, change.real_today
    if _not_judged_on(plan, today, zone):
        return []
    if _kept_back_on(plan, today):
        return _never_over_window(change, plan, _after_keep_back(change, plan))
    if total > 0 and _over_earlier_on(plan, today) is not None:
        # lane fix29a (review 29a holes 1 and 2): a keep back or "nothing given" written over an earlier end
        return _never_over_window(change, plan, _after_end_over_earlier(change, plan))
    if today < real_today and plan.ended_on == today and plan.end_kind == PlanEnd.CORRECTED_BACK:
        return _again_after_corrected_back(change, plan)  # lane end28: the end stands, its words follow
    if total > 0 and today < real_today and _voided_on(plan, today):
        # lane end26: a correction back up of the dose whose 0 ended the plan on its day
        return _never_over_window(change, plan, _after_voided(change, plan))
    if today < real_today and _taken_back_from(plan, today, real_today):
        # review 24b hole 3: the slip's take-back, undone when the total lets the run go
        return _never_over_window(change, plan, _undo_take_back(change, plan))
    run = _run_at(change, plan)
    if not run:
        return []
    had, rest = _run_recorded(plan, run)
    if total <= 0:
        not_out.append((plan, run))
        return _take_back_nothing_given(change.by, change.patient, plan, had, rest, real_today)
    return _judge_run(change, plan, run, had, rest)


def _never_over_window(change: DayChange, plan: TakeHomePlan, said: list[Reason]) -> list[Reason]:
    """Lane fix28b (review 28b holes 1 and 4): the one guard of every step that can re-cover a run's day or
    restart a plan after a correction (`_go_on_after_kept_back`, `_after_voided` with a prescriber's end
    given back, `_undo_take_back`): a day of the run the change's day's dose sent home on which a dose at
    the window stands (`queries.dosed_at_window`; its bottle not recorded brought back) is never a take-home
    day again. When the step left the plan covering such a day, the plan ends the day before the first one
    (never after it; an end it had is kept in the reason, `_end_keeping_earlier`), audited; the bottles of
    that day and later the record holds as handed out stay at home for every reader until recorded brought
    back (`left_on_record`), so the call-back list names them, and the nurse is told which
    (`WINDOW_DOSED_CALL_BACK`; none at home: `WINDOW_DOSED_NONE_HOME`), never that the plan goes on. A
    prescriber decides take-home doses again."""
    from keel.treatment.queries.take_home_plans import call_back, dosed_at_window

    back = brought_back_days(plan)
    run = [d for d in _run_unended(plan, change.today) if d.isoformat() not in back]
    window = dosed_at_window(change.patient.pk, run)
    recover = [r for r in said if r.template in (HANDED_OUT, TAKE_BACK_UNDONE)]
    covers = bool(window) and (plan.ended_on is None or plan.ended_on >= window[0])
    if not window or not (covers or recover):
        return said
    first = window[0]
    if covers:
        days = [d for d in run if d >= first]
        text = WINDOW_DOSED_END.format(
            days=", ".join(d.isoformat() for d in days), day=", ".join(d.isoformat() for d in window)
        )
        _end_keeping_earlier(
            plan, change.by, first - timedelta(days=1), change.now, text, PlanEnd.WINDOW_DOSED
        )
        if plan.end_kind != PlanEnd.WINDOW_DOSED:  # lane fix28d: an earlier end kept in the reason, all the
            plan.end_kind = PlanEnd.WINDOW_DOSED  # same the window's end: no correction undoes it
            plan.save(update_fields=["end_kind"])
    home = call_back(change.patient, change.real_today).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in sorted(home.items()) if d >= first}
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan ends before a day dosed at the window",
        {
            "window_days": [d.isoformat() for d in window],
            "still_at_home": sorted(call),
            "dose_day": change.today.isoformat(),
        },
    )
    kept = [r for r in said if r not in recover]
    shown = ", ".join(d.isoformat() for d in window)
    if not call:
        return [*kept, Reason.said(WINDOW_DOSED_NONE_HOME, ("42cfr8.12-2024",), window=shown)]
    amounts: list[str] = []
    for iso in sorted(call):
        mg = f"{Decimal(call[iso]).normalize():f}"
        if mg not in amounts:
            amounts.append(mg)
    told = Reason.said(
        WINDOW_DOSED_CALL_BACK,
        ("42cfr8.12-2024",),
        window=shown,
        days=", ".join(sorted(call)),
        mg=", ".join(amounts),
    )
    return [*kept, told]


def _run_at(change: DayChange, plan: TakeHomePlan) -> list[date]:
    """The run the change's day's dose sends home (`run_from`); review 24b hole 8: for a correction above 0
    of an earlier day's dose, the run that left at that dose, whatever ended the plan since."""
    today = change.today
    run = run_from(plan, today)
    if today < change.real_today and change.total > 0 and plan.ended_on is not None and plan.ended_on > today:
        run = _run_unended(plan, today)
    return run


def _end_nothing_given(
    change: DayChange, plans: list[TakeHomePlan], not_out: list[tuple[TakeHomePlan, list[date]]]
) -> None:
    """`redecide_bottles`' last step when nothing given stands (a total of 0): a hold today ends the plans
    as it ends them with no dose (`_end_after_hold`); else each run that did not leave ends its plan
    (`_end_not_handed_out`)."""
    _end_after_hold(change.by, change.patient, plans, change.today, change.now)
    _end_not_handed_out(change.by, change.patient, not_out, change.today, change.now)


def take_back_after_end(by: User, patient: Patient, today: date, now: datetime) -> tuple[Reason, ...]:
    """Review 25c hole 4: nothing given stands on `today` (the dose's day: a void, a correction to 0 mg),
    and a plan that ended since (a prescriber's end, any end: `redecide_bottles` judges only the run of a
    plan that still covers it; one it took back is not taken back twice) holds as handed out the run that
    went home with that day's dose: its bottles
    are taken back as a standing plan's are (`_take_back_nothing_given`: `bottles_taken_back`, audited, the
    nurse told to call back), so every reader tells the same story of them whichever came first, the end or
    the void (FHIR `entered-in-error`, the call-back list's "maybe", `recorded_as_left(maybe=True)`). The
    plan's end is left as it was."""
    real_today = local_today(patient, now)
    said: list[Reason] = []
    ended = TakeHomePlan.objects.filter(patient=patient, ended_on__isnull=False)
    for plan in ended.order_by("decided_at", "id"):
        run = _run_unended(plan, today)
        if run:
            had, rest = _run_recorded(plan, run)
            said.extend(_take_back_nothing_given(by, patient, plan, had, rest, real_today))
    return tuple(said)


def _not_judged_on(plan: TakeHomePlan, today: date, zone: ZoneInfo) -> bool:
    """`redecide_bottles`' first step: a plan ended before `today` (the dose's day) hands nothing out at it,
    nor does a plan decided after that day (a correction of an earlier day's dose: its first run went home at
    the decision, `take_home_bottles.handed_out`)."""
    if plan.ended_on is not None and plan.ended_on < today:
        return True
    return plan.decided_at.astimezone(zone).date() > today


def _after_keep_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """A plan kept back on the change's day (`_kept_back_on`) goes on when the day's total now lets its run
    go home (`_go_on_after_kept_back`); a "nothing given" end of an earlier day is undone only by a dose given
    that day, never by a correction: lane end28, a correction back up of that day's dose leaves the end
    standing and makes its words true (`_corrected_back`)."""
    if change.today == change.real_today or not _nothing_given_on(plan, change.today):
        return _go_on_after_kept_back(change, plan)
    if change.total > 0:
        return _corrected_back(change, plan)
    return []


def _corrected_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end28: the dose of an earlier day (`change.today`) whose 0 mg (or void) ended the plan that day
    ("nothing given", `_nothing_given_on`; or this end again, `_again_after_corrected_back`) is corrected
    back up on a later day. The bottles of its run left with it (she did get it), so they may be at home,
    yet the end stands from that day: no day is covered again and the plan never goes on (re-covering a
    past day is where a double dose lies: she may have been dosed at the window since); a prescriber
    decides take-home doses again, as after every end the window writes. The end's kind becomes
    `PlanEnd.CORRECTED_BACK` (never read as a keep back nor a same-day "nothing given": `_kept_back_on`,
    `_nothing_given_on`), its reason says what happened (`CORRECTED_BACK_AT_HOME`, naming the bottles at
    home from today on, `bottles_at_home`, less those brought back; none: `CORRECTED_BACK_NONE_HOME`; a
    "brought back" note after it is kept), audited, and the nurse is told which bottles to call back for
    (`CORRECTED_BACK_CALL_BACK`) and which stay on the shelf (`ON_SHELF`)."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    day, today = change.today, change.real_today
    run = _run_unended(plan, day)
    back = brought_back_days(plan)
    home = bottles_at_home(change.patient, today).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run and d.isoformat() not in back}
    mg = f"{change.total.normalize():f}"
    # lane fix28c (review 28c hole 5), lane fix29c (review 29c hole 3): say what was done before
    before = _before_back_up(change.patient, day, plan)
    template = _CORRECTED_BACK_WORDS[before][0 if call else 1]
    days = ", ".join(sorted(call)) if call else ", ".join(d.isoformat() for d in run)
    text = template.format(days=days, day=day.isoformat(), mg=mg)
    plan.end_reason = text + _note_after(plan)
    plan.end_kind = PlanEnd.CORRECTED_BACK
    plan.save(update_fields=["end_reason", "end_kind"])
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan stays ended: the dose of the day it ended on was corrected back up",
        {"dose_day": day.isoformat(), "mg": mg, "still_at_home": sorted(call)},
    )
    told = _CORRECTED_BACK_WORDS[before][2]
    said = [_taken_back(told, call)] if call else []
    shelf = on_shelf(plan, run, today)
    if shelf:
        said.append(_stays_on_shelf(change, plan, shelf))
    return said


def _before_back_up(patient: Patient, day: date, plan: TakeHomePlan) -> str:
    """Lane fix28c (review 28c hole 5), lane fix29c (review 29c hole 3): what was done to the methadone dose
    of `day` that first ended the plan, as `_corrected_back` says it: "down" (a keep back at a lower total
    written over an earlier end, kept on the plan: `earlier_end` "over" `PlanEnd.KEPT_BACK`, read from the
    stored kind, never the English reason), else "voided" (the last amendment of that day's methadone doses
    before the newest one is a void) or "zero" (corrected to 0 mg)."""
    from keel.treatment.models import DoseAmendment, Medication

    if str((plan.earlier_end or {}).get("over") or "") == PlanEnd.KEPT_BACK:
        return "down"
    rows = DoseAmendment.objects.filter(
        dose__patient=patient, dose__local_date=day, dose__medication=Medication.METHADONE
    ).order_by("-amended_at", "-id")
    earlier = list(rows[:2])
    return "voided" if len(earlier) == 2 and earlier[1].voided else "zero"


# what `_corrected_back` writes (the end's words with bottles at home, with none) and tells the nurse, by
# what was done to the dose before it stood again (`_before_back_up`)
_CORRECTED_BACK_WORDS = {
    "zero": (CORRECTED_BACK_AT_HOME, CORRECTED_BACK_NONE_HOME, CORRECTED_BACK_CALL_BACK),
    "voided": (
        CORRECTED_BACK_AT_HOME_VOIDED,
        CORRECTED_BACK_NONE_HOME_VOIDED,
        CORRECTED_BACK_CALL_BACK_VOIDED,
    ),
    "down": (CORRECTED_BACK_AT_HOME_DOWN, CORRECTED_BACK_NONE_HOME_DOWN, CORRECTED_BACK_CALL_BACK_DOWN),
}


def _note_after(plan: TakeHomePlan) -> str:
    """What was added after a window's end reason since it was written (a "Brought back (...)" note,
    `take_homes.brought_back`; lane fix28d: an earlier end kept in the reason, `EARLIER_END`), kept when the
    reason is written again (`_corrected_back`)."""
    found = [at for mark in (_EARLIER_HEAD, " Brought back (") if (at := plan.end_reason.find(mark)) >= 0]
    return plan.end_reason[min(found) :] if found else ""


_EARLIER_HEAD = EARLIER_END.split("{day}", 1)[0]


def _again_after_corrected_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end28: another correction of the dose whose end `_corrected_back` wrote: up again, the words
    follow the new amount (`_corrected_back`); to 0 mg again, the end stands as it is and the nurse is told
    that the bottles recorded with that dose, which may have left, are to be called back (`TAKEN_BACK`)."""
    if change.total > 0:
        return _corrected_back(change, plan)
    from keel.treatment.queries.take_home_plans import bottles_at_home

    run = _run_unended(plan, change.today)
    back = brought_back_days(plan)
    home = bottles_at_home(change.patient, change.real_today, maybe=True).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run and d.isoformat() not in back}
    return [_taken_back(TAKEN_BACK, call)] if call else []


def _judge_run(
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
        patient, run, today, change.total, change.ctx, now, True, left_with=left_with, recorded=had
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


def _go_on_after_kept_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """A plan kept back earlier on the change's day (its run judged at a lower total, e.g. a split dose's
    first part) goes on when the day's total now lets its run go home; else it stays ended. Review 27a holes
    1 and 3: never over a bottle of its run recorded brought back (`on_shelf`, `_stays_on_shelf`)."""
    patient, today, total = change.patient, change.today, change.total
    # lane fix28c (review 28c hole 6): a hold on the real today stops a plan going on, not only one on the
    # dose's day (a correction of yesterday's dose after a hold today)
    if total <= 0 or _resume_refused(patient, plan, today, change.real_today):
        return []
    shelf = on_shelf(plan, _run_unended(plan, today), change.real_today)
    if shelf:  # review 27a holes 1 and 3: never over bottles recorded brought back; the plan stays ended
        if plan.end_kind == PlanEnd.NOTHING_GIVEN:  # lane fix28b (review 28b hole 3): a dose stands again
            _end_on_shelf(plan, shelf, today)
        return [_stays_on_shelf(change, plan, shelf)]
    ended = (plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind)
    _clear_end(plan)
    run = run_from(plan, today)
    amounts, blocked = (
        bottle_amounts(patient, run, today, total, change.ctx, change.now, True) if run else ({}, None)
    )
    if run and blocked is not None and ended[4] == PlanEnd.NOTHING_GIVEN:
        return _keep_back_after_nothing_given(change, plan, run, blocked)
    if not run or blocked is not None:
        plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = ended
        return []
    plan.save(update_fields=_END_FIELDS)
    _set_bottles(plan, {**(plan.bottle_mg or {}), **amounts})
    _audit_plan(
        change.by,
        patient,
        plan,
        "bottles handed out: the day's total changed",
        {"bottles": sorted(amounts), "mg": [amounts[d] for d in sorted(amounts)]},
    )
    return [_handed_out(amounts)]


def _end_on_shelf(plan: TakeHomePlan, shelf: list[date], day: date) -> None:
    """Lane fix28b (review 28b hole 3): today's "nothing given" end (`NOTHING_GIVEN`) after which a dose
    stands again today while bottles of the run are on the shelf: the plan stays stopped, and its end now
    says what stops it (`ON_SHELF_END`, stored as a keep back, `PlanEnd.KEPT_BACK`: no longer one a later
    dose today reads as "nothing given" to hand out, `goes_home_at_a_dose_today`). Its day, by and instant
    stand; the caller audits it (`_stays_on_shelf`)."""
    plan.end_reason = ON_SHELF_END.format(days=", ".join(d.isoformat() for d in shelf), day=day.isoformat())
    plan.end_kind = PlanEnd.KEPT_BACK
    plan.save(update_fields=["end_reason", "end_kind"])


def _stays_on_shelf(change: DayChange, plan: TakeHomePlan, shelf: list[date]) -> Reason:
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


def _voided_on(plan: TakeHomePlan, day: date) -> bool:
    """Lane end26: the plan's end is the "voided" end of the dose of `day` (`_end_not_handed_out` for an
    earlier day's dose corrected to 0 or voided: ended on `day`, `PlanEnd.VOIDED`, no earlier end carried)."""
    if plan.ended_on != day or plan.ended_by_id is None:
        return False
    if plan.end_kind == PlanEnd.VOIDED:
        return True
    # review 27a hole 4: the voided end written over a later end (a prescriber's), which it restores
    return plan.end_kind == PlanEnd.AFTER_EARLIER_END and _earlier_end(plan) is not None


def _earlier_end(
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


def _after_voided(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end26: an earlier day's dose corrected to 0 (or voided) ended the plan on that day
    (`VOIDED_NOT_HANDED_OUT`) and took the run's bottles back; a correction back up makes that dose stand
    again. The bottles left with it (the record said so), so the run is judged again as a correction of
    that dose from the record it had before the 0 (`_judge_run`, the bottles back at the mg they left
    with): allowed, the plan goes on and nobody calls the person back (`TAKE_BACK_UNDONE`); blocked, the
    keep back or the take-back from today of a direct correction to that total. Not after a hold today, nor
    when another plan covers a day of the run (`_resume_refused`): the end stands and, lane fix28c (review
    28c holes 2 and 3), its words say the dose stands again and its bottles may be at home
    (`_corrected_back`; the call-back of `amend_dose` tells the nurse of any no word names); nor over a
    bottle of the run recorded brought back (review 27a hole 2, `on_shelf`): the end stands and, lane fix29a
    (review 29a hole 3), its words say so too (`_corrected_back`: the bottles at home called back, those on
    the shelf stay there), never "not handed out". A voided end
    written over a prescriber's gives that end back whole (review 27a hole 4, `_earlier_end`), the nurse
    told only of the days it covers."""
    patient, day, today = change.patient, change.today, change.real_today
    run = _run_unended(plan, day)
    if not run:
        return []
    earlier = _earlier_end(plan)  # review 27a hole 4: a prescriber's end the voided end was written over
    if _resume_refused(patient, plan, day, today):
        # lane fix28c (review 28c holes 2 and 3): the end stands, but the dose stands again, so its words
        # no longer say the bottles were not handed out (`_corrected_back`). Lane fix28d (review 28d hole 3):
        # a prescriber's end kept under it stays in the words (`_note_after`), and the end stands from the
        # voided day as the corrected-back end (never read as undoable)
        return _corrected_back(change, plan)
    shelf = on_shelf(plan, run, today)
    # review 27a hole 2: never over bottles recorded brought back; the end stands. Lane fix28b (review 28b
    # hole 5): a prescriber's end that stops before the first of them is given back all the same (the days on
    # the shelf stay clinic days, past its end), and the nurse hears only of the days it covers
    if shelf and (earlier is None or earlier[0] >= shelf[0]):
        # lane fix29a (review 29a hole 3): the end stands, but the dose stands again: its words say the
        # bottles of the run may be at home (called back) and those brought back stay on the shelf
        # (`_corrected_back`, as on the hold and other-plan paths above), never "not handed out"
        return _corrected_back(change, plan)
    recorded = dict(plan.bottle_mg or {})
    back = brought_back_days(plan)
    back_in = {iso: mg for iso, mg in _taken_back_in(plan, run).items() if iso not in back}
    if earlier is None:
        _clear_end(plan)
    else:
        plan.ended_on, plan.ended_by_id, plan.ended_at, plan.end_reason, plan.end_kind = earlier
    plan.earlier_end = {}
    plan.save(update_fields=[*_END_FIELDS, "earlier_end"])
    if back_in:
        _set_bottles(plan, {**recorded, **back_in})
    run = [d for d in run if d.isoformat() not in back]  # lane fix28b: a bottle on the shelf stays there
    had, rest = _run_recorded(plan, run)
    restored = plan.ended_on, plan.end_kind
    said = _judge_run(change, plan, run, had, rest) if run else []
    if (plan.ended_on, plan.end_kind) != restored:
        return said
    ahead = [d.isoformat() for d in run if d >= today and (restored[0] is None or d <= restored[0])]
    _audit_handed_out(change.by, patient, plan, ahead, day)
    if not ahead:
        return said
    return [*said, Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead))]


def _over_earlier_on(
    plan: TakeHomePlan, day: date
) -> tuple[date, int | None, datetime | None, str, str] | None:
    """Lane fix29a (review 29a holes 1 and 2), lane fix29c (review 29c hole 1): the plan's end is one the dose
    path wrote over an earlier end (a prescriber's, stored `PlanEnd.AFTER_EARLIER_END`,
    `_end_keeping_earlier`)
    at the dose of `day`: a keep back (`PlanEnd.KEPT_BACK`) or a "nothing given" (`PlanEnd.NOTHING_GIVEN`)
    written on `day`, or a take-back (`PlanEnd.TAKEN_BACK`, `_take_back_from_today`) of the run that went
    home with that dose (its first day not covered is a day of that run). That earlier end (as
    `_earlier_end`); None otherwise. The one reading of all three, so one path gives the earlier end back
    (`_after_end_over_earlier`)."""
    if plan.ended_on is None or plan.ended_by_id is None or plan.end_kind != PlanEnd.AFTER_EARLIER_END:
        return None
    over = str((plan.earlier_end or {}).get("over") or "")
    if over in (PlanEnd.KEPT_BACK, PlanEnd.NOTHING_GIVEN) and plan.ended_on == day:
        return _earlier_end(plan, over)
    took_back = over == PlanEnd.TAKEN_BACK and plan.ended_on >= day
    if took_back and plan.ended_on + timedelta(days=1) in _run_unended(plan, day):
        return _earlier_end(plan, over)
    return None


def _after_end_over_earlier(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane fix29a (review 29a holes 1 and 2): a dose of the day stands again at a total above 0 (a correction
    back up, a split dose's later part) after a keep back or a "nothing given" of that day was written over
    an earlier end (`_over_earlier_on`: a prescriber's). As a plain keep back goes on (`_after_keep_back`),
    the end written over is given back whole (its day, by, at, reason and kind), when the window gives the
    run again (`bottle_amounts`, the bottles that left judged by the order in force when they left): the
    bottles of the run are recorded handed out again at the mg they left with, the days the earlier end
    covers from today on are covered again (`TAKE_BACK_UNDONE`; new bottles of those days, `HANDED_OUT`),
    and those past it that are at home stay called back, the nurse told once (`CORRECTION_CALL_BACK`),
    audited. A "nothing given" of an earlier day is undone by no correction (lane end28): its end stands and
    its words say the dose stands again (`_corrected_back`, the earlier end kept in the words). Blocked, after
    a hold, or another plan covering a day of the run (`_resume_refused`): the end stands. A bottle recorded
    brought back stays on the shelf (`plan_days` reads its day as a clinic day). The caller's
    `_never_over_window` ends the plan before a day dosed at the window."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    patient, day, today = change.patient, change.today, change.real_today
    kind = str((plan.earlier_end or {}).get("over") or "")
    earlier = _over_earlier_on(plan, day)
    if earlier is None:
        return []
    if kind == PlanEnd.NOTHING_GIVEN and day < today:
        return _corrected_back(change, plan)
    if _resume_refused(patient, plan, day, today):
        if kind == PlanEnd.KEPT_BACK and day < today:
            # lane fix29c (review 29c hole 3): the end stands (a hold since the dose, another plan), but the
            # dose stands again: its words follow it, as on the void path (`_corrected_back`; the earlier end
            # kept in the words), never the lower total's reason
            return _corrected_back(change, plan)
        return []
    back = brought_back_days(plan)
    run = [d for d in _run_unended(plan, day) if d.isoformat() not in back]
    if not run:
        return []
    recorded = dict(plan.bottle_mg or {})
    left = {**_taken_back_in(plan, run), **recorded}
    had = {d.isoformat(): left[d.isoformat()] for d in run if d.isoformat() in left}
    amounts, blocked = bottle_amounts(
        patient,
        run,
        day,
        change.total,
        change.ctx,
        change.now,
        True,
        left_with=_left_with(patient, day) if had else None,
        recorded=had,
    )
    if blocked is not None:
        return []
    last = earlier[0]
    new = {iso: mg for iso, mg in amounts.items() if iso not in had and date.fromisoformat(iso) <= last}
    plan.ended_on, plan.ended_by_id, plan.ended_at, plan.end_reason, plan.end_kind = earlier
    plan.earlier_end = {}
    plan.save(update_fields=[*_END_FIELDS, "earlier_end"])
    _set_bottles(plan, {**recorded, **had, **new})
    ahead = [iso for iso in sorted(had) if today.isoformat() <= iso <= last.isoformat()]
    _audit_handed_out(change.by, patient, plan, sorted({*ahead, *new}), day)
    said: list[Reason] = []
    if ahead:
        said.append(Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead)))
    if new:
        said.append(_handed_out(new))
    home = bottles_at_home(patient, today).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in sorted(home.items()) if d > last and d.isoformat() in had}
    if call:
        _audit_plan(
            change.by,
            patient,
            plan,
            "bottles at home called back after a correction",
            {"dose_day": day.isoformat(), "still_at_home": sorted(call)},
        )
        said.append(_taken_back(CORRECTION_CALL_BACK, call))
    return said


def restore_after_end(
    by: User, patient: Patient, today: date, now: datetime, total: Decimal, ctx: DoseContext
) -> tuple[Reason, ...]:
    """Lane end26, the other half of `take_back_after_end`: a dose of `today` (the dose's day) stands again
    (a correction back up after a 0 or a void) and a plan ended since (a prescriber's end, a discharge:
    `redecide_bottles` judges only the run of a plan that covers it) had its run that went home with that
    dose taken back by the 0: the bottles are recorded handed out again at the mg they left with (the plan's
    end is left as it was; its call-back list still names those at home), audited, and the nurse told
    (`HANDED_OUT`). Judged as `_undo_take_back` judges them (the order in force when they left); blocked,
    they stay taken back. Review 27a hole 5: a bottle recorded brought back stays on the shelf, never named
    as handed out again (`brought_back_days`)."""
    said: list[Reason] = []
    change = DayChange(by, patient, today, now, total, ctx, local_today(patient, now))
    ended = TakeHomePlan.objects.filter(patient=patient, ended_on__isnull=False).exclude(
        end_kind__in=_DOSE_PATH_ENDS
    )
    for plan in ended.order_by("decided_at", "id"):
        run = _run_unended(plan, today)
        recorded = dict(plan.bottle_mg or {})
        back_in = _taken_back_in(plan, run)
        # review 27a hole 5: a bottle recorded brought back is on the shelf, never handed out again
        shelf = brought_back_days(plan)
        back_in = {iso: mg for iso, mg in back_in.items() if iso not in recorded and iso not in shelf}
        if not back_in:
            continue
        _amounts, blocked = bottle_amounts(
            patient, run, today, total, ctx, now, True, left_with=_left_with(patient, today), recorded=back_in
        )
        if blocked is not None:
            continue
        _set_bottles(plan, {**recorded, **back_in})
        _audit_handed_out(by, patient, plan, sorted(back_in), today)
        # lane fix28b: a restored bottle of a day dosed at the window is called back, never "handed out"
        said.extend(_never_over_window(change, plan, [_handed_out(back_in)]))
    return tuple(said)


def window_end_words(by: User, patient: Patient, today: date, now: datetime) -> tuple[Reason, ...]:
    """Lane fix28c (review 28c hole 4), lane fix28d (review 28d holes 1 and 2): the words of every plan the
    window ended before a day dosed there (`PlanEnd.WINDOW_DOSED`, found by its stored kind, written by
    `_never_over_window`) said again from the one reading of the record (`queries.dosed_at_window`), after
    every correction (`today`: the corrected dose's day). The plan stays ended whatever the words (a
    prescriber decides take-home doses again): window days still standing are named (`WINDOW_DOSED_END`);
    none left, the end says the window dose no longer stands (`WINDOW_VOIDED_END`). A change is audited;
    when the corrected day was a named window day and is no longer one, the nurse is told
    (`WINDOW_VOIDED`). A kept earlier end or a "brought back" note after the words stays."""
    from keel.treatment.queries.take_home_plans import dosed_at_window

    said: list[Reason] = []
    ended = TakeHomePlan.objects.filter(
        patient=patient, end_kind=PlanEnd.WINDOW_DOSED, ended_on__isnull=False
    )
    for plan in ended.order_by("decided_at", "id"):
        reason = plan.end_reason or ""
        found = _window_end_pattern(WINDOW_DOSED_END).match(reason)
        named = _iso_days(found.group("day")) if found is not None else []
        found = found or _window_end_pattern(WINDOW_VOIDED_END).match(reason)
        if found is None or plan.ended_on is None:
            continue  # words this function did not write: left as they are
        days = _iso_days(found.group("days"))
        still = dosed_at_window(patient.pk, days)
        shown = ", ".join(d.isoformat() for d in days)
        if still:
            text = WINDOW_DOSED_END.format(days=shown, day=", ".join(d.isoformat() for d in still))
        else:
            first = plan.ended_on + timedelta(days=1)
            text = WINDOW_VOIDED_END.format(days=shown, day=(named[0] if named else first).isoformat())
        text += reason[found.end() :]
        if text == reason:
            continue
        plan.end_reason = text
        plan.save(update_fields=["end_reason"])
        _audit_plan(
            by,
            patient,
            plan,
            "plan stays ended: its end's window days said again",
            {"window_day": today.isoformat(), "still_dosed": [d.isoformat() for d in still]},
        )
        if today in named and today not in still:
            said.append(Reason.said(WINDOW_VOIDED, ("42cfr8.12-2024",), day=today.isoformat(), days=shown))
    return tuple(said)


def _window_end_pattern(template: str) -> re.Pattern[str]:
    """The words `WINDOW_DOSED_END` or `WINDOW_VOIDED_END` write, as a pattern (their `days` and `day` lists
    of ISO days)."""
    head, rest = template.split("{days}", 1)
    middle, tail = rest.split("{day}", 1)
    return re.compile(
        re.escape(head)
        + r"(?P<days>[0-9, -]+?)"
        + re.escape(middle)
        + r"(?P<day>[0-9, -]+?)"
        + re.escape(tail)
    )


def _iso_days(text: str) -> list[date]:
    """ISO days written comma-separated by an end's words."""
    return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]


_DOSE_PATH_ENDS = (
    # lane fix29a (review 29a hole 1): an end the dose path wrote over an earlier one is the dose path's
    PlanEnd.AFTER_EARLIER_END,
    PlanEnd.KEPT_BACK,
    PlanEnd.NOTHING_GIVEN,
    PlanEnd.VOIDED,
    PlanEnd.TAKEN_BACK,
    PlanEnd.HOLD,
    PlanEnd.CORRECTED_BACK,
    PlanEnd.WINDOW_DOSED,
)


def _undo_take_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Review 24b hole 3: a correction of the dose of `day` (the change's day) after which the window gives
    again the run that left with it undoes the same day's take-back (`_take_back_from_today`), as
    `_go_on_after_kept_back` undoes yesterday's: the plan stands again and the bottles taken back are handed
    out again at the mg they left with (judged by the order in force when they left). Not after a hold
    today, nor when another plan covers a day of the run (`_resume_refused`), nor over a bottle of the run
    recorded brought back (review 27a, `on_shelf`), nor when a dose given today stands and today is a day of
    the run (lane end28, defence in depth: the window refuses such a dose unless today's bottle came back,
    probe 27; were one recorded all the same, today is never made a take-home day again). The end's kind is
    cleared with the end."""
    patient, day, today, total = change.patient, change.today, change.real_today, change.total
    if total <= 0 or _resume_refused(patient, plan, day, today):
        return []
    run = _run_unended(plan, day)
    shelf = on_shelf(plan, run, today)
    if shelf:  # review 27a: never over bottles recorded brought back; the take-back stands
        return [_stays_on_shelf(change, plan, shelf)]
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
    if not run or blocked is not None:
        return []
    # review 27a's note: the end's kind goes with it (a running plan never keeps `taken_back`)
    _clear_end(plan)
    plan.save(update_fields=_END_FIELDS)
    _set_bottles(plan, kept)
    ahead = [d.isoformat() for d in run if d >= today]
    _audit_handed_out(change.by, patient, plan, ahead, day)
    return [Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead))]


def hand_out_at_dose(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    given: Decimal | None,
    ctx: DoseContext,
) -> tuple[Reason, ...]:
    """At an observed methadone dose given today (inside its transaction, under the person's lock): each
    standing plan's run going home now gets its amounts recorded, or, when the window would block one of
    them today, is not handed out (the plan ends today, audited). `plans`: the episode's plans the dose read
    (changed in place). Returns the reasons the dose's check carries of it."""
    return redecide_bottles(by, patient, plans, today, now, given or Decimal(0), ctx)


def _clear_end(plan: TakeHomePlan) -> None:
    """The plan's end cleared in memory (the caller saves `_END_FIELDS`): its day, by, at, reason and stored
    kind go together (review 27a's note: a running plan never keeps an end's kind)."""
    plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = None, None, None, "", ""
