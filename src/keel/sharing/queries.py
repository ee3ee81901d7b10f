"""The sharing reads (journey 8), each one audited read through the access policy:

- the patient's consents and accounting of disclosures (3 years, 42 CFR 2.24, 2.25), for the patient
  (`my_sharing`) and for the care team (`patient_sharing`);
- the review queue of emergency powers used (`emergency_reviews`), for a program admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing
from keel.patients.models import Patient, death_recorded, local_today, zone_of
from keel.sharing.errors import SharingNotAllowed
from keel.sharing.models import Consent, Disclosure, EmergencyReview

if TYPE_CHECKING:
    from keel.accounts.models import User


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: str  # active | expired | revoked | signer_ended (`Consent.shown_status`)
    revoked_at: datetime | None


@dataclass(frozen=True)
class Sharing:
    patient: Patient
    consents: list[ConsentView]
    disclosures: list[Disclosure]
    since: date


def _sharing(patient: Patient, now: datetime) -> Sharing:
    today = local_today(patient, now)
    since = sharing.accounting_since(today)
    views = []
    deceased = death_recorded(patient.pk)  # a representative's consent is shown as a release treats it
    for c in Consent.objects.filter(patient=patient).select_related("revocation"):
        revocation = getattr(c, "revocation", None)
        revoked_at = revocation.revoked_at if revocation else None
        views.append(
            ConsentView(c, c.shown_status(revoked_at=revoked_at, today=today, deceased=deceased), revoked_at)
        )
    # midnight of `since` in the program's zone (review 28a H7): the first day the page says it covers
    start = datetime.combine(since, time.min, tzinfo=zone_of(patient))
    disclosures = list(
        Disclosure.objects.filter(patient=patient, disclosed_at__gte=start).select_related("disclosed_by")
    )
    return Sharing(patient, views, disclosures, since)


def my_sharing(by: User, *, now: datetime | None = None) -> Sharing:
    """The patient's consents and accounting of disclosures (3 years); one audited read."""
    patient = policy.own_patient_or_404(by, target_type="sharing")
    return _sharing(patient, now or timezone.now())


def patient_sharing(by: User, patient_id: int | str, *, now: datetime | None = None) -> Sharing:
    """The same for the care team (clinical area); one audited read. Not through emergency access (review
    19b): break-the-glass is for treating an emergency, and whom a person let her records go to (her
    consents) and the accounting of disclosures (42 CFR 2.24) are no part of it (a 403, audited "emergency
    access: may not read consents and disclosures")."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.READ,
        area=Area.CLINICAL,
        target_type="sharing",
        emergency_what="read consents and disclosures",
    )
    return _sharing(patient, now or timezone.now())


def emergency_reviews(by: User, *, include_attested: bool = False) -> list[EmergencyReview]:
    """The emergency accesses and emergency disclosures of the caller's programs waiting for a program admin
    (oldest first), or all of them; one audited read naming the patients. Others get `SharingNotAllowed`."""
    programs = [pid for pid in policy.audit_program_ids(by) if policy.can_review_emergencies(by, pid)]
    if not programs:
        audit.record(
            actor=by, action=Action.DENIED, outcome=Outcome.DENIED, target_type="emergency_review_list"
        )
        raise SharingNotAllowed
    rows = EmergencyReview.objects.filter(program_id__in=programs).select_related(
        "patient", "program", "used_by", "attested_by", "emergency_access", "disclosure"
    )
    if not include_attested:
        rows = rows.filter(attested_at__isnull=True)
    reviews = list(rows)
    policy.audit_list_read(
        by,
        target_type="emergency_review_list",
        patient_ids=sorted({r.patient_id for r in reviews}),
        programs={r.patient_id: r.patient.program_id for r in reviews},
    )
    return reviews


def programs_to_choose(user: User) -> list[tuple[str, str]]:
    """The caller's programs as (id, name), offered on the emergency page when there is more than one
    (record numbers are unique only inside a program, review 19b); none when there is one."""
    from keel.accounts.models import Program

    rows = Program.objects.filter(pk__in=policy.program_ids_of(user)).order_by("name", "pk")
    programs = [(str(p.pk), p.name) for p in rows]
    return programs if len(programs) > 1 else []
