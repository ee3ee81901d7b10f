"""Lane fix28b-d: a day dosed at the window is never a take-home day again. `never_over_window` is the
one guard every step that can re-cover a run's day runs (the plan ends the day before, `PlanEnd.WINDOW_DOSED`,
the bottles still at home called back); `window_end_words` says that end's words again from the one reading
of the record (`queries.dosed_at_window`) after every correction."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from keel.accounts.models import User
from keel.core.decision import Reason
from keel.patients.models import Patient
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.services.common import _audit_plan
from keel.treatment.services.doses.bottles.hand_out import (
    _run_unended,
    brought_back_days,
)
from keel.treatment.services.doses.bottles.reasons import (
    HANDED_OUT,
    TAKE_BACK_UNDONE,
    WINDOW_DOSED_CALL_BACK,
    WINDOW_DOSED_END,
    WINDOW_DOSED_NONE_HOME,
    WINDOW_VOIDED,
    WINDOW_VOIDED_END,
)
from keel.treatment.services.doses.bottles.redecide.change import DayChange
from keel.treatment.services.doses.bottles.take_back import (
    _end_keeping_earlier,
)
from keel.treatment.services.doses.bottles.told import note_told


def never_over_window(change: DayChange, plan: TakeHomePlan, said: list[Reason]) -> list[Reason]:
    """Lane fix28b (review 28b holes 1 and 4): the one guard of every step that can re-cover a run's day or
    restart a plan after a correction (`_go_on_after_kept_back`, `after_voided` with a prescriber's end
    given back, `undo_take_back`): a day of the run the change's day's dose sent home on which a dose at
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
    note_told(plan.pk, call)  # lane take31: told for this plan's bottles (`told`)
    return _window_words([r for r in said if r not in recover], window, call)


def _window_words(kept: list[Reason], window: list[date], call: dict[str, str]) -> list[Reason]:
    """What `never_over_window` tells the nurse after the reasons it keeps (`kept`): the bottles from the
    first day dosed at the window (`window`) still at home (`call`, ISO day to mg), to be called back
    (`WINDOW_DOSED_CALL_BACK`, each amount named once); none at home, `WINDOW_DOSED_NONE_HOME`."""
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


def window_end_words(by: User, patient: Patient, today: date, now: datetime) -> tuple[Reason, ...]:
    """Lane fix28c (review 28c hole 4), lane fix28d (review 28d holes 1 and 2): the words of every plan the
    window ended before a day dosed there (`PlanEnd.WINDOW_DOSED`, found by its stored kind, written by
    `never_over_window`) said again from the one reading of the record (`queries.dosed_at_window`), after
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
            note_told(plan.pk, [d.isoformat() for d in days])  # lane take31 (`told`)
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
