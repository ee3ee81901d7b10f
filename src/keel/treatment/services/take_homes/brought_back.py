"""Bottles brought back: recorded on an ended plan (`_record_brought_back`, only bottles still at home,
`_at_home`; the end itself unchanged), or by the nurse at the window when today's bottle came back unopened
(`record_bottle_returned`); `returned_days` is the one record of bottles back, and what an end leaves in the
person's hands is said in its audit row (`_still_held`). The prescriber's route is
`ending.record_bottles_brought_back` (it takes the end's lock and checks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from keel.accounts.models import User
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.queries import bottles_at_home, held_bottles, plan_days
from keel.treatment.services.common import _audit_plan


def _record_brought_back(
    by: User, patient: Patient, plan: TakeHomePlan, text: str, returned: list[date], now: datetime
) -> TakeHomePlan:
    """Review 24b hole 5: bottles brought back after the plan ended, whatever ended it (a prescriber, a hold,
    a correction down's take-back: the call-back list): recorded on the ended plan (`returned_days`, the one
    record of bottles back, which `bottles_at_home` and `held_bottles` read), only bottles still at home
    from today on (else `returned_days` is refused, naming the days); the end itself is not changed, the
    reason is added to it, audited."""
    if refused := _refused_days(returned, _at_home(patient, plan, now)):
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "returned_days", N_("only bottles still at home from today on: %(days)s"), days=refused
                )
            ]
        )
    days = sorted({d.isoformat() for d in returned})
    plan.returned_days = sorted({*(plan.returned_days or []), *days})
    plan.end_reason = f"{plan.end_reason} Brought back ({', '.join(days)}): {text}".strip()
    plan.save(update_fields=["returned_days", "end_reason"])
    _audit_plan(
        by,
        patient,
        plan,
        "bottles brought back after the plan ended",
        {"bottles_brought_back": days, **_still_held(patient, plan, now)},
    )
    return plan


def _at_home(patient: Patient, plan: TakeHomePlan, now: datetime) -> set[date]:
    """The plan's bottles from today on that may be brought back: at home (`bottles_at_home`), or recorded as
    handed out with a dose that no longer stands (its `maybe`: brought back, or found never to have left)."""
    return set(bottles_at_home(patient, local_today(patient, now), maybe=True).get(plan.pk, {}))


def _still_held(patient: Patient, plan: TakeHomePlan, now: datetime) -> dict[str, object]:
    """Review 19a: what ending a plan leaves in the person's hands (`held_bottles`): the bottles handed out
    and not brought back, which keep counting against the supply for the days they cover (the audit row
    says which, so "none came back" is on the record)."""
    held = held_bottles(patient, None, local_today(patient, now)).get(plan.pk, set())
    return {
        "bottles_returned": len(plan.returned_days),
        "bottles_still_held": [d.isoformat() for d in sorted(held)],
    }


def record_bottle_returned(
    plans: Sequence[TakeHomePlan], today: date, held: TakeHomePlan | None = None
) -> dict[str, object] | None:
    """Review 19a: an observed methadone dose on a take-home day passes the window only because the nurse
    said today's bottle came back unopened; that answer is kept on the plan whose bottle covers today (its
    `returned_days`, the one record of bottles back, which `held_bottles` reads), inside the dose's
    transaction and under the person's lock. `plans`: the episode's plans the dose read (oldest first; the
    plan changed in place, so the row told from the dose's reads shows it). Returns what the dose's audit row
    says of it (None: no plan's bottle covers today). `held`: the ended plan whose bottle for today the person
    still held (`queries.contexts.bottle_held_today`, review 20a), kept when no running plan covers today."""
    covering = [p for p in plans if today in plan_days(p)] or ([held] if held is not None else [])
    if not covering:
        return None
    plan = covering[-1]  # the newest; one bottle a day
    plan.returned_days = sorted({*(plan.returned_days or []), today.isoformat()})
    TakeHomePlan.objects.filter(pk=plan.pk).update(returned_days=plan.returned_days)
    return {"bottle_returned": today.isoformat(), "take_home_plan": plan.pk}


def _check_returned_stopped(returned: list[date], stopped: set[date]) -> None:
    """Bottles come back only for the days the plan no longer covers."""
    if refused := _refused_days(returned, stopped):
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "returned_days",
                    N_("only bottles for the days the plan no longer covers: %(days)s"),
                    days=refused,
                )
            ]
        )


def _refused_days(returned: list[date], allowed: set[date]) -> str:
    """The one check of bottles named brought back: the days in `returned` they may not come back for (not
    in `allowed`), as the ISO days a refusal of `returned_days` names ("": all may). Each caller says the
    refusal in its own words, marked at the call (`N_`, tests/meta/test_field_error_words.py)."""
    return ", ".join(d.isoformat() for d in returned if d not in allowed)
