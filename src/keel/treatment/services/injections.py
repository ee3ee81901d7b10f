"""Extended-release naltrexone injections: the first one's readiness, then the course (sites alternate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core import episodes
from keel.core.decision import Decision
from keel.core.rules.inputs import FieldError
from keel.core.rules.naltrexone import READINESS, TOO_SOON, repeat_injection
from keel.core.rules.window import HOLD_OPEN, hold_open_reasons
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OverrideKind,
    in_force_q,
)
from keel.treatment.queries import taken_doses
from keel.treatment.queries.blockade import last_injection
from keel.treatment.queries.contexts import clinic_day
from keel.treatment.queries.policy import effective_policy
from keel.treatment.readiness import naltrexone_readiness, read_last_uses
from keel.treatment.services.common import (
    DoseBlocked,
    DoseConflict,
    DoseOutcome,
    _audit,
    _scoped_for,
    lock_person,
)

SITES = ("left_gluteal", "right_gluteal")


def already_given() -> str:
    return _(
        "Already given today: an injection is already recorded for this person today. Reload the page "
        "before recording another."
    )


def continuing_course(patient: Patient, last: DoseRecord | None, today: date) -> bool:
    """Whether an injection today continues a course (issue #13): the last injection given, not voided, within
    the program's dosing interval plus grace (policy `continuing_course_days`). An injection a year ago is no
    course: the first-injection readiness (every opioid's last use, the switching guidance) applies again."""
    if last is None:
        return False
    days = int(effective_policy(patient, READINESS)["continuing_course_days"])
    return episodes.days_between(last.local_date, today) <= days


def used_since(patient: Patient, last: DoseRecord, now: datetime) -> tuple[str, ...]:
    """The opioids the record shows used after the last injection was given (issue #13, review 13f): the one
    reading of every opioid's last use (`keel.treatment.readiness.read_last_uses`: intakes, reports of last
    use, methadone and buprenorphine given here, take-home bottles, pharmacy fills), each opioid whose
    latest use is later than the injection; and an opioid an intake made since lists without a time (not
    known to be before it). Methadone started at this OTP during a relapse, or a reported use, means the
    next injection is a first one again: its readiness, with the switching guidance, decides."""
    given = last.given_at or last.recorded_at
    uses = read_last_uses(patient, now)
    since_intake = uses.intake is not None and uses.intake.recorded_at > given
    return tuple(
        opioid
        for opioid, use in uses.uses.items()
        if (use.at is not None and use.at > given) or (use.at is None and since_intake)
    )


def _refuse(by: User, patient: Patient, decision: Decision) -> NoReturn:
    """A guard rail stops the injection: the refusal is audited, then raised."""
    _audit(
        by, patient, Action.DENIED, "dose", outcome=Outcome.DENIED, reason=f"guard rail: {decision.decision}"
    )
    raise DoseBlocked(decision)


def _held(patient: Patient) -> Decision:
    policy_values = effective_policy(patient, READINESS)
    return Decision("naltrexone-readiness", "2", HOLD_OPEN, hold_open_reasons(), policy_values)


def _active_order(patient: Patient, today: date) -> MedicationOrder:
    """The naltrexone order in force today (`models.in_force_q`; a prescriber writes it first)."""
    order = MedicationOrder.objects.filter(
        in_force_q(today), patient=patient, medication=Medication.NALTREXONE_XR
    ).first()
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", N_("no active naltrexone order: a prescriber writes one first"))]
        )
    return order


def _refuse_a_second_today(todays: QuerySet[DoseRecord]) -> None:
    """A second tap, a retry: never a second injection on one day."""
    if taken_doses(todays.filter(status=DoseStatus.GIVEN)).exists():
        raise DoseConflict(already_given())


def _check_sides_alternate(last: DoseRecord | None, site: str) -> None:
    if last is not None and last.site == site:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "site",
                    N_("alternate sides: the last injection was %(value)s"),
                    value=last.site.replace("_", " "),
                )
            ]
        )


def _interval_override(patient: Patient, today: date) -> DoseOverride | None:
    """A prescriber's override for today of the minimum interval, still in force."""
    return (
        DoseOverride.objects.filter(
            patient=patient,
            medication=Medication.NALTREXONE_XR,
            kind=OverrideKind.INTERVAL,
            local_date=today,
            ended_at__isnull=True,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _course_interval(
    patient: Patient, last: DoseRecord, today: date
) -> tuple[Decision, DoseOverride | None, bool]:
    """On XR-naltrexone: the minimum interval, the next due date, tolerance. Sooner than the program's
    interval needs a prescriber's override for today; without one the injection is refused (the third value:
    refused, `_refuse` audits it)."""
    settings = effective_policy(patient, READINESS)
    since = episodes.days_between(last.local_date, today)
    override = None
    if since < settings["min_interval_days"]:  # sooner than the program's interval: an override for today
        override = _interval_override(patient, today)
    decision = repeat_injection(today, since, settings, documented=override is not None)
    return decision, override, decision.decision == TOO_SOON


def _first_injection_readiness(
    patient: Patient, now: datetime, today: date, naloxone_challenge_negative: bool
) -> tuple[Decision, bool]:
    """A first injection, or opioids used since the last one: the naltrexone readiness decides (the second
    value: refused, when it does not allow the injection)."""
    read = naltrexone_readiness(
        patient,
        now,
        naloxone_challenge_negative=bool(naloxone_challenge_negative),
        last_injection_on=today,
    )
    if read.decision is None:
        raise TreatmentInvalid(
            [FieldError("last_use", N_("record the time of last use of each opioid first (the intake)"))]
        )
    return read.decision, not read.may_inject


ENDED = N_("this person's episode of care has ended: no dose can be recorded")


@dataclass(frozen=True)
class _Checked:
    """The injection's checks, read under the person's lock (`_checked`)."""

    decision: Decision
    override: DoseOverride | None
    repeat: bool  # it continues a course
    refused: bool  # a guard rail stops it (`decision` says why)


def _checked(
    patient: Patient,
    last: DoseRecord | None,
    today: date,
    now: datetime,
    naloxone_challenge_negative: bool,
) -> _Checked:
    """Every check that reads what another writer may have just saved, run under the person's lock (review
    19a): the episode of care (the window's definition, `clinic_day`: ended, TreatmentInvalid naming
    `patient`), a hold of today, then the course's interval or the readiness on every opioid's last use,
    reports and methadone or buprenorphine given here alike (a dose landing first stops the injection)."""
    day = clinic_day(patient, today)
    if not day.in_episode:
        raise TreatmentInvalid([FieldError("patient", ENDED)])
    if day.hold_open:  # held this morning for sedation or intoxication: no further dose
        return _Checked(_held(patient), None, False, True)
    repeat = continuing_course(patient, last, today)
    override = None
    if repeat and last is not None:  # on XR-naltrexone: the minimum interval, the next due date, tolerance
        decision, override, refused = _course_interval(patient, last, today)
        if refused or not used_since(patient, last, now):  # no opioid used since the last one: the course
            return _Checked(decision, override, True, refused)
    # A first injection, or opioids used since the last one: the readiness decides.
    decision, refused = _first_injection_readiness(patient, now, today, naloxone_challenge_negative)
    return _Checked(decision, override, repeat, refused)


def record_injection(
    *,
    by: User,
    patient_id: int,
    site: str,
    naloxone_challenge_negative: bool = False,
    now: datetime | None = None,
) -> DoseOutcome:
    """An extended-release naltrexone injection (380 mg, gluteal, alternating sides; reference 11). The first
    one: the naltrexone-readiness rule on every opioid's last use (the opioid-free interval, program policy,
    default 7 days; the switching guidance after methadone or buprenorphine; a naloxone challenge done today);
    then the site alternation, the next due date and the lost-tolerance warning. A later one inside the course
    keeps the minimum interval; opioid use since the last injection (`used_since`: methadone or buprenorphine
    given here, a reported use) makes the first one's readiness apply again. A dose held today and not
    released by a prescriber stops the injection too ("held_earlier", the window's hold), and a person whose
    episode of care ended is not injected (the window's definition). These checks run under the person's
    lock (`_checked`), so a dose or a hold saved meanwhile is seen (reviews 18a, 19a)."""
    patient = _scoped_for(
        by, patient_id, "dose", policy.can_record_dose(by), "give injections", emergency_access=True
    )
    if site not in SITES:
        raise TreatmentInvalid([FieldError("site", N_("left_gluteal or right_gluteal"))])
    now = now or timezone.now()
    today = local_today(patient, now)
    order = _active_order(patient, today)
    todays = DoseRecord.objects.filter(patient=patient, medication=Medication.NALTREXONE_XR, local_date=today)
    _refuse_a_second_today(todays)
    last = last_injection(patient)
    _check_sides_alternate(last, site)
    slot = (todays.aggregate(last=Max("sequence"))["last"] or 0) + 1  # after a voided one today, the next
    try:
        with (
            transaction.atomic()
        ):  # a savepoint inside a caller's transaction: a conflict rolls back only this
            lock_person(patient)  # reviews 18a, 19a: a hold or a dose saved meanwhile is seen
            checked = _checked(patient, last, today, now, naloxone_challenge_negative)
            if not checked.refused:
                dose = _create_injection(
                    patient,
                    order,
                    today,
                    slot,
                    site,
                    last,
                    checked.repeat,
                    checked.decision,
                    checked.override,
                    by,
                    now,
                )
    except IntegrityError:  # two taps at once: the other one recorded this slot first
        raise DoseConflict(already_given()) from None
    if checked.refused:  # the refusal's audit row outside the savepoint (it wrote nothing)
        _refuse(by, patient, checked.decision)
    return DoseOutcome(dose, checked.decision)


def _create_injection(
    patient: Patient,
    order: MedicationOrder,
    today: date,
    slot: int,
    site: str,
    last: DoseRecord | None,
    repeat: bool,
    decision: Decision,
    override: DoseOverride | None,
    by: User,
    now: datetime,
) -> DoseRecord:
    dose = DoseRecord.objects.create(
        patient=patient,
        order=order,
        medication=Medication.NALTREXONE_XR,
        local_date=today,
        sequence=slot,
        status=DoseStatus.GIVEN,
        amount_mg=order.dose_mg,
        site=site,
        treatment_day=episodes.days_between(last.local_date, today) if last is not None and repeat else 1,
        decision=decision.as_dict(),
        override=override,
        recorded_by=by,
        recorded_at=now,
    )
    _audit(by, patient, Action.CREATE, "dose", dose.pk, reason="naltrexone injection")
    return dose
