"""Review 22o: the one decision of the bottles going home after a day (`redecide_bottles`), made again at
every change of that day's given methadone total (a dose at the window, `hand_out_at_dose`; a correction or
a void, `doses.corrections`; nothing given after an end, `take_back_after_end`). It builds one `DayChange`
and sends each plan to its step (`_redecide_plan`): a keep back going on (`go_on`), an end over a
prescriber's (`prescriber_end`), a corrected-back end (`corrected_back`), a voided end (`voided`), a
take-back undone (`undo`), or the run judged; each re-covering step is guarded by
`window.never_over_window`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries import DoseContext
from keel.treatment.services.doses.bottles.hand_out import (
    _run_recorded,
    _run_unended,
    run_from,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _kept_back_on,
    _taken_back_from,
)
from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.redecide.corrected_back import again_after_corrected_back
from keel.treatment.services.doses.bottles.redecide.go_on import after_keep_back, judge_run
from keel.treatment.services.doses.bottles.redecide.prescriber_end import (
    after_end_over_earlier,
    over_earlier_on,
)
from keel.treatment.services.doses.bottles.redecide.undo import (
    after_take_back_since,
    taken_back_since,
    undo_take_back,
)
from keel.treatment.services.doses.bottles.redecide.voided import after_voided, voided_on
from keel.treatment.services.doses.bottles.redecide.window import never_over_window
from keel.treatment.services.doses.bottles.take_back import (
    _end_after_hold,
    _end_not_handed_out,
    _take_back_nothing_given,
    hold_dose_stands,
    hold_voided_again,
)


def redecide_bottles(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
    at_window: bool = False,
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
    the reasons the dose's check carries and the correction tells (`amend_dose`). `at_window`: a dose given
    at the window (`hand_out_at_dose`), not a correction."""
    said: list[Reason] = []
    not_out: list[tuple[TakeHomePlan, list[date]]] = []  # nothing given: runs that did not leave
    zone = zone_of(patient)
    real_today = local_today(patient, now)
    change = DayChange(by, patient, today, now, total, ctx, real_today, at_window)
    for plan in plans:
        said.extend(_redecide_plan(change, plan, zone, not_out))
    if total <= 0:
        _end_nothing_given(change, plans, not_out)
    return tuple(said)


def _redecide_plan(
    change: DayChange, plan: TakeHomePlan, zone: ZoneInfo, not_out: list[tuple[TakeHomePlan, list[date]]]
) -> list[Reason]:
    """`redecide_bottles`' step for one plan: a plan not judged that day is passed over (`_not_judged_on`);
    one whose end that day's change may undo goes on (`after_keep_back`, `after_voided`,
    `undo_take_back`); else its run (`_run_at`) is taken back when nothing is given (added to `not_out`,
    whose plans `_end_nothing_given` ends) or judged (`judge_run`)."""
    today, total, real_today = change.today, change.total, change.real_today
    if _not_judged_on(plan, today, zone):
        return []
    if _kept_back_on(plan, today):
        return never_over_window(change, plan, after_keep_back(change, plan))
    if (total > 0 or today < real_today) and over_earlier_on(plan, today) is not None:
        # lane fix29a (review 29a holes 1 and 2): a keep back or "nothing given" written over an earlier end;
        # lane fix32a (review 32a hole 3): an earlier day's such dose voided too (its words; no re-cover)
        said = after_end_over_earlier(change, plan)
        return never_over_window(change, plan, said) if total > 0 else said
    if today < real_today and plan.ended_on == today and plan.end_kind == PlanEnd.CORRECTED_BACK:
        return again_after_corrected_back(change, plan)  # lane end28: the end stands, its words follow
    if total > 0 and today < real_today and voided_on(plan, today):
        # lane end26: a correction back up of the dose whose 0 ended the plan on its day
        return never_over_window(change, plan, after_voided(change, plan))
    if today < real_today and _taken_back_from(plan, today, real_today):
        # review 24b hole 3: the slip's take-back, undone when the total lets the run go
        return never_over_window(change, plan, undo_take_back(change, plan))
    if total > 0 and plan.ended_on == today:
        hold_dose_stands(plan, today)  # lane take31: a hold's end that told the dose voided
    if today < real_today and taken_back_since(plan, today):
        # lane fix31a (review 31a hole 6): a take-back written on an earlier day stands; never "handed out"
        return after_take_back_since(change, plan)
    if total <= 0:
        hold_voided_again(plan, today)  # lane fix32a (review 32a hole 4): the hold's end moved to its day
    run = _run_at(change, plan)
    if not run:
        return []
    had, rest = _run_recorded(plan, run)
    if total <= 0:
        not_out.append((plan, run))
        return _take_back_nothing_given(change.by, change.patient, plan, had, rest, real_today)
    return judge_run(change, plan, run, had, rest)


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
    _end_after_hold(change.by, change.patient, plans, change.today, change.now, not_out)
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
    return redecide_bottles(by, patient, plans, today, now, given or Decimal(0), ctx, at_window=True)
