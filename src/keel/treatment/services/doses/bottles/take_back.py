"""Take-back: a run that does not go home, or whose bottles the record takes back at a correction. The run
is kept back (`_keep_back`: the window would not give it today), taken back from today
(`_take_back_from_today`: a correction down of an earlier day's dose whose run reaches today), or not
handed out because nothing given stands (`_take_back_nothing_given`, `_end_not_handed_out`; after a hold,
`_end_after_hold`); each ends its plan through the one end that keeps an earlier one
(`_end_keeping_earlier`), audited (`common._audit_plan`), records what it takes back
(`_record_take_back`) and names the bottles still at home for the call-back (`hand_out._call_back_or`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.core.take_home_bottles import bottle_day
from keel.patients.models import Patient, local_today
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _call_back_or,
    _run_unended,
    _set_bottles,
    _taken_back,
    brought_back_days,
)
from keel.treatment.services.doses.bottles.reasons import (
    ALL_BACK_FROM_TODAY,
    CLOSURE_CALLED_OFF,
    EARLIER_END,
    HOLD_THEN_VOIDED,
    KEPT_BACK,
    KEPT_BACK_AT_HOME,
    KEPT_BACK_BEFORE,
    KEPT_BACK_CLOSURE_CALLED_OFF,
    KEPT_BACK_TODAY_ONLY,
    NOT_HANDED_OUT,
    NOTHING_GIVEN,
    PLAN_STOPS_ALL_BACK,
    SWITCH_TODAY_ONLY,
    TAKEN_BACK,
    TAKEN_BACK_FROM_TODAY,
    VOIDED_HANDED_OVER,
    VOIDED_NOT_HANDED_OUT,
    VOIDED_ON_SHELF,
)


def _take_back_nothing_given(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    had: dict[str, str],
    rest: dict[str, str],
    real_today: date,
) -> list[Reason]:
    """Nothing given on the day stands (a void, a correction to 0): the run's bottles recorded as handed
    out are taken back, audited, and the nurse is told (`TAKEN_BACK`); the plan's end follows the loop
    (`_end_after_hold`, `_end_not_handed_out`)."""
    if not had:
        return []
    _set_bottles(plan, rest)
    _audit_plan(
        by,
        patient,
        plan,
        "bottles taken back: the dose they went home with was voided",
        {"bottles": sorted(had), "mg": [had[d] for d in sorted(had)]},
    )
    # review 24b: a bottle of a day already past was drunk, one brought back is on the shelf: the nurse
    # calls back for neither
    back = brought_back_days(plan)
    call = {iso: mg for iso, mg in had.items() if iso >= real_today.isoformat() and iso not in back}
    return [_taken_back(TAKEN_BACK, call, plan.pk)] if call else []


def _end_not_handed_out(
    by: User, patient: Patient, not_out: list[tuple[TakeHomePlan, list[date]]], day: date, now: datetime
) -> None:
    """Review 23b holes 2 and 3: nothing given on `day` stands (its dose corrected to 0 or voided) and no
    hold ended the plans (`_end_after_hold`): each plan whose run was due to go home at that day's dose
    (`not_out`, from `redecide_bottles`, the one decision of every change of a day's total, whichever day)
    ends on `day`, before the run's first day, as the run did not leave the clinic:
    - `day` is today (`NOTHING_GIVEN`): a dose given later today undoes this end as it undoes a keep back
      (`_go_on_after_kept_back`: not after a hold today, nor over a prescriber's end);
    - an earlier day (`VOIDED_NOT_HANDED_OUT`): only when the run holds today or a later day (those are clinic
      days; a run wholly past is left as it is, only its record of the bottles taken back), and never undone
      by a dose.
    An end already on or before `day` stands (a hold, a keep back, a prescriber); a later one (a
    prescriber's) is kept in the reason, never undone.

    Why end the plan rather than make the window read the bottle record: a take-home day has ONE
    definition, a day a plan covers (`queries.plan_days`, with a bottle of an ended plan still in the
    person's hands, `held_bottles`), read by the window (`ctx.take_home_days`, `take_home_day_problem`),
    the medication page, the API and FHIR. A day whose bottle never left the clinic is a clinic day, so the
    plan stops covering it, as a hold and a keep back stop it: every reader then says the same, and nothing
    counts a bottle recorded as handed out that never was. A run whose hand-out day passed with no dose at
    all has no write to end its plan: the same end is derived on read (`queries.as_handed_out`, session
    24)."""
    today = local_today(patient, now)
    for plan, run in not_out:
        if plan.ended_on is not None and plan.ended_on <= day:
            continue
        if day < today and run[-1] < today:
            continue  # a run wholly past: its bottles' days are gone, the plan stands
        days = ", ".join(d.isoformat() for d in run)
        if day >= today:
            text, kind = NOTHING_GIVEN.format(days=days), PlanEnd.NOTHING_GIVEN
            reason = "bottles not handed out: no dose given today"
        else:
            text, kind = voided_words(plan, run, day), PlanEnd.VOIDED
            reason = "bottles not handed out: the dose they were to go home with was voided"
        _end_keeping_earlier(plan, by, day, now, text, kind)
        _audit_plan(
            by, patient, plan, reason, {"bottles": [d.isoformat() for d in run], "dose_day": day.isoformat()}
        )


def voided_words(plan: TakeHomePlan, run: list[date], day: date) -> str:
    """The end's words when the dose of an earlier `day` no longer stands (voided or corrected to 0 mg) and
    `run` went home with it (`VOIDED_NOT_HANDED_OUT`). Lane fix29c (review 29c hole 4): a bottle recorded
    brought back left and came back (shelf): never named "not handed out"; all of them on the shelf, the end
    says so (`VOIDED_ON_SHELF`). Lane fix34a (the lead's decision on review 34a's question 1): each day
    told by what the record says of it (`core.take_home_bottles.bottle_day`): the bottles that left and were
    not brought back are named as handed out and taken back (`VOIDED_HANDED_OVER`), never "not handed out";
    else those that never left (`VOIDED_NOT_HANDED_OUT`); else all brought back. One wording for
    `_end_not_handed_out` and lane fix30a's `again_after_corrected_back` (review 30p hole 3)."""
    left = {date.fromisoformat(iso) for iso in {**(plan.bottles_taken_back or {}), **(plan.bottle_mg or {})}}
    back = {date.fromisoformat(iso) for iso in brought_back_days(plan)}
    states = {d: bottle_day(d, today=day, left=left, returned=back) for d in run}
    out = [d for d in run if states[d] in ("at_home", "gone")]
    never = [d for d in run if states[d] == "not_handed_out"]
    template, named = (VOIDED_HANDED_OVER, out) if out else (VOIDED_NOT_HANDED_OUT, never)
    if not named:
        template, named = VOIDED_ON_SHELF, run
    return template.format(days=", ".join(d.isoformat() for d in named), day=day.isoformat())


def _end_keeping_earlier(
    plan: TakeHomePlan, by: User, last: date, at: datetime, text: str, kind: PlanEnd
) -> None:
    """The plan ends after `last` (its last covered day), by `by` at `at`, with `text` as its reason and
    `kind` as its stored end kind, saved (the caller audits it): an end it already had (a prescriber's later
    one, review 22t hole 6) is kept in the reason (`EARLIER_END`) and the kind says so
    (`PlanEnd.AFTER_EARLIER_END`: never undone). The one end of a keep back (`_keep_back`), of nothing given
    (`_end_not_handed_out`) and of a take back from today (`_take_back_from_today`)."""
    earlier = plan.ended_on, plan.end_reason
    kept: dict[str, object] = {}
    if earlier[0] is not None:  # review 27a hole 4: the end written over, kept whole to restore it
        kept = {
            "ended_on": earlier[0].isoformat(),
            "ended_by": plan.ended_by_id,
            "ended_at": plan.ended_at.isoformat() if plan.ended_at is not None else None,
            "end_reason": plan.end_reason,
            "end_kind": plan.end_kind,
            "over": str(kind),
        }
    if (plan.earlier_end or {}).get("held_on"):  # lane fix30a: a hold's day stays (`_called_back_after`)
        kept["held_on"] = plan.earlier_end["held_on"]
    plan.ended_on, plan.ended_by, plan.ended_at = last, by, at
    plan.end_reason, plan.end_kind, plan.earlier_end = text, kind, kept
    if earlier[0] is not None:
        from_day = earlier[0] + timedelta(days=1)
        plan.end_reason += EARLIER_END.format(day=from_day.isoformat(), reason=earlier[1] or "")
        plan.end_kind = PlanEnd.AFTER_EARLIER_END
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind", "earlier_end"])


def _end_after_hold(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    not_out: list[tuple[TakeHomePlan, list[date]]],
) -> None:
    """Review 22t hole 7: nothing given today after a hold (a dose corrected to 0 or voided after the hold
    kept the run covered because a dose stood): the plans end as the hold ends them when no dose was
    given (`suspend_take_home_plans`, the other order of the same events), so no day stays covered with
    no bottle. Lane take31: a plan the hold ends whose run went home with that dose (`not_out`) says so in
    its end (`hold_voided_words`)."""
    from keel.treatment.queries.contexts import hold_open_today
    from keel.treatment.services.take_homes import suspend_take_home_plans

    if not hold_open_today(patient, today):
        return
    if suspend_take_home_plans(by=by, patient=patient, held_on=today, now=now):
        for plan in plans:
            plan.refresh_from_db(fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"])
    for plan, run in not_out:
        hold_voided_words(plan, run, today)


def hold_voided_words(plan: TakeHomePlan, run: list[date], day: date) -> None:
    """Lane take31 (review 30d hole 3's leftover): the hold's end of `plan` on `day` (`HOLD_SUSPENDS`,
    re-run by `_end_after_hold`) when the dose of `day` that `run` went home with stands no more: re-worded
    as the hold told once and that dose voided, its bottles not brought back named as maybe at home
    (`HOLD_THEN_VOIDED`), an earlier end or a note after the hold's words kept. Saved; no other end is
    touched."""
    from keel.treatment.services.take_homes import HOLD_SUSPENDS

    held = HOLD_SUSPENDS.format(day=day.isoformat())
    reason = plan.end_reason or ""
    if plan.end_kind != PlanEnd.HOLD or not reason.startswith(held):
        return
    back = brought_back_days(plan)
    out = [d.isoformat() for d in run if d.isoformat() not in back]
    if not out:
        return
    tail = reason[len(held) :]
    if tail.startswith(_VOIDED_AFTER_HOLD):
        return  # said already (the same void read again)
    plan.end_reason = HOLD_THEN_VOIDED.format(day=day.isoformat(), days=", ".join(out)) + tail
    plan.save(update_fields=["end_reason"])


def hold_voided_again(plan: TakeHomePlan, day: date) -> None:
    """Lane fix32a (review 32a hole 4): the dose of `day` is voided (or 0 mg) again after a hold's end on
    `day` (`PlanEnd.HOLD`: an earlier void's `_end_after_hold` moved the end to the hold's day, so no run is
    judged). The run that went home with that dose is found from the record (`_run_unended`: the bottles
    recorded handed out with it, or taken back since) and the hold's end says again that it went home with
    a dose that stands no more (`hold_voided_words`), the same words as after the first void."""
    if plan.ended_on != day or plan.end_kind != PlanEnd.HOLD:
        return
    left = {**(plan.bottles_taken_back or {}), **(plan.bottle_mg or {})}
    run = [d for d in _run_unended(plan, day) if d.isoformat() in left]
    if run:
        hold_voided_words(plan, run, day)


def hold_dose_stands(plan: TakeHomePlan, day: date) -> None:
    """Lane take31: the dose of `day` whose void `hold_voided_words` told in a hold's end stands again (a
    correction back up after the hold was released): the end says the hold alone again, as before the void
    (the bottles at home are on the call-back list and the correction tells them), a note after it kept."""
    from keel.treatment.services.take_homes import HOLD_SUSPENDS

    held = HOLD_SUSPENDS.format(day=day.isoformat())
    reason = plan.end_reason or ""
    if plan.end_kind != PlanEnd.HOLD or not reason.startswith(held + _VOIDED_AFTER_HOLD):
        return
    at = reason.find(_VOIDED_END, len(held))
    if at < 0:
        return
    plan.end_reason = held + reason[at + len(_VOIDED_END) :]
    plan.save(update_fields=["end_reason"])


# what `HOLD_THEN_VOIDED` says after the hold's own words, up to its days, and after its days
_VOIDED_AFTER_HOLD = HOLD_THEN_VOIDED.split("again.", 1)[1].split("{days}", 1)[0]
_VOIDED_END = HOLD_THEN_VOIDED.split("{days}", 1)[1]


# The nurse's words of a run kept back for a why that is not the window's verdict on its dose.
_KEPT_BACK_SAYS = {
    SWITCH_TODAY_ONLY: KEPT_BACK_TODAY_ONLY,
    CLOSURE_CALLED_OFF: KEPT_BACK_CLOSURE_CALLED_OFF,
}


def _keep_back(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    run: list[date],
    today: date,
    now: datetime,
    blocked: tuple[date, Decimal, Reason],
    *,
    home: dict[str, str] | None = None,
) -> Reason:
    """The run is not handed out: the plan ends today, just before `now` (review 22n hole 5), audited.
    `home`: the run's bottles already handed out with the dose of `today` and not brought back (ISO day ->
    mg; a correction down after they left): the kept reason says they are still at home and the person is
    to be called back (`KEPT_BACK_AT_HOME`, lane bot25, review 24c hole 2), never "not handed out". The nurse
    is told once: call the person back for them (`TAKEN_BACK_PLAN_STOPS`, `hand_out._call_back_or`), else
    `KEPT_BACK` when none is at home."""
    _day, mg, reason = blocked
    days = ", ".join(d.isoformat() for d in run)
    text = NOT_HANDED_OUT.format(days=days, mg=f"{mg.normalize():f}", why=reason.text)
    if home:
        text = KEPT_BACK_AT_HOME.format(
            days=", ".join(sorted(home)), day=today.isoformat(), mg=f"{mg.normalize():f}", why=reason.text
        )
    _end_keeping_earlier(plan, by, today, now - KEPT_BACK_BEFORE, text, PlanEnd.KEPT_BACK)  # review 22t: 6
    _audit_plan(
        by,
        patient,
        plan,
        "bottles not handed out: the window would not give their dose",
        {"bottles": [d.isoformat() for d in run], "mg": str(mg)},
    )
    kept = Reason.said(
        _KEPT_BACK_SAYS.get(reason.template, KEPT_BACK),  # lane fix37c item 2; review 39a hole 2
        (*reason.sources, "42cfr8.12-2024"),
        days=days,
        mg=f"{mg.normalize():f}",
    )
    return _call_back_or(home or {}, kept, plan.pk)


def _record_take_back(
    plan: TakeHomePlan, bottle_mg: dict[str, str], had: dict[str, str], left: dict[str, str]
) -> None:
    """A take-back's write of the plan's bottles (`_set_bottles`: `bottle_mg` what stays handed out, `left`
    the bottles at home it takes back) when it takes back any: review 25c hole 2, the hand-out taken back is
    recorded, silent record (`had` empty) or not."""
    if had or left:
        _set_bottles(plan, bottle_mg, left=left)


def _take_back_from_today(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    run: list[date],
    day: date,
    now: datetime,
    blocked: tuple[date, Decimal, Reason],
) -> Reason:
    """Lane fix23d: a correction of the dose of `day` (before yesterday) blocks its run, which began before
    today and reaches today: the bottles of days before today stand; those of today and later are taken back
    and the plan ends yesterday (a later end, a prescriber's, kept in the reason), audited. Review 24b: the
    bottles of today and later that are at home (`bottles_at_home`: handed out with that dose and not
    brought back, recorded or not, whatever ended the plan since; holes 4, 7 and 8) are named in the
    call-back (`TAKEN_BACK_PLAN_STOPS`) and in the kept reason (`TAKEN_BACK_FROM_TODAY`); they stay at home
    for every reader until recorded brought back. None at home: `PLAN_STOPS_ALL_BACK`."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    _day, mg, reason = blocked
    today = local_today(patient, now)
    ahead = [d for d in run if d >= today]
    home = {d: held for d, held in bottles_at_home(patient, today).get(plan.pk, {}).items() if d in ahead}
    recorded = dict(plan.bottle_mg or {})
    back = brought_back_days(plan)
    had = {d.isoformat(): recorded[d.isoformat()] for d in ahead if d.isoformat() in recorded}
    had = {iso: held for iso, held in had.items() if iso not in back}
    left = {d.isoformat(): str(held) for d, held in home.items()}
    _record_take_back(plan, {iso: held for iso, held in recorded.items() if iso not in had}, had, left)
    days = ", ".join(d.isoformat() for d in sorted(home)) if home else ", ".join(d.isoformat() for d in ahead)
    template = TAKEN_BACK_FROM_TODAY if home else ALL_BACK_FROM_TODAY
    text = template.format(days=days, day=day.isoformat(), mg=f"{mg.normalize():f}", why=reason.text)
    _end_keeping_earlier(plan, by, today - timedelta(days=1), now, text, PlanEnd.TAKEN_BACK)
    _audit_plan(
        by,
        patient,
        plan,
        "bottles taken back: the dose they went home with was corrected down",
        {
            "bottles": [d.isoformat() for d in ahead],
            "still_at_home": [d.isoformat() for d in sorted(home)],
            "dose_day": day.isoformat(),
        },
    )
    return _call_back_or(
        left, Reason.said(PLAN_STOPS_ALL_BACK, (*reason.sources, "42cfr8.12-2024"), days=days), plan.pk
    )
