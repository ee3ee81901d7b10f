"""The FHIR R4 read API at /fhir/R4/ (issue #16): metadata, read and search by resource type,
`Patient/{id}/$everything`; paging with `_count` and next links; errors as OperationOutcome.

Every request authenticates as the JSON API does (a Bearer token, else the signed-in session with its second
factor), reads through the access policy (a record outside the caller's scope is a 404 like a missing one; the
clinical types only for roles that see the clinical area; a peer specialist's Patient has no record number or
birth date, and searching by them is refused), and writes one audit row listing what it returned. Searches run
over `policy.patients_visible_to`, so they never reach another program. Source: `fhir-r4-search`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import HttpError

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.middleware import authenticates_by_session
from keel.accounts.models import ProgramMembership, Role, User
from keel.api_auth import keel_auth
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.instruments import registry
from keel.core.rules.inputs import loads_json
from keel.interop.api import base_for
from keel.interop.fhir import resources as r
from keel.interop.fhir.base import (
    FHIR_JSON,
    RECORD_NUMBER_SYSTEM,
    Base,
    entries,
    instant,
    labelled,
    part2_meta,
)
from keel.interop.fhir.record import CLINICAL_TYPES, Record
from keel.interop.models import ImportedResponse
from keel.patients.models import Enrollment, Patient, zone_of
from keel.sharing.models import Consent
from keel.sharing.services import (
    CONSENT_HEADER,
    SharingInvalid,
    SharingNotAllowed,
    release_record,
    release_to_system,
)
from keel.treatment.models import DoseRecord, MedicationOrder

# Paging limits: program policy with its source (`keel-fhir-paging`), refused beyond, never lowered silently.
DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 10_000
PAGING_SOURCE = "keel-fhir-paging"
COMMON = {"_count", "_offset", "_format", "_id"}
SEARCH_PARAMS: dict[str, set[str]] = {
    "Patient": {"identifier", "name", "family", "given", "birthdate"},
    "Observation": {"patient", "subject", "code", "date"},
    "Condition": {"patient", "subject"},
    "MedicationRequest": {"patient", "subject"},
    "MedicationAdministration": {"patient", "subject"},
    "QuestionnaireResponse": {"patient", "subject"},
    "Consent": {"patient"},
    "EpisodeOfCare": {"patient"},
    "Provenance": {"patient"},
}
READ_ONLY_TYPES = ("Organization", "Practitioner", "Questionnaire")
TYPES = tuple(SEARCH_PARAMS) + READ_ONLY_TYPES
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


class FhirError(Exception):
    """An error answered as an OperationOutcome."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: str = "") -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.expression = status, code, diagnostics, expression


def outcome(status: int, code: str, diagnostics: str, expression: str = "") -> HttpResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    response = _json({"resourceType": "OperationOutcome", "issue": [issue]}, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="keel"'
    return response


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), content_type=FHIR_JSON, status=status)


def _caller(request: HttpRequest) -> Any:
    try:
        user = keel_auth(request)
    except HttpError as exc:  # the auth raises only for CSRF on a session's POST (`$everything`)
        raise FhirError(403, "forbidden", str(exc)) from None
    if user is None:
        raise FhirError(
            401, "login", "Send a valid API token as 'Authorization: Bearer <token>', or sign in."
        )
    return user


def _not_found() -> FhirError:
    return FhirError(404, "not-found", "Not found.")


def _deny(user: Any, what: str, target: str, reason: str) -> FhirError:
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type=what,
        target_id=target[:200],
        reason=reason,
    )
    return _not_found()


def _check_request(
    request: HttpRequest, allowed: set[str], methods: tuple[str, ...] = ("GET", "HEAD")
) -> None:
    if request.method not in methods:
        only = "GET or POST only" if "POST" in methods else "GET only"
        raise FhirError(405, "not-supported", f"This FHIR endpoint is read-only: {only}.")
    for name in request.GET:
        if name not in allowed | COMMON:
            raise FhirError(400, "not-supported", f"unknown or unsupported search parameter {name!r}", name)
    fmt = request.GET.get("_format")
    if fmt is not None and fmt.lower() not in _JSON_FORMATS:
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).", "_format")
    if fmt is None and not _accepts_json(request.headers.get("Accept", "")):
        raise FhirError(406, "not-supported", "Only JSON is served: accept application/fhir+json.")


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header (absent or empty: anything) allows a FHIR JSON answer."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media in _JSON_FORMATS or media in ("*/*", "application/*"):
            return True
    return False


def _page(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.GET.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise FhirError(400, "invalid", f"{name} must be a whole number from {low} to {high}", name)
        return int(raw)

    return number("_count", DEFAULT_COUNT, 1, MAX_COUNT), number("_offset", 0, 0, MAX_OFFSET)


def _areas(user: Any) -> frozenset[Area]:
    return policy.areas_for_role(user.role)


def _audit_read(
    user: Any, patient: Patient | None, target: str, returned: list[str], patients: list[int]
) -> None:
    reason = "emergency access" if patient is not None and getattr(patient, "keel_off_team", False) else ""
    detail = {"resources": returned, "patient_ids": patients}
    if patient is not None:
        audit.record_for_patient(
            user, patient, Action.READ, "fhir", target[:200], reason=reason, detail=detail
        )
    else:  # a search over several patients: those seen through emergency access are marked
        policy.audit_list_read(
            user,
            target_type="fhir",
            target_id=target[:200],
            patient_ids=patients,
            detail={"resources": returned},
        )


# --- Which patient owns a resource id -------------------------------------------------------------------

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _number_after(prefix: str, rid: str) -> int | None:
    m = re.fullmatch(re.escape(prefix) + r"(\d{1,18})(?:-[a-z0-9]+)?", rid)
    return int(m.group(1)) if m else None


def _owner(resource_type: str, rid: str) -> int | None:
    """The patient a resource id belongs to, or None when there is no such row."""
    if resource_type == "Patient":
        return int(rid) if rid.isdigit() and len(rid) < 19 else None
    lookups: dict[str, tuple[str, Any]] = {
        "EpisodeOfCare": ("enrollment-", Enrollment.objects),
        "Condition": ("oud-", Assessment.objects),
        "MedicationRequest": ("", MedicationOrder.objects),
        "MedicationAdministration": ("dose-", DoseRecord.objects),
        "QuestionnaireResponse": ("assessment-", Assessment.objects),
        "Observation": ("assessment-", Assessment.objects),
        "Consent": ("consent-", Consent.objects),
    }
    if resource_type == "Provenance":
        pk = _number_after("import-", rid)
        if pk is None:
            return None
        found: int | None = (
            ImportedResponse.objects.filter(pk=pk).values_list("assessment__patient_id", flat=True).first()
        )
        return found
    prefix, manager = lookups[resource_type]
    pk = _number_after(prefix, rid) if prefix else (int(rid) if rid.isdigit() and len(rid) < 19 else None)
    if pk is None:
        return None
    owner: int | None = manager.filter(pk=pk).values_list("patient_id", flat=True).first()
    return owner


def _area_of(resource_type: str) -> Area:
    return Area.CLINICAL if resource_type in CLINICAL_TYPES else Area.IDENTITY


def _scoped(user: Any, patient_id: int | None, resource_type: str, target: str) -> Patient:
    """The patient in the caller's scope for this type, or a denied audit row and a 404."""
    return policy.get_patient_or_404(
        user,
        patient_id if patient_id is not None else 0,
        area=_area_of(resource_type),
        target_type="fhir",
        target_id=target[:200],
        audit_success=False,
    )


# --- Views ----------------------------------------------------------------------------------------------


def _handle(request: HttpRequest, work: Any) -> HttpResponse:
    try:
        result: HttpResponse = work()
        return result
    except FhirError as exc:
        return outcome(exc.status, exc.code, exc.diagnostics, exc.expression)
    except policy.PatientNotFound:
        return outcome(404, "not-found", "Not found.")


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server really does (no authentication needed to read it)."""

    def work() -> HttpResponse:
        _check_request(request, set())
        return _json(capability_statement(base_for(request)))

    return _handle(request, work)


def read(request: HttpRequest, resource_type: str, rid: str) -> HttpResponse:
    def work() -> HttpResponse:
        _check_request(request, set())
        if resource_type == "Questionnaire":
            from keel.assessments.fhir import from_id, questionnaire

            named = from_id(rid)
            if named is None:
                raise _not_found()
            return _json(labelled(questionnaire(named[0], base_for(request), named[1])))
        user = _caller(request)
        target = f"{resource_type}/{rid}"
        if not _ID.match(rid):
            raise _deny(user, "fhir", target, "not a FHIR id")
        if resource_type in ("Organization", "Practitioner"):
            return _json(labelled(_shared_read(user, resource_type, rid, target)))
        patient = _scoped(user, _owner(resource_type, rid), resource_type, target)
        base = base_for(request)
        rec = Record(patient, _areas(user), base, timezone.now())
        found = next((x for x in rec.of_type(resource_type) if x["id"] == rid), None)
        if found is None:
            raise _deny(user, "fhir", target, "not in this record")
        if _staff_token(request, user):

            def build(subject: Patient, at: datetime) -> dict[str, Any]:
                fresh = Record(subject, _areas(user), base, at).of_type(resource_type)
                one = next((x for x in fresh if x["id"] == rid), None)
                if one is None:  # gone between the check and the write: nothing leaves
                    raise _not_found()
                return labelled(one)

            return _released(request, user, patient, target, build, {"resources": [target]})
        _audit_read(user, patient, target, [target], [patient.pk])
        return _json(labelled(found))

    return _handle(request, work)


def _shared_read(user: Any, resource_type: str, rid: str, target: str) -> dict[str, Any]:
    """A program (Organization) or a staff member (Practitioner) the caller works with (a patient: their own
    program and its staff). Not patient data, but audited like every FHIR read."""
    if not rid.isdigit():
        raise _deny(user, "fhir", target, "outside scope or missing")
    if user.role == Role.PATIENT:
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
    if staff is None:
        raise _deny(user, "fhir", target, "outside scope or missing")
    _audit_read(user, None, target, [target], [])
    return r.practitioner(staff)


def _patient_param(request: HttpRequest, base: Base) -> str | None:
    """The one patient a search names by `patient` or `subject` (an id, `Patient/id`, or this endpoint's full
    URL), or None. An empty, malformed or foreign value, or two different patients, is a 400 naming the
    parameter: never silently dropped (that would widen the search to the whole program) nor one of them
    picked."""
    given = [(name, raw.strip()) for name in ("patient", "subject") for raw in request.GET.getlist(name)]
    found: set[str] = set()
    for name, raw in given:
        tail = raw.rstrip("/").rsplit("/", 1)[-1]
        if "://" in raw:
            shape_ok = raw.rstrip("/") == f"{base.url}Patient/{tail}"
        else:
            shape_ok = raw in (tail, f"Patient/{tail}")
        if not (shape_ok and tail.isdigit() and len(tail) < 19):
            raise FhirError(
                400,
                "invalid",
                f"{name} must name one patient: an id, Patient/<id>, or {base.url}Patient/<id>",
                name,
            )
        found.add(str(int(tail)))
    if len(found) > 1:
        raise FhirError(
            400,
            "not-supported",
            "one patient per search: patient and subject must name the same one",
            given[-1][0],
        )
    return found.pop() if found else None


def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    def work() -> HttpResponse:
        _check_request(request, SEARCH_PARAMS[resource_type])
        user = _caller(request)
        count, offset = _page(request)
        base = base_for(request)
        now = timezone.now()
        filters = _filters(request, resource_type)
        skipped = 0  # resources the database already skipped, without building their records
        if _staff_token(request, user):
            return _search_by_system(request, user, resource_type, filters, base, offset, count)
        if resource_type == "Patient":
            patients, skipped = _patients_matching(request, user, offset)
            records = (Record(p, _areas(user), base, now) for p in patients)
            single: Patient | None = None
        else:
            named = _patient_param(request, base)
            target = f"{resource_type}?patient={named}"
            if named is not None:
                single = _scoped(user, int(named), resource_type, target)
                patients_iter: Iterator[Patient] = iter([single])
            else:
                single = None
                patients_iter, skipped = _patients_holding(user, resource_type, offset, exact=not filters)
            records = (Record(p, _areas(user), base, now) for p in patients_iter)
        page, more, seen = _collect(records, resource_type, filters, offset - skipped, count)
        returned = [f"{x['resourceType']}/{x['id']}" for x in page]
        patient_ids = sorted({pid for pid, _ in seen})
        _audit_read(user, single, f"{resource_type}?", returned, patient_ids)
        return _json(_searchset(request, base, page, offset, count, more))

    return _handle(request, work)


# --- Another system reading with a staff member's API token (issue #14) -----------------------------------
# A FHIR read by a staff bearer token is another system receiving Part 2 records: it names one person (a
# search naming no patient is refused, never a silent bulk export), and each request is a disclosure under the
# patient's consent, named in the `Keel-Consent` header (never in the URL), checked by the one basis function
# (`sharing.services.release_to_system`) and written as one Disclosure row. The app's own pages (the session)
# and the patient's own token are unchanged.


def _staff_token(request: HttpRequest, user: Any) -> bool:
    return user.role != Role.PATIENT and not authenticates_by_session(request)


def _released(
    request: HttpRequest,
    user: Any,
    patient: Patient,
    target: str,
    build: Any,
    detail: dict[str, Any],
) -> HttpResponse:
    consent = request.headers.get(CONSENT_HEADER, "").strip()
    if not consent:
        audit.record_for_patient(
            user,
            patient,
            Action.DENIED,
            "fhir",
            target[:200],
            outcome=Outcome.DENIED,
            reason=f"API token read without a consent basis ({CONSENT_HEADER})",
        )
        raise FhirError(
            422,
            "required",
            f"{CONSENT_HEADER}: a person's record leaves Keel only under their consent: send "
            f"'{CONSENT_HEADER}: <consent id>' (a consent naming your organization, covering the whole "
            "record)",
            CONSENT_HEADER,
        )
    try:
        _, document = release_to_system(
            by=user,
            patient_id=patient.pk,
            consent_id=consent,
            target_type="fhir",
            description=f"FHIR {target.split('?')[0].split('/')[0]} read by another system",
            build=build,
            detail=detail,
        )
    except SharingNotAllowed:
        raise FhirError(403, "forbidden", "Your role cannot release a person's record.") from None
    except SharingInvalid as exc:
        raise FhirError(
            422, "invalid", "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), exc.errors[0].field
        ) from None
    return _json(document)


def _search_by_system(
    request: HttpRequest,
    user: Any,
    resource_type: str,
    filters: list[Any],
    base: Base,
    offset: int,
    count: int,
) -> HttpResponse:
    """A staff token's search: one named person (`patient`/`subject`, or one `_id` for Patient), released
    under a consent; a search naming no one is a bulk pull, refused."""
    if resource_type == "Patient":
        _refuse_hidden_field_search(request, user)
        ids = request.GET.getlist("_id")
        one = ids[0].strip() if len(ids) == 1 else ""
        named = str(int(one)) if one.isdigit() and len(one) < 19 else None
        param = "_id"
    else:
        named = _patient_param(request, base)
        param = "patient"
    if named is None:
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="fhir",
            target_id=f"{resource_type}?",
            reason="bulk search by an API token",
        )
        raise FhirError(
            400,
            "not-supported",
            f"{param}: name one person; a bulk pull is not allowed with an API token",
            param,
        )
    target = f"{resource_type}?{param}={named}"
    patient = _scoped(user, int(named), resource_type, target)
    returned: dict[str, Any] = {}

    def build(subject: Patient, at: datetime) -> dict[str, Any]:
        matching = list(_named_filter(request, [subject])) if resource_type == "Patient" else [subject]
        records = (Record(p, _areas(user), base, at) for p in matching)
        page, more, _seen = _collect(records, resource_type, filters, offset, count)
        returned["resources"] = [f"{x['resourceType']}/{x['id']}" for x in page]
        return _searchset(request, base, page, offset, count, more)

    return _released(request, user, patient, target, build, returned)


# What a staff token's `$everything` carries as its basis: the same fields as the staff export (issue #14).
# They name a recipient and a purpose, which for a Part 2 record say that SUD records went to whom: never in
# a URL (query strings land in logs and histories), only in a POST's `Parameters` body.
BASIS_PARAMS = ("basis", "consent", "recipient_name", "purpose", "purpose_text")
_PARAM_VALUES = ("valueString", "valueCode", "valueId", "valueInteger", "valuePositiveInt")


def _basis_from_body(request: HttpRequest) -> dict[str, str]:
    """The basis a POST's FHIR `Parameters` body names ({} for a GET or an empty body). Each parameter once,
    with one simple value; anything else is a 400 naming it, never dropped."""
    if request.method != "POST":
        return {}
    media = (request.content_type or "").lower()
    if media in ("application/x-www-form-urlencoded", "multipart/form-data"):  # parsed before any view
        if request.POST or request.FILES:
            raise FhirError(
                415, "not-supported", "Send the body as application/fhir+json (a Parameters resource)."
            )
        return {}
    if not request.body.strip():
        return {}
    if media not in _JSON_FORMATS:
        raise FhirError(
            415, "not-supported", "Send the body as application/fhir+json (a Parameters resource)."
        )
    try:
        body = loads_json(request.body)
    except ValueError:
        raise FhirError(400, "invalid", "The body is not valid JSON.") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError(400, "invalid", "The body must be a FHIR Parameters resource.", "Parameters")
    found: dict[str, str] = {}
    items = body.get("parameter", [])
    if not isinstance(items, list):
        raise FhirError(400, "invalid", "Parameters.parameter must be a list.", "Parameters.parameter")
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in BASIS_PARAMS:
            raise FhirError(400, "not-supported", f"unknown or unsupported parameter {name!r}", "Parameters")
        if name in found:
            raise FhirError(400, "invalid", f"{name} is given more than once", name)
        values = [k for k in item if k.startswith("value")]
        value = item[values[0]] if len(values) == 1 and values[0] in _PARAM_VALUES else None
        if isinstance(value, bool) or not isinstance(value, str | int) or "\x00" in str(value):
            raise FhirError(
                400, "invalid", f"{name} needs one value (valueString, valueCode or valueId)", name
            )
        found[name] = str(value)
    return found


@csrf_exempt  # a bearer token carries no CSRF cookie; a session's POST is held to CSRF by keel_auth
def everything(request: HttpRequest, rid: str) -> HttpResponse:
    """`Patient/{id}/$everything` by GET, or by POST with a `Parameters` body (FHIR allows both for an
    operation). A staff member's API token takes the record out of Keel: a disclosure, whose basis comes in
    the POST body, never in the URL. The next-page links carry only `_count` and `_offset`: the client POSTs
    the same body to them, and each page that leaves is accounted as its own disclosure. A staff member's
    session is refused (403): the whole record leaves by the staff export (a basis, the password again); the
    person's own session or token reads their own record (the right of access)."""

    def work() -> HttpResponse:
        in_query = [name for name in BASIS_PARAMS if name in request.GET]
        if in_query:
            raise FhirError(
                400,
                "not-supported",
                f"{', '.join(in_query)} must never be in the URL: POST them as a Parameters body",
                in_query[0],
            )
        _check_request(request, set(), methods=("GET", "HEAD", "POST"))
        by_token = not authenticates_by_session(request)
        raw = _basis_from_body(request)  # before the CSRF check, which would consume a form body
        user = _caller(request)
        target = f"Patient/{rid}/$everything"
        patient = _scoped(user, int(rid) if rid.isdigit() and len(rid) < 19 else None, "Patient", target)
        if user.role != Role.PATIENT and not policy.can_disclose(user):
            # The whole record at once is what leaves in an export (issue #14): the person, and the roles that
            # may release a record (the care team's clinicians); admins, peers and auditors read per resource.
            audit.record(
                actor=user,
                action=Action.DENIED,
                outcome=Outcome.DENIED,
                patient_id=patient.pk,
                program_id=patient.program_id,
                target_type="fhir",
                target_id=target,
                reason="role may not take the whole record",
            )
            raise FhirError(403, "forbidden", "Your role cannot take a person's whole record at once.")
        if not by_token and user.role != Role.PATIENT:
            # A clinician's session taking the whole record at once is the staff export by another door
            # (issue #14): the same file leaves, so it follows the export's rule (a basis, the password again,
            # a line in the accounting of disclosures) on the export's own route. Inside the app the care team
            # reads the record per resource; the person's own session keeps their right of access.
            audit.record(
                actor=user,
                action=Action.DENIED,
                outcome=Outcome.DENIED,
                patient_id=patient.pk,
                program_id=patient.program_id,
                target_type="fhir",
                target_id=target,
                reason="whole record by a staff session: the staff export is the way out",
            )
            raise FhirError(
                403,
                "forbidden",
                "The whole record leaves Keel only as a disclosure: use the Sharing page "
                f"(/patients/{patient.pk}/sharing/) or POST /api/v1/patients/{patient.pk}/fhir/export with "
                "a basis and your password; read single resources here.",
            )
        disclosure = by_token and user.role != Role.PATIENT
        if raw and not disclosure:
            # The person's own read is not a disclosure: a basis sent with it is refused, never silently
            # ignored.
            raise FhirError(
                400, "not-supported", "A basis is only for a disclosure by an API token.", next(iter(raw))
            )
        count, offset = _page(request)
        base = base_for(request)

        returned: dict[str, Any] = {}  # filled by build, read by the audit row written after it

        def build(subject: Patient, at: datetime) -> dict[str, Any]:
            resources = Record(subject, _areas(user), base, at).everything()
            page = resources[offset : offset + count]
            returned["returned"] = [f"{x['resourceType']}/{x['id']}" for x in page]
            more = len(resources) > offset + count
            bundle = _searchset(request, base, page, offset, count, more)
            bundle["total"] = len(resources)
            return bundle

        if disclosure:
            # Another system pulling a person's whole record with a staff member's token: the record leaves,
            # so it is a disclosure with the staff export's basis and accounting (`release_record`).
            if request.method != "POST":
                raise FhirError(
                    422,
                    "invalid",
                    "basis: a record leaves only with a basis: POST it as a Parameters body "
                    f"({', '.join(BASIS_PARAMS)})",
                    "basis",
                )
            try:
                _, bundle = release_record(
                    by=user,
                    patient_id=patient.pk,
                    raw=raw,
                    target_type="fhir",
                    description="The whole record as FHIR R4 (Patient/$everything, pulled by another system)",
                    build=build,
                    by_token=True,
                    detail=returned,
                )
            except SharingInvalid as exc:
                raise FhirError(
                    422,
                    "invalid",
                    "; ".join(f"{e.field}: {e.reason}" for e in exc.errors),
                    exc.errors[0].field,
                ) from None
            return _json(bundle)
        bundle = build(patient, timezone.now())
        _audit_read(user, patient, target, returned["returned"], [patient.pk])
        return _json(bundle)

    return _handle(request, work)


def questionnaire_search(request: HttpRequest) -> HttpResponse:
    """Questionnaires by canonical (`url`, with or without `|version`, and `version`): how another system
    resolves a QuestionnaireResponse's `questionnaire`. Keel's instrument definitions, no patient data: no
    sign-in, like the read."""

    def work() -> HttpResponse:
        _check_request(request, {"url", "version"})
        count, offset = _page(request)
        base = base_for(request)
        from keel.assessments.fhir import questionnaire

        found = [
            questionnaire(code, base, version)
            for code in registry.codes()
            for version in registry.versions(code)
        ]
        wanted: list[tuple[str, str]] = []
        for raw in request.GET.getlist("url"):
            url, _, version = raw.strip().partition("|")
            if not url:
                raise FhirError(400, "invalid", "url needs a canonical URL ([url][|version])", "url")
            wanted.append(("url", url))
            if version:
                wanted.append(("version", version))
        for raw in request.GET.getlist("version"):
            if not raw.strip():
                raise FhirError(400, "invalid", "version needs a value", "version")
            wanted.append(("version", raw.strip()))
        if "_id" in request.GET:
            ids = set(request.GET["_id"].split(","))
            found = [q for q in found if q["id"] in ids]
        found = [q for q in found if all(q.get(k) == v for k, v in wanted)]
        page = found[offset : offset + count]
        return _json(_searchset(request, base, page, offset, count, len(found) > offset + count))

    return _handle(request, work)


def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return outcome(404, "not-found", "Unknown FHIR resource type or operation.")


# --- Search machinery -----------------------------------------------------------------------------------


def _collect(
    records: Iterator[Record], resource_type: str, filters: list[Any], offset: int, count: int
) -> tuple[list[dict[str, Any]], bool, list[tuple[int, str]]]:
    """Matches from one record after another until the page (and one more, to know there is a next page)."""
    page: list[dict[str, Any]] = []
    seen: list[tuple[int, str]] = []
    skipped = 0
    for rec in records:
        for res in rec.of_type(resource_type):
            if not all(f(rec, res) for f in filters):
                continue
            if skipped < offset:
                skipped += 1
                continue
            if len(page) == count:
                return page, True, seen
            page.append(res)
            seen.append((rec.patient.pk, res["id"]))
    return page, False, seen


def _searchset(
    request: HttpRequest, base: Base, page: list[dict[str, Any]], offset: int, count: int, more: bool
) -> dict[str, Any]:
    def link(at: int) -> str:
        params = [(k, v) for k, vs in request.GET.lists() if k not in ("_offset", "_count") for v in vs]
        params += [("_count", str(count)), ("_offset", str(at))]
        return request.build_absolute_uri(request.path) + "?" + urlencode(params)

    links = [{"relation": "self", "url": link(offset)}]
    if more:
        links.append({"relation": "next", "url": link(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": link(max(0, offset - count))})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "meta": part2_meta(),  # the Bundle labelled too, not only each resource in it
        "link": links,
        "entry": entries(base, page, search={"mode": "match"}),
    }
    if not more:
        bundle["total"] = offset + len(page)
    return bundle


def _fold(text: str) -> str:
    import unicodedata

    flat = unicodedata.normalize("NFKD", text)
    return "".join(c for c in flat if not unicodedata.combining(c)).casefold()


# The rows each resource type is made of, one resource per row (`exact`), and the path to their patient.
_ROWS: dict[str, tuple[Any, str, bool]] = {
    "EpisodeOfCare": (Enrollment, "patient_id", True),
    "MedicationRequest": (MedicationOrder, "patient_id", True),
    "MedicationAdministration": (DoseRecord, "patient_id", True),
    "QuestionnaireResponse": (Assessment, "patient_id", True),
    "Consent": (Consent, "patient_id", True),
    "Provenance": (ImportedResponse, "assessment__patient_id", True),
    "Condition": (Assessment, "patient_id", False),  # from the assessments, at most one
    "Observation": (Assessment, "patient_id", False),  # several per assessment
}


def _patients_holding(
    user: Any, resource_type: str, offset: int, *, exact: bool
) -> tuple[Iterator[Patient], int]:
    """The in-scope patients whose records can hold `resource_type`, in id order, and how many matching
    resources the database skipped: only patients with rows of the type are read, and when each row is one
    resource (no other filter), whole records before `_offset` are skipped by counting rows in SQL, so a deep
    page builds only the records it returns."""
    area = _area_of(resource_type)
    scope = policy.patients_visible_to(user, area)
    model, to_patient, one_per_row = _ROWS[resource_type]
    holding = (
        model.objects.filter(**{f"{to_patient}__in": scope.values("pk")})
        .values(to_patient)
        .annotate(n=Count("pk"))
        .order_by(to_patient)
    )
    qs = scope.select_related("program").order_by("pk")
    if area not in _areas(user):  # nothing of this type is shown to the role: no record is read
        return iter(()), 0
    if not (exact and one_per_row) or offset == 0:
        return qs.filter(pk__in=holding.values(to_patient)).iterator(), 0
    skipped, start = 0, None
    for row in holding.iterator():
        if skipped + row["n"] > offset:
            start = row[to_patient]
            break
        skipped += row["n"]
    if start is None:
        return iter(()), skipped
    return qs.filter(pk__gte=start, pk__in=holding.values(to_patient)).iterator(), skipped


def _patients_matching(request: HttpRequest, user: Any, offset: int = 0) -> tuple[Iterator[Patient], int]:
    """The patients a Patient search matches, and how many of them the database skipped for `_offset` (all
    of it unless names are matched, which is done here, in Python)."""
    _refuse_hidden_field_search(request, user)
    qs = policy.patients_visible_to(user).select_related("program").order_by("pk")
    return _apply_patient_params(request, qs, offset)


def _refuse_hidden_field_search(request: HttpRequest, user: Any) -> None:
    """A search by a field the role does not see (an oracle for it) is refused and audited."""
    areas = _areas(user)
    if Area.CLINICAL not in areas:
        for name in ("identifier", "birthdate"):
            if name in request.GET:
                audit.record(
                    actor=user,
                    action=Action.DENIED,
                    outcome=Outcome.DENIED,
                    target_type="fhir",
                    target_id=f"Patient?{name}",
                    reason="search by a field this role does not see",
                )
                raise FhirError(
                    403, "forbidden", f"Your role does not see {name}s, so it cannot search by them.", name
                )


def _named_filter(request: HttpRequest, patients: list[Patient]) -> Iterator[Patient]:
    """Those of `patients` the Patient search's parameters match."""
    pks = [p.pk for p in patients]
    qs = Patient.objects.filter(pk__in=pks).select_related("program").order_by("pk")
    found, _ = _apply_patient_params(request, qs, 0)
    return found


def _apply_patient_params(request: HttpRequest, qs: Any, offset: int) -> tuple[Iterator[Patient], int]:
    if "_id" in request.GET:
        ids = [i for i in request.GET["_id"].split(",") if i.isdigit() and len(i) < 19]
        qs = qs.filter(pk__in=ids)
    for raw in request.GET.getlist("identifier"):
        system, bar, value = raw.rpartition("|")
        if not value:
            raise FhirError(400, "invalid", "identifier needs a value ([system|]value)", "identifier")
        # `|value` asks for identifiers without a system, and every record number has one; another system
        # than Keel's record numbers names no one here.
        if (bar and not system) or (system and not system.startswith(RECORD_NUMBER_SYSTEM + "/")):
            qs = qs.none()
        elif system:
            qs = qs.filter(program__slug=system.removeprefix(RECORD_NUMBER_SYSTEM + "/"))
        qs = qs.filter(record_number=value)
    for raw in request.GET.getlist("birthdate"):
        start, end, prefix = _date_range(raw, "birthdate")
        qs = qs.filter(**_date_lookup("date_of_birth", prefix, start.date(), end.date()))
    names = [(k, _fold(v).strip()) for k in ("name", "family", "given") for v in request.GET.getlist(k)]
    for kind, text in names:
        if not text:
            raise FhirError(400, "invalid", f"{kind} needs a value (the start of a name)", kind)
    if not names:
        return qs[offset:].iterator(), offset
    return _named(qs, names), 0


def _named(qs: Any, names: list[tuple[str, str]]) -> Iterator[Patient]:
    for patient in qs.iterator():
        family = _fold(patient.family_name)
        givens = [_fold(patient.given_name), _fold(patient.preferred_name)]
        ok = True
        for kind, text in names:
            parts = {"family": [family], "given": givens, "name": [family, *givens]}[kind]
            words = [w for p in parts for w in p.split()]
            if not text or not any(p.startswith(text) or w.startswith(text) for p in parts for w in words):
                ok = False
        if ok:
            yield patient


_DATE = re.compile(
    r"^(eq|ne|lt|gt|le|ge|sa|eb|ap)?(\d{4}(?:-\d{2}(?:-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?)$"
)


def _date_range(raw: str, name: str, zone: Any = None) -> tuple[datetime, datetime, str]:
    """A FHIR date search value as [start, end) and its prefix (eq, lt, gt, le, ge)."""
    m = _DATE.match(raw.strip())
    if not m:
        raise FhirError(
            400,
            "invalid",
            f"{name} must be a date like 2026-11-20, with an optional prefix (ge, le, ...)",
            name,
        )
    prefix, value = m.group(1) or "eq", m.group(2)
    if prefix not in ("eq", "lt", "gt", "le", "ge"):
        raise FhirError(
            400, "not-supported", f"the {prefix} prefix is not supported; use eq, lt, gt, le or ge", name
        )
    tz = zone or timezone.get_current_timezone()
    try:
        if "T" in value:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            at = at if at.tzinfo else at.replace(tzinfo=tz)
            return at, at + timedelta(seconds=1), prefix
        parts = [int(x) for x in value.split("-")]
        start_day = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        if len(parts) == 3:
            end_day = start_day + timedelta(days=1)
        elif len(parts) == 2:
            end_day = date(start_day.year + (start_day.month == 12), start_day.month % 12 + 1, 1)
        else:
            end_day = date(start_day.year + 1, 1, 1)
    except ValueError:
        raise FhirError(400, "invalid", f"{name} is not a real date", name) from None
    return (
        datetime.combine(start_day, time(0), tzinfo=tz),
        datetime.combine(end_day, time(0), tzinfo=tz),
        prefix,
    )


def _date_lookup(field: str, prefix: str, start: Any, end: Any) -> dict[str, Any]:
    return {
        "eq": {f"{field}__gte": start, f"{field}__lt": end},
        "lt": {f"{field}__lt": start},
        "le": {f"{field}__lt": end},
        "gt": {f"{field}__gte": end},
        "ge": {f"{field}__gte": start},
    }[prefix]


def _in_range(at: datetime, prefix: str, start: datetime, end: datetime) -> bool:
    return {
        "eq": start <= at < end,
        "lt": at < start,
        "le": at < end,
        "gt": at >= end,
        "ge": at >= start,
    }[prefix]


def _filters(request: HttpRequest, resource_type: str) -> list[Any]:
    filters: list[Any] = []
    if "_id" in request.GET and resource_type != "Patient":
        wanted = set(request.GET["_id"].split(","))
        filters.append(lambda rec, res: res["id"] in wanted)
    if resource_type != "Observation":
        return filters
    for raw in request.GET.getlist("code"):
        tokens = []
        for token in raw.split(","):
            system, bar, code = token.rpartition("|")
            if not code:
                raise FhirError(400, "invalid", "code needs a code ([system|]code)", "code")
            tokens.append((system if bar else None, code))

        def by_code(rec: Record, res: dict[str, Any], tokens: list[tuple[str | None, str]] = tokens) -> bool:
            codings = res["code"].get("coding", [])
            return any(
                c.get("code") == code and (system is None or c.get("system") == system)
                for c in codings
                for system, code in tokens
            )

        filters.append(by_code)
    for raw in request.GET.getlist("date"):
        _date_range(raw, "date")  # checked once here, again per patient in the program's time zone

        def by_date(rec: Record, res: dict[str, Any], raw: str = raw) -> bool:
            start, end, prefix = _date_range(raw, "date", zone_of(rec.patient))
            return _in_range(datetime.fromisoformat(res["effectiveDateTime"]), prefix, start, end)

        filters.append(by_date)
    return filters


# --- The CapabilityStatement ----------------------------------------------------------------------------


def capability_statement(base: Base) -> dict[str, Any]:
    """What the server does, and only that: read for every type it serves, search with the parameters above
    (plus _id, _count, _offset), `$everything` on Patient; JSON only; no writes (the PHQ-9 import is on the
    JSON API, not this endpoint)."""
    docs = {
        "identifier": (
            "token",
            "the record number ([system|]value); not for roles without the clinical area",
        ),
        "name": ("string", "any part of the name, from its start, ignoring case and accents"),
        "family": ("string", "the family name, from its start"),
        "given": ("string", "a given or preferred name, from its start"),
        "birthdate": ("date", "eq, lt, gt, le, ge; not for roles without the clinical area"),
        "patient": ("reference", "the patient (an id or Patient/id)"),
        "subject": ("reference", "the patient (an id or Patient/id)"),
        "code": ("token", "[system|]code, several separated by commas"),
        "date": ("date", "effective date, in the program's time zone: eq, lt, gt, le, ge"),
    }
    rest_resources = []
    for t in TYPES:
        params = [{"name": "_id", "type": "token"}] if t in SEARCH_PARAMS else []
        params += [
            {"name": p, "type": docs[p][0], "documentation": docs[p][1]}
            for p in sorted(SEARCH_PARAMS.get(t, ()))
        ]
        entry: dict[str, Any] = {
            "type": t,
            "interaction": [{"code": "read"}] + ([{"code": "search-type"}] if t in SEARCH_PARAMS else []),
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
        }
        if t == "Questionnaire":
            entry["interaction"].append({"code": "search-type"})
            params = [
                {"name": "_id", "type": "token"},
                {"name": "url", "type": "uri", "documentation": "the canonical URL, optionally |version"},
                {"name": "version", "type": "token", "documentation": "the business version"},
            ]
        if params:
            entry["searchParam"] = params
        if t == "Patient":
            entry["supportedProfile"] = [r.US_CORE_PATIENT]
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "documentation": (
                        "GET, or POST with a Parameters body. With a staff member's API token the record "
                        "leaves Keel: POST its basis (basis, consent, recipient_name, purpose, purpose_text) "
                        "in the body, never in the URL; POST the same body to each next link. Not with a "
                        "staff member's session (403: use the staff export)."
                    ),
                }
            ]
        rest_resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "Keel",
        "kind": "instance",
        "software": {"name": "Keel"},
        "implementation": {"description": "Keel's FHIR R4 read API", "url": base.url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Every response carries the 42 CFR Part 2 security label; paging by _count "
                    "(at "
                    f"most {MAX_COUNT}) and _offset with next links; errors as OperationOutcome."
                ),
                "security": {
                    "cors": False,
                    # No code of restful-security-service fits Keel's own bearer tokens (they are not OAuth).
                    "service": [{"text": "Bearer personal access tokens from POST /api/v1/auth/tokens"}],
                    "description": (
                        "Authorization: Bearer <token>, the same tokens as Keel's JSON API. With a staff "
                        "member's token a person's record leaves Keel (42 CFR Part 2): every read or search "
                        f"names one person (patient) and sends '{CONSENT_HEADER}: <consent id>', a live "
                        "consent of that person naming the recipient, the purpose and the whole record; each "
                        "request is a line in their accounting of disclosures. Patient/$everything takes its "
                        "basis in a POST Parameters body instead. A staff member's browser session cannot "
                        "take the whole record ($everything): that is the staff export, with a basis and "
                        "the password again. A person's own token or session reads their own record."
                    ),
                },
                "resource": rest_resources,
            }
        ],
    }
