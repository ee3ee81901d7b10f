"""Lane fix29a, lane fix29c (review 29a holes 1-2, 29c hole 1): a prescriber's end under a dose-path end.
`over_earlier_on` reads the one case (a keep back, a "nothing given" or a take-back written over an earlier
end, `PlanEnd.AFTER_EARLIER_END`); `after_end_over_earlier` gives that end back whole when the dose stands
again and the window gives the run (lane fix33a: a hold's end under today's "nothing given" given back
when the dose stands again, `hold_given_back`); `restore_after_end` (lane end26) hands out again the
bottles a 0 took back from a plan ended since by a prescriber or a discharge (never a dose-path end,
`_DOSE_PATH_ENDS`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.patients.models import Patient, local_today
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries import DoseContext
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _audit_handed_out,
    _handed_out,
    _left_with,
    _run_unended,
    _set_bottles,
    _taken_back,
    _taken_back_in,
    bottle_amounts,
    brought_back_days,
)
from keel.treatment.services.doses.bottles.kept_back import (
    _resume_refused,
    other_plan_covers,
)
from keel.treatment.services.doses.bottles.reasons import (
    AT_HOME_AFTER_HOLD,
    AT_HOME_PAST_END,
    CORRECTION_CALL_BACK,
    TAKE_BACK_UNDONE,
)
from keel.treatment.services.doses.bottles.redecide.change import END_FIELDS, DayChange, held_only
from keel.treatment.services.doses.bottles.redecide.corrected_back import corrected_back, voided_since
from keel.treatment.services.doses.bottles.redecide.go_on import judge_run, kept_back_stays, run_never_left
from keel.treatment.services.doses.bottles.redecide.reword import (
    corrected_after_keep_back,
    end_said_again,
    kept_back_stands,
)
from keel.treatment.services.doses.bottles.redecide.voided import earlier_end
from keel.treatment.services.doses.bottles.redecide.window import never_over_window
from keel.treatment.services.doses.bottles.told import note_told


def over_earlier_on(
    plan: TakeHomePlan, day: date
) -> tuple[date, int | None, datetime | None, str, str] | None:
    """Lane fix29a (review 29a holes 1 and 2), lane fix29c (review 29c hole 1): the plan's end is one the dose
    path wrote over an earlier end (a prescriber's, stored `PlanEnd.AFTER_EARLIER_END`,
    `_end_keeping_earlier`)
    at the dose of `day`: a keep back (`PlanEnd.KEPT_BACK`) or a "nothing given" (`PlanEnd.NOTHING_GIVEN`)
    written on `day`, or a take-back (`PlanEnd.TAKEN_BACK`, `_take_back_from_today`) of the run that went
    home with that dose (its first day not covered is a day of that run). That earlier end (as
    `earlier_end`); None otherwise. The one reading of all three, so one path gives the earlier end back
    (`after_end_over_earlier`)."""
    if plan.ended_on is None or plan.ended_by_id is None or plan.end_kind != PlanEnd.AFTER_EARLIER_END:
        return None
    over = str((plan.earlier_end or {}).get("over") or "")
    if over in (PlanEnd.KEPT_BACK, PlanEnd.NOTHING_GIVEN) and plan.ended_on == day:
        return earlier_end(plan, over)
    took_back = over == PlanEnd.TAKEN_BACK and plan.ended_on >= day
    if took_back and plan.ended_on + timedelta(days=1) in _run_unended(plan, day):
        return earlier_end(plan, over)
    return None


def after_end_over_earlier(change: DayChange, plan: TakeHomePlan) -> list[Reason]:
    """Lane fix29a (review 29a holes 1 and 2): a dose of the day stands again at a total above 0 (a correction
    back up, a split dose's later part) after a keep back or a "nothing given" of that day was written over
    an earlier end (`over_earlier_on`: a prescriber's). As a plain keep back goes on (`after_keep_back`),
    the end written over is given back whole (its day, by, at, reason and kind), when the window gives the
    run again (`bottle_amounts`, the bottles that left judged by the order in force when they left): the
    bottles of the run are recorded handed out again at the mg they left with, the days the earlier end
    covers from today on are covered again (`TAKE_BACK_UNDONE`; new bottles of those days, `HANDED_OUT`),
    and those past it that are at home stay called back, the nurse told once (`CORRECTION_CALL_BACK`),
    audited. A "nothing given" of an earlier day is undone by no correction (lane end28), nor a keep back
    of an earlier day whose bottles never left (lane fix32d, review 32d hole 4): its end stands and its
    words say the dose stands again (`corrected_back`, the earlier end kept in the words). Blocked, after
    a hold, or another plan covering a day of the run (`_resume_refused`): the end stands. A bottle recorded
    brought back stays on the shelf (`plan_days` reads its day as a clinic day). Lane fix33a (review 32d
    hole 2): today's "nothing given" written over a hold's end of the same day, its dose standing again:
    the hold's end is given back (`hold_given_back`). The caller's
    `never_over_window` ends the plan before a day dosed at the window. Lane fix32a (review 32a hole 3): a
    void (or 0 mg) of an earlier day's dose whose keep back or take-back was written over the earlier end:
    the end stands, re-worded as voided and the nurse told (`voided_since`), as without the earlier end."""
    patient, day, today = change.patient, change.today, change.real_today
    kind = str((plan.earlier_end or {}).get("over") or "")
    earlier = over_earlier_on(plan, day)
    if earlier is None:
        return []
    if change.total <= 0:
        # lane fix32a (review 32a hole 3): the earlier day's dose a keep back or a take-back was written at is
        # voided (or 0 mg): the end stands, its words say so and the nurse is told, as without the earlier end
        voided = kind in (PlanEnd.KEPT_BACK, PlanEnd.TAKEN_BACK) and day < today
        return voided_since(change, plan) if voided else []
    never = kind == PlanEnd.KEPT_BACK and run_never_left(plan, day)
    if corrected_after_keep_back(change, plan, kind, never):
        return kept_back_stands(change, plan)  # lane fix33b (review 33a holes 2, 3): never a hand-out
    if (kind == PlanEnd.NOTHING_GIVEN or never) and day < today:
        # lane fix32d (review 32d hole 4): an earlier day's keep back whose bottles never left stands too
        return corrected_back(change, plan)
    if _resume_refused(patient, plan, day, today):
        if kind == PlanEnd.KEPT_BACK and day < today:
            # lane fix29c (review 29c hole 3): the end stands (a hold since the dose, another plan), but the
            # dose stands again: its words follow it, as on the void path (`corrected_back`; the earlier end
            # kept in the words), never the lower total's reason; lane fix33a (review 32d hole 5's family):
            # still blocked at the total that stands, the keep back said again, never "back up"
            return kept_back_stays(change, plan)
        if kind == PlanEnd.NOTHING_GIVEN:
            # lane fix33a (review 32d hole 2): today's "nothing given" over a released hold's end, and a dose
            # stands again: the hold's end given back, never "no dose given today stands"
            return hold_given_back(change, plan, earlier) or []
        return []
    back = brought_back_days(plan)
    run = [d for d in _run_unended(plan, day) if d.isoformat() not in back]
    if not run:
        return []
    return _give_earlier_back(change, plan, run, earlier)


def hold_given_back(
    change: DayChange, plan: TakeHomePlan, earlier: tuple[date, int | None, datetime | None, str, str]
) -> list[Reason] | None:
    """Lane fix33a (review 32d hole 2): today a dose sent a run home, a hold later that day ended the plan
    after that run (`earlier`, from `over_earlier_on`: `PlanEnd.HOLD`; the bottles at home stay covered,
    `suspend_take_home_plans`), the hold was released and the dose voided (or 0 mg), so today's "nothing
    given" end was written over the hold's; now a dose stands again today (a correction back up, a new
    dose at the window). The void is undone as the other order of the same events undoes it (hold open at
    the void, released, back up: `take_back.hold_dose_stands`), when no other plan covers a day of the run
    (no double supply): the hold's end is given back whole (last covered day, by, at, words, kind; the
    hold's day kept for the call-back list, `held_only`), the run's bottles not brought back recorded handed
    out again at the mg they left with, and the run judged at the total that stands (`judge_run`, as a
    direct correction judges it): given, audited and the nurse told they are at home after the hold
    (`AT_HOME_AFTER_HOLD`); blocked, the keep back that correction writes over the hold's end (the window's
    reason, the bottles at home called back). None: not this case (the caller's words stand)."""
    day = change.today
    if day != change.real_today or earlier[4] != PlanEnd.HOLD:
        return None
    if other_plan_covers(change.patient, plan, day):
        return None
    plan.ended_on, plan.ended_by_id, plan.ended_at, plan.end_reason, plan.end_kind = earlier
    plan.earlier_end = held_only(plan)
    plan.save(update_fields=[*END_FIELDS, "earlier_end"])
    back = brought_back_days(plan)
    run = [d for d in _run_unended(plan, day) if d <= earlier[0]]
    isos = {d.isoformat() for d in run}
    left = {**_taken_back_in(plan, run), **(plan.bottle_mg or {})}
    had = {iso: left[iso] for iso in sorted(isos) if iso in left and iso not in back}
    if not had:
        return []
    rest = {iso: mg for iso, mg in (plan.bottle_mg or {}).items() if iso not in isos}
    _set_bottles(plan, {**rest, **had})
    said = judge_run(change, plan, run, had, rest)
    if plan.end_kind != PlanEnd.HOLD:
        return said  # blocked at the total that stands: kept back over the hold's end
    _audit_handed_out(change.by, change.patient, plan, sorted(had), day)
    note_told(plan.pk, had)
    shown = "; ".join(f"{iso} {Decimal(mg).normalize():f} mg" for iso, mg in sorted(had.items()))
    return [*said, Reason.said(AT_HOME_AFTER_HOLD, ("42cfr8.12-2024",), bottles=shown)]


def _give_earlier_back(
    change: DayChange,
    plan: TakeHomePlan,
    run: list[date],
    earlier: tuple[date, int | None, datetime | None, str, str],
) -> list[Reason]:
    """`after_end_over_earlier`'s give-back (lane fix29a): the run (less bottles on the shelf) judged by the
    window again (`bottle_amounts`, the bottles that left judged by the order in force when they left);
    blocked, the end stands. Allowed: the end written over (`earlier`, from `over_earlier_on`) is given back
    whole, the run's bottles recorded handed out again at the mg they left with, and the nurse told of the
    days covered again from today on (`TAKE_BACK_UNDONE`), of new bottles of those days (`HANDED_OUT`) and of
    those past the end still at home (`_call_back_past`)."""
    patient, day, today = change.patient, change.today, change.real_today
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
        plan=plan,
    )
    if blocked is not None:  # lane fix31a (review 31a hole 3): the end stands, its words follow the dose
        end_said_again(change, plan, blocked)
        return []
    last = earlier[0]
    new = {iso: mg for iso, mg in amounts.items() if iso not in had and date.fromisoformat(iso) <= last}
    plan.ended_on, plan.ended_by_id, plan.ended_at, plan.end_reason, plan.end_kind = earlier
    plan.earlier_end = held_only(plan)  # lane fix30a: a hold's day stays
    plan.save(update_fields=[*END_FIELDS, "earlier_end"])
    _set_bottles(plan, {**recorded, **had, **new})
    ahead = [iso for iso in sorted(had) if today.isoformat() <= iso <= last.isoformat()]
    _audit_handed_out(change.by, patient, plan, sorted({*ahead, *new}), day)
    said: list[Reason] = []
    if ahead:
        said.append(Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead)))
    if new:
        said.append(_handed_out(new))
    return [*said, *_call_back_past(change, plan, last, had)]


def _call_back_past(change: DayChange, plan: TakeHomePlan, last: date, had: dict[str, str]) -> list[Reason]:
    """The bottles of the run given back (`had`) for days past the earlier end's last covered day (`last`)
    that are at home (`bottles_at_home`): they stay called back, audited, the nurse told once
    (`CORRECTION_CALL_BACK`; lane fix30a, fix29c's leftover: a dose at the window, no correction, says its
    own words, `AT_HOME_PAST_END`); none, nothing said."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    home = bottles_at_home(change.patient, change.real_today).get(plan.pk, {})
    call = {d.isoformat(): str(mg) for d, mg in sorted(home.items()) if d > last and d.isoformat() in had}
    if not call:
        return []
    _audit_plan(
        change.by,
        change.patient,
        plan,
        "bottles at home called back after a correction",
        {"dose_day": change.today.isoformat(), "still_at_home": sorted(call)},
    )
    return [_taken_back(AT_HOME_PAST_END if change.at_window else CORRECTION_CALL_BACK, call, plan.pk)]


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


def restore_after_end(
    by: User, patient: Patient, today: date, now: datetime, total: Decimal, ctx: DoseContext
) -> tuple[Reason, ...]:
    """Lane end26, the other half of `take_back_after_end`: a dose of `today` (the dose's day) stands again
    (a correction back up after a 0 or a void) and a plan ended since (a prescriber's end, a discharge:
    `redecide_bottles` judges only the run of a plan that covers it) had its run that went home with that
    dose taken back by the 0: the bottles are recorded handed out again at the mg they left with (the plan's
    end is left as it was; its call-back list still names those at home), audited, and the nurse told
    (`HANDED_OUT`). Judged as `undo_take_back` judges them (the order in force when they left); blocked,
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
            patient,
            run,
            today,
            total,
            ctx,
            now,
            True,
            left_with=_left_with(patient, today),
            recorded=back_in,
            plan=plan,
        )
        if blocked is not None:
            continue
        _set_bottles(plan, {**recorded, **back_in})
        _audit_handed_out(by, patient, plan, sorted(back_in), today)
        # lane fix28b: a restored bottle of a day dosed at the window is called back, never "handed out"
        said.extend(never_over_window(change, plan, [_handed_out(back_in)]))
    return tuple(said)
