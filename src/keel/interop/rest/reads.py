"""Read by id (`<Type>/<id>`): which patient owns a resource id, the resource from that patient's record in
the caller's scope, and the programs and staff (Organization, Practitioner) the caller works with.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NoReturn

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keel.access import policy
from keel.accounts.models import ProgramMembership, Role, User
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.interop.api import base_for
from keel.interop.fhir import resources as r
from keel.interop.fhir.base import Base, labelled
from keel.interop.fhir.record import Record
from keel.interop.models import ImportedResponse
from keel.interop.rest.auth import (
    _areas,
    _audit_read,
    _caller,
    _consent_patient,
    _released,
    _scoped,
    _staff_token,
    refuse_head,
    token_may,
    use_of,
)
from keel.interop.rest.outcomes import MALFORMED_ID, _deny, _handle, _json, _not_found
from keel.interop.rest.params import _check_request
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.sharing.models import Consent
from keel.treatment.models import DoseRecord, MedicationOrder, QtcRecord, TakeHomePlan

# --- Which patient owns a resource id -------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# The ids Keel writes (resources.py, condition.py, assessments/fhir.py): a refused read keeps its id in the
# audit row only in one of these shapes; anything else ("Quintanilla" is a valid FHIR id) may be a name typed
# where an id goes, and is recorded as UNKNOWN_ID (review 19d).
_KEEL_ID = re.compile(
    r"\d{1,18}|(?:enrollment|dose|consent|import|oud|assessment|qtc|bottle)-\d{1,18}(?:-[a-z0-9]+)?"
)
UNKNOWN_ID = "id Keel never wrote"


def _number_after(prefix: str, rid: str) -> int | None:
    m = re.fullmatch(re.escape(prefix) + r"(\d{1,18})(?:-[a-z0-9]+)?", rid)
    return int(m.group(1)) if m else None


def _owner(resource_type: str, rid: str) -> int | None:
    """The patient a resource id belongs to, or None when there is no such row."""
    if resource_type == "Patient":
        return int(rid) if ascii_digits(rid) and len(rid) < 19 else None
    lookups: dict[str, tuple[str, Any]] = {
        "EpisodeOfCare": ("enrollment-", Enrollment.objects),
        "Condition": ("oud-", Assessment.objects),
        "MedicationRequest": ("", MedicationOrder.objects),
        "MedicationAdministration": ("dose-", DoseRecord.objects),
        "QuestionnaireResponse": ("assessment-", Assessment.objects),
        "Observation": ("assessment-", Assessment.objects),
        "Consent": ("consent-", Consent.objects),
    }
    if resource_type == "Observation" and rid.startswith("qtc-"):  # a QTc reading (review 20c)
        lookups["Observation"] = ("qtc-", QtcRecord.objects)
    if resource_type == "MedicationDispense":  # a take-home bottle day: bottle-<plan>-<day> (review 20c)
        lookups["MedicationDispense"] = ("bottle-", TakeHomePlan.objects)
    if resource_type == "Provenance":
        pk = _number_after("import-", rid)
        if pk is None:
            return None
        found: int | None = (
            ImportedResponse.objects.filter(pk=pk).values_list("assessment__patient_id", flat=True).first()
        )
        return found
    prefix, manager = lookups[resource_type]
    pk = _number_after(prefix, rid) if prefix else (int(rid) if ascii_digits(rid) and len(rid) < 19 else None)
    if pk is None:
        return None
    owner: int | None = manager.filter(pk=pk).values_list("patient_id", flat=True).first()
    return owner


@csrf_exempt  # GET only, writes nothing: a POST is the 405 OperationOutcome (review 36g hole 5)
def read(request: HttpRequest, resource_type: str, rid: str) -> HttpResponse:
    """One FHIR resource by type and id, through the one error handling of the FHIR reads."""
    return _handle(request, lambda: _read(request, resource_type, rid))


def _read(request: HttpRequest, resource_type: str, rid: str) -> HttpResponse:
    """A Questionnaire (no one's record), a program or staff member, or one resource of a person's record:
    refused alike for a malformed id, an id Keel never writes and a record out of scope."""
    _check_request(request, set())
    if resource_type == "Questionnaire":
        return _questionnaire_read(request, rid)
    user = _caller(request)
    if not _ID.fullmatch(rid):  # the typed text never copied into the row (review 19d)
        raise _deny(user, "fhir", f"{resource_type}/{MALFORMED_ID}", "not a FHIR id")
    # an id of no shape Keel writes names no row: the read is refused, its text never kept (review 19d)
    target = f"{resource_type}/{rid if _KEEL_ID.fullmatch(rid) else UNKNOWN_ID}"
    if resource_type in ("Organization", "Practitioner"):
        token_may(user, policy.TokenUse.OTHER, target)  # not a release: refused to a bound token
        if _staff_token(request, user):
            refuse_head(request)  # one answer to HEAD by a staff token on every read (review 21z)
        return _json(labelled(_shared_read(user, resource_type, rid, target, base_for(request))))
    by_system = _staff_token(request, user)
    token_may(user, use_of(request, user), target)
    if by_system:  # the consent basis first: without one, the same answer for every id (review 20c)
        refuse_head(request)  # before the basis too: one answer to HEAD by a staff token (review 21f)
        patient = _scoped(user, _consent_patient(request, user, target), resource_type, target)
    else:
        patient = _scoped(user, _owner(resource_type, rid), resource_type, target)
    if resource_type == "Consent" and policy.through_emergency_access(user, patient):
        _refuse_consent_by_emergency_access(user, patient, target)
    if by_system:
        return _released_read(request, user, patient, resource_type, rid, target)
    return _record_read(request, user, patient, resource_type, rid, target)


def _questionnaire_read(request: HttpRequest, rid: str) -> HttpResponse:
    """A shipped instrument as a FHIR Questionnaire (no one's record), or a 404."""
    from keel.assessments.fhir import from_id, questionnaire

    named = from_id(rid)
    if named is None:
        raise _not_found()
    return _json(labelled(questionnaire(named[0], base_for(request), named[1])))


def _refuse_consent_by_emergency_access(user: User, patient: Patient, target: str) -> NoReturn:
    """Consents and disclosures are not opened by emergency access (review 19b): audited, then a 404."""
    audit.record_for_patient(
        user,
        patient,
        Action.DENIED,
        "fhir",
        target[:200],
        outcome=Outcome.DENIED,
        reason="emergency access: may not read consents and disclosures",
    )
    raise _not_found()


def _released_read(
    request: HttpRequest, user: User, patient: Patient, resource_type: str, rid: str, target: str
) -> HttpResponse:
    """A system's read under a live consent basis: whether the resource is in that person's record is learnt
    only inside the release, whose transaction a miss rolls back (no Disclosure row)."""
    base = base_for(request)

    def build(subject: Patient, at: datetime) -> dict[str, Any]:
        fresh = Record(subject, _areas(user), base, at).of_type(resource_type)
        one = next((x for x in fresh if x["id"] == rid), None)
        if one is None:
            raise _not_found()
        return labelled(one)

    def names(subject: Patient) -> bool:
        return _owner(resource_type, rid) == subject.pk

    return _released(request, user, patient, target, build, {"resources": [target]}, names)


def _record_read(
    request: HttpRequest, user: User, patient: Patient, resource_type: str, rid: str, target: str
) -> HttpResponse:
    """A person's own or a care team's read of one resource of the record in scope, audited; not in it: the
    audited refusal of a missing record."""
    rec = Record(patient, _areas(user), base_for(request), timezone.now())
    found = next((x for x in rec.of_type(resource_type) if x["id"] == rid), None)
    if found is None:
        raise _deny(user, "fhir", target, "not in this record")
    _audit_read(user, patient, target, [target], [patient.pk])
    return _json(labelled(found))


def _shared_read(user: User, resource_type: str, rid: str, target: str, base: Base) -> dict[str, Any]:
    """A program (Organization) or a staff member (Practitioner) the caller works with (a patient: their own
    program and its staff). Not patient data, but audited like every FHIR read."""
    if not ascii_digits(rid):
        raise _deny(user, "fhir", target, "outside scope or missing")
    if policy.is_program_patient(user):
        programs = list(Patient.objects.filter(user=user).values_list("program_id", flat=True))
    else:
        programs = list(policy.program_ids_of(user))
    if resource_type == "Organization":
        from keel.accounts.models import Program

        program = Program.objects.filter(pk=int(rid), pk__in=programs).first()
        if program is None:
            raise _deny(user, "fhir", target, "outside scope or missing")
        _audit_read(user, None, target, [target], [])
        return r.organization(program)
    member = ProgramMembership.objects.filter(user_id=int(rid), program_id__in=programs).exists()
    staff = User.objects.filter(pk=int(rid)).exclude(role=Role.PATIENT).first() if member else None
    if staff is not None and policy.is_program_patient(user) and staff.pk not in _her_staff(user, base):
        staff = None  # review 38f: a person reads the staff her record names, not everyone of her program
    if staff is None:
        raise _deny(user, "fhir", target, "outside scope or missing")
    _audit_read(user, None, target, [target], [])
    return r.practitioner(staff)


def _her_staff(user: User, base: Base) -> set[int]:
    """The staff a person's own record references (review 38f): her care team and every Practitioner her
    record names (who prescribed, gave, recorded or filed something of hers)."""
    patient = Patient.objects.filter(user=user).select_related("program").first()
    if patient is None:
        return set()
    care_team = set(CareTeamMember.objects.filter(patient=patient).values_list("user_id", flat=True))
    named = Record(patient, _areas(user), base, timezone.now()).of_type("Practitioner")
    return care_team | {int(res["id"]) for res in named}
