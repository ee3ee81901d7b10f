"""Lane fix31a (review 31a holes 1-4): the one re-wording of an end a correction down wrote (a keep back,
`_keep_back`; a take-back from today, `_take_back_from_today`; either written over a prescriber's end,
`PlanEnd.AFTER_EARLIER_END`) when its dose is corrected again to a total the window still would not give
the run after (80 -> 40 -> 60 mg; 80 -> 40 -> void -> 60 mg). Every path that leaves such a plan ended
calls `end_said_again` (`go_on._go_on_after_kept_back`, `undo.undo_take_back`,
`undo.after_take_back_since`, `prescriber_end._give_earlier_back`): the end stands, its words are said
again from the dose that stands now (the window's reason at that amount) in the end's own template, which
agrees with its stored kind (a keep back's words for `PlanEnd.KEPT_BACK`, a take-back's for
`PlanEnd.TAKEN_BACK`); words a void wrote since (`voided_since`: "voided or corrected to 0 mg") are said
again from the record (the bottles at home named for the call-back, as the call-back list and FHIR name
them); a note after the words kept (`_note_after`), audited. Lane fix32a (review 32a holes 1 and 2): the
bottles at home an end's own words name are read from the record too (`_from_record`), never kept from the
old words; a corrected-back end whose dose is corrected down again is said as a correction down
(`down_again`). Lane fix33b (review 33a holes 1-3): each bottle day is told by what the record says of that
day (`_day_states`, `core.take_home_bottles.bottle_day`); a keep back whose bottles never left stands after
a correction of its dose (`kept_back_stands`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from keel.core.decision import Reason
from keel.core.take_home_bottles import BottleDay, bottle_day
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _left_with,
    _run_unended,
    _taken_back,
    _taken_back_in,
    bottle_amounts,
    brought_back_days,
)
from keel.treatment.services.doses.bottles.reasons import (
    ALL_BACK_FROM_TODAY,
    CORRECTION_CALL_BACK,
    KEPT_BACK_AT_HOME,
    KEPT_BACK_STANDS,
    KEPT_BACK_STAYS,
    NOT_HANDED_OUT,
    TAKEN_BACK_FROM_TODAY,
    VOIDED_HANDED_OVER,
    VOIDED_NOT_HANDED_OUT,
    VOIDED_ON_SHELF,
)
from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.redecide.corrected_back import _note_after

# the end's own words by the kind of correction down that wrote it: (bottles at home, none at home)
_WORDS: dict[str, tuple[str, str]] = {
    PlanEnd.KEPT_BACK: (KEPT_BACK_AT_HOME, NOT_HANDED_OUT),
    PlanEnd.TAKEN_BACK: (TAKEN_BACK_FROM_TODAY, ALL_BACK_FROM_TODAY),
}


def end_said_again(change: DayChange, plan: TakeHomePlan, blocked: tuple[date, Decimal, Reason]) -> None:
    """Lane fix31a (review 31a holes 1-4): a keep back's or a take-back's end that stands after its dose
    was corrected again to a total the window still would not give the run after (`blocked`: the window's
    reason at that total): its words said again at the amount that stands (`_said_again`), a note after
    them kept, saved and audited when they change. Any other end (a prescriber's, a hold's, a "nothing
    given") is left as it is."""
    kind = _down_kind(plan)
    if kind is None:
        return
    note = _note_after(plan)
    head = plan.end_reason[: len(plan.end_reason) - len(note)]
    _day, mg, reason = blocked
    amount = f"{mg.normalize():f}"
    text = _said_again(change, plan, kind, head, {"mg": amount, "why": reason.text})
    if text is None or text == head:
        return
    plan.end_reason = text + note
    plan.save(update_fields=["end_reason"])
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan stays ended: its dose corrected again, still kept back",
        {"dose_day": change.today.isoformat(), "mg": amount},
    )


def _down_kind(plan: TakeHomePlan) -> str | None:
    """The correction down that wrote the plan's end, read from its stored kind (never the English):
    `PlanEnd.KEPT_BACK` or `PlanEnd.TAKEN_BACK`, or the same written over an earlier end
    (`PlanEnd.AFTER_EARLIER_END`, its `earlier_end` "over"); None for any other end."""
    kind = str(plan.end_kind or "")
    if kind == PlanEnd.AFTER_EARLIER_END:
        kind = str((plan.earlier_end or {}).get("over") or "")
    return kind if kind in _WORDS else None


def _said_again(
    change: DayChange, plan: TakeHomePlan, kind: str, head: str, now: dict[str, str]
) -> str | None:
    """The end's words (`head`, its note cut off) at the amount that stands (`now`: mg and the window's
    reason): the end's own template with the days the record gives (`_from_record`), or, none-home words
    whose every day the record still says the same of, their days kept; anything else, None (left as it is).
    Lane fix33b (review 33a hole 1): each day is told by what the record says of that day
    (`core.take_home_bottles.bottle_day`), never "none at home, so all brought back" nor "not handed out"
    of a bottle that went home and never came back."""
    from keel.treatment.end_words import _pattern

    at_home, none_home = _WORDS[kind]
    if _pattern(at_home).fullmatch(head) is not None:
        return _from_record(change, plan, kind, now)
    found = _pattern(none_home).fullmatch(head)
    if found is not None:
        try:
            named = [date.fromisoformat(iso.strip()) for iso in found["days"].split(",")]
        except ValueError:  # words not written with ISO days: the record's
            return _from_record(change, plan, kind, now)
        said = "brought_back" if kind == PlanEnd.TAKEN_BACK else "not_handed_out"
        states = _day_states(change, plan, named)
        if all(states.get(d) == said for d in named):
            return none_home.format(**{**found.groupdict(), **now})
        return _from_record(change, plan, kind, now)
    for template in (VOIDED_NOT_HANDED_OUT, VOIDED_HANDED_OVER, VOIDED_ON_SHELF, *_ALSO.get(kind, ())):
        if _pattern(template).fullmatch(head) is not None:
            return _from_record(change, plan, kind, now)
    return None


# lane fix33b: the words `_from_record` may write for a kind besides its own two (all brought back)
_ALSO: dict[str, tuple[str, ...]] = {PlanEnd.KEPT_BACK: (ALL_BACK_FROM_TODAY,)}


def _from_record(change: DayChange, plan: TakeHomePlan, kind: str, now: dict[str, str]) -> str:
    """Lane fix31a (review 31a hole 4), lane fix32a (review 32a hole 2): the end's own words read from the
    record, day by day (lane fix33b, review 33a hole 1: `_day_states`): the run's days after the end handed
    over and at home, or, none at home, those handed over whose day is gone, never brought back
    (`KEPT_BACK_AT_HOME`, `TAKEN_BACK_FROM_TODAY`); none such, those brought back (`ALL_BACK_FROM_TODAY`);
    else those never handed out (a keep back's `NOT_HANDED_OUT`)."""
    ahead = _ahead(change, plan)
    states = _day_states(change, plan, ahead)
    # lane fix32a (review 32a hole 2): those at home are called back, a day gone no longer named beside them;
    # none at home, those whose day is gone (lane fix32d: handed over, never brought back)
    out = [d for d, s in states.items() if s == "at_home"] or [d for d, s in states.items() if s == "gone"]
    back = [d for d, s in states.items() if s == "brought_back"]
    at_home, none_home = _WORDS[kind]
    template = at_home if out else ALL_BACK_FROM_TODAY if back else none_home
    days = out or back or list(states) or ahead
    shown = ", ".join(d.isoformat() for d in sorted(days))
    return template.format(days=shown, day=change.today.isoformat(), **now)


def _day_states(change: DayChange, plan: TakeHomePlan, days: list[date]) -> dict[date, BottleDay]:
    """Lane fix33b (review 33a hole 1): what the record says of each of `days` (`bottle_day`: brought back,
    at home, gone, never handed out), read from the plan's record of what left (`bottle_mg`, and
    `bottles_taken_back`: handed out, then called back) and of what came back (`brought_back_days`). A day
    past an earlier end kept under this one (a prescriber's) whose bottle never left is left out: it was
    never to go home."""
    left = {date.fromisoformat(iso) for iso in {**(plan.bottles_taken_back or {}), **(plan.bottle_mg or {})}}
    back = {date.fromisoformat(iso) for iso in brought_back_days(plan)}
    states = {d: bottle_day(d, today=change.real_today, left=left, returned=back) for d in days}
    last = (plan.earlier_end or {}).get("ended_on")
    if plan.end_kind == PlanEnd.AFTER_EARLIER_END and last:
        cap = date.fromisoformat(str(last))
        states = {d: s for d, s in states.items() if d <= cap or s != "not_handed_out"}
    return states


def _ahead(change: DayChange, plan: TakeHomePlan) -> list[date]:
    """The days of the run that went home with the dose of the change's day after the plan's end."""
    ended = plan.ended_on or change.today
    return [d for d in _run_unended(plan, change.today) if d > ended]


def _at_home(change: DayChange, plan: TakeHomePlan, ahead: list[date]) -> dict[str, str]:
    """The bottles of `ahead` at home now (`bottles_at_home`, less those recorded brought back): ISO day ->
    mg, the call-back's and the end's days."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    back = brought_back_days(plan)
    home = bottles_at_home(change.patient, change.real_today).get(plan.pk, {})
    return {d.isoformat(): str(mg) for d, mg in home.items() if d in ahead and d.isoformat() not in back}


def judged_again(
    change: DayChange, plan: TakeHomePlan, run: list[date]
) -> tuple[dict[str, str], tuple[date, Decimal, Reason] | None]:
    """The run the dose of the change's day sent home, judged again at the total that stands (the bottles
    that left judged by the order in force when they left, `bottle_amounts`): the bottles it left with (ISO
    day -> mg, those taken back since included) and the window's block (None: it would give them)."""
    patient, day = change.patient, change.today
    kept = {**_taken_back_in(plan, run), **(plan.bottle_mg or {})}
    had = {d.isoformat(): kept[d.isoformat()] for d in run if d.isoformat() in kept}
    _amounts, blocked = bottle_amounts(
        patient,
        run,
        day,
        change.total,
        change.ctx,
        change.now,
        True,
        left_with=_left_with(patient, day),
        recorded=had,
        plan=plan,
    )
    return kept, blocked


def down_again(change: DayChange, plan: TakeHomePlan) -> list[Reason] | None:
    """Lane fix32a (review 32a hole 1): an end that stands (a corrected-back end, `corrected_back`) whose dose
    is corrected down again (the day's dose history, `core.dose_history.low_before`: no lower total before
    the one that stands now) to a total the window would not give the run at (`judged_again`): never told
    "back up". The end's words are the correction down's own at that amount, from the record
    (`_from_record`: a keep back's for an end on the dose's day, a take-back's for one written since), a note
    after them kept, the stored kind kept (no past day is covered again: lane end28), audited; the nurse is
    told to call back the bottles at home (`CORRECTION_CALL_BACK`). None: the window gives the run (the
    caller's words stand)."""
    run = _run_unended(plan, change.today)
    _kept, blocked = judged_again(change, plan, run) if run else ({}, None)
    if blocked is None:
        return None
    kind = PlanEnd.KEPT_BACK if plan.ended_on == change.today else PlanEnd.TAKEN_BACK
    _day, mg, reason = blocked
    amount = f"{mg.normalize():f}"
    plan.end_reason = _from_record(change, plan, kind, {"mg": amount, "why": reason.text}) + _note_after(plan)
    plan.save(update_fields=["end_reason"])
    call = _at_home(change, plan, _ahead(change, plan))
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "plan stays ended: its dose corrected again, still kept back",
        {"dose_day": change.today.isoformat(), "mg": amount},
    )
    return [_taken_back(CORRECTION_CALL_BACK, call, plan.pk)] if call else []


# Lane fix33b (review 33a holes 2 and 3; the lead's decision for the same day): a keep back whose bottles
# never left the clinic (the window kept the run back at the dose of its day: `go_on.run_never_left`) and that
# dose corrected, not given at the window (`DayChange.at_window` False), to a total above 0, on its day or
# later (`corrected_after_keep_back`). A correction is never a hand-out. The run is judged at the new total
# first (`judged_again`): still blocked, the keep back is said again with the window's reason at that total
# (`NOT_HANDED_OUT`); no longer blocked, the end stands and says the bottles were kept back and stay at the
# clinic, the dose corrected to the total that stands (`KEPT_BACK_STANDS`), the nurse told once
# (`KEPT_BACK_STAYS`). Nothing is at home, the stored kind is kept (a later correction comes back here), a
# note after the words kept, audited; never "brought back", never "corrected down" of a dose corrected up.


def corrected_after_keep_back(change: DayChange, plan: TakeHomePlan, kind: str, never: bool) -> bool:
    """Whether `kept_back_stands` decides: a correction (never a dose at the window) to a total above 0 of
    the dose of a keep back (`kind`: the plan's end kind, or the kind an end over an earlier one was written
    over) whose run never left (`never`)."""
    return never and kind == PlanEnd.KEPT_BACK and change.total > 0 and not change.at_window


def kept_back_stands(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """The keep back of the change's day whose bottles never left stands after a correction of its dose
    (module docstring): its words said again at the total that stands, audited; the nurse told
    (`KEPT_BACK_STAYS`) when the window would now give the run, nothing said when it still would not (the
    keep back's own words)."""
    run = _run_unended(plan, change.today)
    _kept, blocked = judged_again(change, plan, run)
    days = _never_handed_out(change, plan) or run
    shown = ", ".join(d.isoformat() for d in days)
    if blocked is not None:
        _day, mg, reason = blocked
        text = NOT_HANDED_OUT.format(days=shown, mg=f"{mg.normalize():f}", why=reason.text)
        what = "plan stays ended: its dose corrected again, still kept back"
    else:
        mg = change.total
        text = KEPT_BACK_STANDS.format(days=shown, day=change.today.isoformat(), mg=f"{mg.normalize():f}")
        what = "plan stays ended: kept-back bottles never left, a correction does not hand them out"
    plan.end_reason = text + _note_after(plan)
    plan.save(update_fields=["end_reason"])
    amount = f"{mg.normalize():f}"
    _audit_plan(change.by, change.patient, plan, what, {"dose_day": change.today.isoformat(), "mg": amount})
    if blocked is not None:
        return []
    return [Reason.said(KEPT_BACK_STAYS, ("42cfr8.12-2024",), days=shown)]


def _never_handed_out(change: DayChange, plan: TakeHomePlan) -> list[date]:
    """The run's days after the end the record says never left (`reword._day_states`: a day past an earlier
    end kept under this one left out), in order."""
    states = _day_states(change, plan, _ahead(change, plan))
    return sorted(d for d, s in states.items() if s == "not_handed_out")
