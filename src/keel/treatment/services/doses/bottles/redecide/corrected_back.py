"""Lane end28, lane fix28c, lane fix29c: the words of an end that stands after the dose of its day was
corrected back up. No past day is covered again (a double dose lies there); the end becomes
`PlanEnd.CORRECTED_BACK`, its reason names the bottles at home from today on and what was done to the dose
before (`before_back_up`: down, voided or zero), and the nurse is told which to call back
(`corrected_back`, `again_after_corrected_back`)."""

from __future__ import annotations

from datetime import date

from keel.core.decision import Reason
from keel.core.dose_history import low_before, lowered_from
from keel.patients.models import Patient
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries.doses import day_steps
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _run_unended,
    _taken_back,
    brought_back_days,
    on_shelf,
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
    EARLIER_END,
    TAKEN_BACK,
)
from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.redecide.shelf import stays_on_shelf
from keel.treatment.services.doses.bottles.take_back import voided_words


def corrected_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end28: the dose of an earlier day (`change.today`) whose 0 mg (or void) ended the plan that day
    ("nothing given", `_nothing_given_on`; or this end again, `again_after_corrected_back`) is corrected
    back up on a later day. The bottles of its run left with it (she did get it), so they may be at home,
    yet the end stands from that day: no day is covered again and the plan never goes on (re-covering a
    past day is where a double dose lies: she may have been dosed at the window since); a prescriber
    decides take-home doses again, as after every end the window writes. The end's kind becomes
    `PlanEnd.CORRECTED_BACK` (never read as a keep back nor a same-day "nothing given": `_kept_back_on`,
    `_nothing_given_on`), its reason says what happened (`CORRECTED_BACK_AT_HOME`, naming the bottles at
    home from today on, `bottles_at_home`, less those brought back; none: `CORRECTED_BACK_NONE_HOME`; a
    "brought back" note after it is kept), audited, and the nurse is told which bottles to call back for
    (`CORRECTED_BACK_CALL_BACK`) and which stay on the shelf (`ON_SHELF`). Lane fix32a (review 32a hole 1):
    what was done before is read from the day's dose history (`core.dose_history.low_before`: down, voided,
    zero); a correction down (no lower total before since its last rise) the window would not give the run
    at is said as one (`reword.down_again`), never "back up"; one the window gives keeps the words of what
    the dose was lowered from before (`lowered_from`)."""
    from keel.treatment.queries.take_home_plans import bottles_at_home
    from keel.treatment.services.doses.bottles.redecide.reword import down_again

    day, today = change.today, change.real_today
    run = _run_unended(plan, day)
    back = brought_back_days(plan)
    home = bottles_at_home(change.patient, today).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run and d.isoformat() not in back}
    mg = f"{change.total.normalize():f}"
    # lane fix28c (review 28c hole 5), lane fix29c (review 29c hole 3): say what was done before; lane
    # fix32a (review 32a hole 1): read from the day's dose history, never "back up" from nothing
    # lane fix33a (review 32d hole 1): "back up" only since the last rise; a correction down after a void and
    # a back up the window would not give the run at is a correction down (`down_again`)
    steps = day_steps(change.patient.pk, day)
    low = low_before(steps)
    down = down_again(change, plan) if low is None else None
    if down is not None:
        return down
    before: str = low or lowered_from(steps) or _before_back_up(change.patient, day, plan)
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
    said = [_taken_back(told, call, plan.pk)] if call else []
    shelf = on_shelf(plan, run, today)
    if shelf:
        said.append(stays_on_shelf(change, plan, shelf))
    return said


def _before_back_up(patient: Patient, day: date, plan: TakeHomePlan) -> str:
    """Lane fix32a: what `corrected_back` says when the day's dose history shows no lower total before the one
    that stands (`core.dose_history.low_before`) and the window gives the run. Lane fix28c (review 28c
    hole 5), lane fix29c (review 29c hole 3): what was done to the methadone dose of `day` that first
    ended the plan, as `corrected_back` says it: "down" (a keep back at a lower total written over an
    earlier end, kept on the plan: `earlier_end` "over" `PlanEnd.KEPT_BACK`; lane fix30a, review 30a holes
    2 and 3: a plain keep back or take-back, `_DOWN_KINDS`; read from the stored kind, never the English
    reason), else "voided" (the last amendment of that day's methadone doses before the newest one is a
    void) or "zero" (corrected to 0 mg)."""
    from keel.treatment.models import DoseAmendment, Medication, newest_first

    if plan.end_kind in _DOWN_KINDS or str((plan.earlier_end or {}).get("over") or "") == PlanEnd.KEPT_BACK:
        return "down"
    rows = newest_first(  # in the order written (`AMENDMENT_ORDER`)
        DoseAmendment.objects.filter(
            dose__patient=patient, dose__local_date=day, dose__medication=Medication.METHADONE
        )
    )
    earlier = list(rows[:2])
    return "voided" if len(earlier) == 2 and earlier[1].voided else "zero"


# the ends a correction down writes (`_keep_back`, `_take_back_from_today`): "down" before a back up
_DOWN_KINDS = (PlanEnd.KEPT_BACK, PlanEnd.TAKEN_BACK)

# what `corrected_back` writes (the end's words with bottles at home, with none) and tells the nurse, by
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
    reason is written again (`corrected_back`)."""
    found = [at for mark in (_EARLIER_HEAD, " Brought back (") if (at := plan.end_reason.find(mark)) >= 0]
    return plan.end_reason[min(found) :] if found else ""


_EARLIER_HEAD = EARLIER_END.split("{day}", 1)[0]


def again_after_corrected_back(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane end28: another correction of the dose whose end `corrected_back` wrote: up again, the words
    follow the new amount (`corrected_back`); to 0 mg again (or voided), the end stands from its day and
    the nurse is told that the bottles recorded with that dose, which may have left, are to be called back
    (`TAKEN_BACK`). Lane fix30a (review 30p hole 3): its words follow the dose that stands no more (the
    voided end's, `voided_words`; the kind stays `PlanEnd.CORRECTED_BACK`, so a later correction back up
    comes here again and never covers a past day), a note after it kept (`_note_after`)."""
    if change.total > 0:
        return corrected_back(change, plan)
    return voided_since(change, plan)


def voided_since(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane fix30a (review 30p hole 3), lane fix30d (review 30d hole 4): the dose whose end this is (a
    corrected-back end, a keep back, a take-back of an earlier day) is voided or corrected to 0 mg: the end
    stands from its day, its words follow the dose that stands no more (`voided_words`; the stored kind
    kept, so a later correction comes to the same step), a note after it kept (`_note_after`), audited, and
    the nurse is told that the bottles recorded with that dose, which may have left, are to be called back
    (`TAKEN_BACK`)."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    run = _run_unended(plan, change.today)
    plan.end_reason = voided_words(plan, run, change.today) + _note_after(plan)
    plan.save(update_fields=["end_reason"])
    back = brought_back_days(plan)
    home = bottles_at_home(change.patient, change.real_today, maybe=True).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run and d.isoformat() not in back}
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan stays ended: the dose of the day it ended on was voided",
        {"dose_day": change.today.isoformat(), "still_at_home": sorted(call)},
    )
    return [_taken_back(TAKEN_BACK, call, plan.pk)] if call else []
