"""A prescriber's take-home decision (`decide_take_home`): the episode and its methadone order, the first
observed dose, the request checked (`eligibility`), then under the person's lock the supply, the bottles
going home now put to the window's verdict, and the plan saved with its audit row. Two steps are looked up
on the package at call time (`take_homes._refuse_supply_problem`, `take_homes._supply_problem`): the race
tests (reviews 13e and 18a) replace them there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError
from keel.core.take_home_bottles import handed_out
from keel.core.words import gettext_noop as N_
from keel.patients.models import Enrollment, FlagKind, Patient, PatientFlag, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication, MedicationOrder, TakeHomePlan, in_force_q
from keel.treatment.queries import DoseContext, TakeHomeConcern, dose_context, take_home_days_in_treatment
from keel.treatment.services.common import _audit, _scoped_for, lock_person
from keel.treatment.services.doses.bottles.not_before import told_not_before
from keel.treatment.services.take_homes.eligibility import (
    CRITERIA_KEYS,
    TakeHomeDecision,
    _bottles,
    _bottles_field,
    _eligibility,
    _eligibility_inputs,
    _take_home_request,
    _TakeHomeRequest,
    _with_concerns,
)


def _held_since(patient: Patient, acknowledged: list[TakeHomeConcern]) -> bool:
    """A dose held (its flag open) that the decision did not acknowledge: recorded after the checks read."""
    seen = {c.id for c in acknowledged}
    return any(
        str(pk) not in seen
        for pk in PatientFlag.objects.filter(
            patient=patient, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True
        ).values_list("pk", flat=True)
    )


def decide_take_home(
    *,
    by: User,
    patient_id: int,
    criteria: Mapping[str, object],
    state_max_days: object = None,
    start_on: object = None,
    now: datetime | None = None,
    acknowledged_flags: object = None,
    bottle_days: object = None,
    closure_day: object = None,
) -> TakeHomePlan:
    """Run take-home eligibility on the documented criteria with the program's policy; store the decision
    and the bottle schedule (prescribers: the OTP practitioner decides). Issue #13: days in treatment count
    from the methadone episode (`take_home_days_in_treatment`); an active methadone order is needed; every
    open concern (`take_home_concerns`) is listed in the decision and must be acknowledged by id; no bottle
    for a day already past; `bottle_days` gives a schedule below the maximum (weekends only); `closure_day`
    gives the one dose 42 CFR 8.12 allows for a configured closure day to someone not otherwise eligible.
    The plan belongs to the current episode."""
    patient = _scoped_for(
        by,
        patient_id,
        "take_home_plan",
        policy.can_prescribe(by),
        "decide take-home doses",
        emergency_access=False,
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    enrollment = _methadone_episode(patient, today)
    # The day's context, with today's holds of any medication (the window's one definition of a hold).
    ctx = dose_context(patient, Medication.METHADONE, today, with_other_holds=True)
    _refuse_before_first_dose(ctx.first_dose_on)
    asked = _take_home_request(patient, today, start_on, bottle_days, closure_day, acknowledged_flags)
    days = take_home_days_in_treatment(patient, today)
    raw = _eligibility_inputs(days, asked, today, criteria, state_max_days)
    decision = _eligibility(patient, raw, asked.closure, today, _bottles_field(asked.days, asked.closure))
    bottles = _bottles(decision, asked, today)
    from keel.treatment.services import take_homes  # its race tests replace a step on the package

    with transaction.atomic():  # review 18a: the supply checked and the plan saved under the person's lock
        lock_person(patient)  # a second submit waits here, then reads this one's bottles
        ctx = dose_context(patient, Medication.METHADONE, today, with_other_holds=True)  # again, locked
        take_homes._refuse_supply_problem(patient, enrollment, today, bottles, ctx, decision, asked)
        handed = _bottles_handed_out_now(patient, today, bottles, ctx, asked)
        decision = _with_concerns(decision, asked.concerns)
        return _save_plan(
            by, patient, enrollment, now, days, raw, decision, bottles, asked.concerns, bottle_mg=handed
        )


def _bottles_handed_out_now(
    patient: Patient, today: date, bottles: list[str], ctx: DoseContext, asked: _TakeHomeRequest
) -> dict[str, str]:
    """Session 22: every bottle's dose put to the window's verdict today (`doses.bottles.bottle_amounts`: a
    bottle the window would block is refused, never capped; that module says why), and the mg of those that
    go home now, at the decision (`take_home_bottles.handed_out`: a run starting today, or tomorrow once
    today's observed dose was taken), recorded with the plan. The rest are recorded when they are handed
    out, at the observed dose the day before their run."""
    from keel.treatment.services.doses.bottles import bottle_amounts, bottle_refusal

    days = {date.fromisoformat(iso) for iso in bottles}
    given = ctx.given_today_mg  # review 22o hole 6: today's total, never the higher of it and yesterday's
    amounts, blocked = bottle_amounts(
        patient, days, today, given, ctx, timezone.now(), ctx.given_today_mg > 0
    )
    if blocked is not None:
        raise TreatmentInvalid(
            [FieldError(_bottles_field(asked.days, asked.closure), bottle_refusal(*blocked))]
        )
    visits = {today} if ctx.given_today_mg > 0 else set()
    return {
        iso: mg
        for iso, mg in amounts.items()
        if handed_out(date.fromisoformat(iso), days, today, visits, None)
    }


def _refuse_before_first_dose(first_dose_on: date | None) -> None:
    """Tolerance never observed: no supply before the first dose at the window."""
    if first_dose_on is None:
        raise TreatmentInvalid(
            [
                FieldError(
                    "days_in_treatment",
                    _(
                        "no methadone dose has been taken at the window yet in this episode: take-home doses "
                        "come after observed doses"
                    ),
                )
            ]
        )


def _refuse_supply_problem(
    patient: Patient,
    enrollment: Enrollment,
    today: date,
    bottles: list[str],
    ctx: DoseContext,
    decision: TakeHomeDecision,
    asked: _TakeHomeRequest,
) -> None:
    """A supply the day's doses, holds or other plans forbid is refused on the field that asked for it."""
    from keel.treatment.services import take_homes  # its race tests replace `_supply_problem` there

    supply_problem = take_homes._supply_problem(
        patient,
        enrollment.pk,
        enrollment.started_on,
        today,
        bottles,
        ctx.given_today_mg > 0,
        decision,
        held_today=ctx.hold_open or ctx.other_hold_open,
    )
    if supply_problem is not None:
        raise TreatmentInvalid([replace(supply_problem, field=_bottles_field(asked.days, asked.closure))])


def _save_plan(
    by: User,
    patient: Patient,
    enrollment: Enrollment,
    now: datetime,
    days: int,
    raw: Mapping[str, object],
    decision: TakeHomeDecision,
    bottles: list[str],
    concerns: list[TakeHomeConcern],
    *,
    bottle_mg: dict[str, str] | None = None,
) -> TakeHomePlan:
    """Under the person's lock: refuse when a dose was held while the decision was checked, then store the
    plan (with the mg of the bottles handed out at the decision, `bottle_mg`) and audit it."""
    with transaction.atomic():
        lock_person(patient)
        if _held_since(patient, concerns):  # a hold saved while this decision was being checked
            raise TreatmentInvalid(
                [
                    FieldError(
                        "acknowledged_flags",
                        _("a dose was just held: no take-home supply until a prescriber assesses the person"),
                    )
                ]
            )
        plan = TakeHomePlan.objects.create(
            patient=patient,
            enrollment=enrollment,
            decided_by=by,
            decided_at=now,
            days_in_treatment=max(days, 0),
            criteria={k: raw[k] for k in CRITERIA_KEYS},
            decision=decision.as_dict(),
            max_supply_days=decision.details.get("max_supply_days", 0),
            bottles=bottles,
            open_flags=[{"id": c.id, "kind": c.kind, "raised_on": c.raised_on} for c in concerns],
            bottle_mg=bottle_mg or {},
            # lane bottle39: a bottle for tomorrow handed out after today's observed dose says when to take it
            bottle_not_before=told_not_before(patient, local_today(patient, now), now, bottle_mg or {}),
        )
        _audit(by, patient, Action.CREATE, "take_home_plan", plan.pk, reason=decision.decision)
    return plan


def _methadone_episode(patient: Patient, today: date) -> Enrollment:
    """The person's current episode of care, which must have a methadone order in force today
    (`models.in_force_q`; else refused)."""
    enrollment = patient.enrollments.filter(status="active").order_by("-started_on").first()
    if enrollment is None:  # discharge ends dosing: no take-home supply after the episode ended
        raise TreatmentInvalid(
            [FieldError("patient", N_("this person's episode of care has ended: no take-home doses"))]
        )
    if not MedicationOrder.objects.filter(
        in_force_q(today), patient=patient, medication=Medication.METHADONE
    ).exists():
        raise TreatmentInvalid(
            [FieldError("order", N_("no active methadone order: a prescriber writes one before take-homes"))]
        )
    return enrollment
