"""`Patient/{id}/$everything`: the person's own record for them, the whole record as a disclosure for a
staff member's API token (its basis in a POST `Parameters` body, never in the URL), refused to a staff
session (the staff export is the way out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keel.access import policy
from keel.accounts.middleware import authenticates_by_session
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import DuplicateKey, loads_json
from keel.interop.api import base_for
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.interop.rest.auth import (
    _areas,
    _audit_read,
    _bound_build,
    _caller,
    _OtherRecipient,
    _refuse_other_recipient,
    _scoped,
)
from keel.interop.rest.outcomes import MALFORMED_ID, FhirError, _handle, _json
from keel.interop.rest.params import _JSON_FORMATS, _check_request, _page, _searchset
from keel.patients.models import Patient
from keel.sharing.services import SharingInvalid, release_record

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
    except DuplicateKey as exc:  # review 16a: which of the two the caller meant is not ours to guess
        raise FhirError(400, "invalid", f"The body names {exc.key!r} more than once.") from None
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


def _refuse_basis_in_url(request: HttpRequest) -> None:
    """Guard 1: a basis is never in the URL (query strings land in logs and histories)."""
    in_query = [name for name in BASIS_PARAMS if name in request.GET]
    if in_query:
        raise FhirError(
            400,
            "not-supported",
            f"{', '.join(in_query)} must never be in the URL: POST them as a Parameters body",
            in_query[0],
        )


def _refuse_role(user: User, patient: Patient, target: str) -> None:
    """Guard 3: the whole record only for the person and the roles that may release a record, audited."""
    if not policy.may_take_whole_record(user):
        # The whole record at once is what leaves in an export (issue #14): the person, and the roles that
        # may release a record (the care team's clinicians); admins, peers and auditors read per resource.
        audit.record_for_patient(  # the scoped patient: its keel_off_team marks an emergency access
            user,
            patient,
            Action.DENIED,
            "fhir",
            target,
            outcome=Outcome.DENIED,
            reason="role may not take the whole record",
        )
        raise FhirError(403, "forbidden", "Your role cannot take a person's whole record at once.")


def _refuse_staff_session(user: User, patient: Patient, target: str, *, by_token: bool) -> None:
    """Guard 4: a staff member's session is refused (the staff export is the way out), audited."""
    if not by_token and not policy.is_program_patient(user):
        # A clinician's session taking the whole record at once is the staff export by another door
        # (issue #14): the same file leaves, so it follows the export's rule (a basis, the password again,
        # a line in the accounting of disclosures) on the export's own route. Inside the app the care team
        # reads the record per resource; the person's own session keeps their right of access.
        audit.record_for_patient(  # the scoped patient: its keel_off_team marks an emergency access
            user,
            patient,
            Action.DENIED,
            "fhir",
            target,
            outcome=Outcome.DENIED,
            reason="whole record by a staff session: the staff export is the way out",
        )
        raise FhirError(
            403,
            "forbidden",
            "The whole record leaves Keel only as a disclosure: use the Sharing page "
            f"(/patients/{patient.pk}/sharing/) or POST /api/v1/patients/{patient.pk}/fhir/export with "
            "a basis and your password; read single resources here.",
        )


def _refuse_basis_for_own_read(raw: dict[str, str], *, disclosure: bool) -> None:
    """Guard 5: the person's own read is not a disclosure: a basis sent with it is refused, never ignored."""
    if raw and not disclosure:
        raise FhirError(
            400, "not-supported", "A basis is only for a disclosure by an API token.", next(iter(raw))
        )


def _page_builder(
    request: HttpRequest, user: User, base: Base, count: int, offset: int, returned: dict[str, Any]
) -> Callable[[Patient, datetime], dict[str, Any]]:
    """Step 6: the page of the record that leaves, noting in `returned` what it carried (the audit row)."""

    def build(subject: Patient, at: datetime) -> dict[str, Any]:
        resources = Record(subject, _areas(user), base, at).everything()
        page = resources[offset : offset + count]
        returned["returned"] = [f"{x['resourceType']}/{x['id']}" for x in page]
        more = len(resources) > offset + count
        bundle = _searchset(request, base, page, offset, count, more)
        bundle["total"] = len(resources)
        return bundle

    return build


def _disclose_everything(
    request: HttpRequest,
    user: User,
    patient: Patient,
    raw: dict[str, str],
    build: Callable[[Patient, datetime], dict[str, Any]],
    returned: dict[str, Any],
) -> HttpResponse:
    """Step 7 (a staff token): the record leaves as a disclosure with the staff export's basis and
    accounting (`release_record`), its basis POSTed."""
    if request.method != "POST":
        raise FhirError(
            422,
            "invalid",
            "basis: a record leaves only with a basis: POST it as a Parameters body "
            f"({', '.join(BASIS_PARAMS)})",
            "basis",
        )
    target = f"Patient/{patient.pk}/$everything"
    bound = _bound_build(request, user, patient, target, raw.get("consent"), build)
    try:
        _, bundle = release_record(
            by=user,
            patient_id=patient.pk,
            raw=raw,
            target_type="fhir",
            description="The whole record as FHIR R4 (Patient/$everything, pulled by another system)",
            build=bound,
            by_token=True,
            detail=returned,
        )
    except _OtherRecipient:
        raise _refuse_other_recipient(user, patient, target) from None
    except SharingInvalid as exc:
        raise FhirError(
            422,
            "invalid",
            "; ".join(f"{e.field}: {e.reason}" for e in exc.errors),
            exc.errors[0].field,
        ) from None
    return _json(bundle)


def _everything(request: HttpRequest, rid: str) -> HttpResponse:
    """The operation's guards and steps in order (run by `_handle`, which answers a FhirError)."""
    _refuse_basis_in_url(request)
    _check_request(request, set(), methods=("GET", "HEAD", "POST"))  # guard 2
    by_token = not authenticates_by_session(request)
    raw = _basis_from_body(request)  # before the CSRF check, which would consume a form body
    user = _caller(request)
    pk = int(rid) if ascii_digits(rid) and len(rid) < 19 else None
    # an id that is not a number: the typed text never copied into the audit row (review 19d)
    target = f"Patient/{rid if pk is not None else MALFORMED_ID}/$everything"
    patient = _scoped(user, pk, "Patient", target)
    _refuse_role(user, patient, target)
    _refuse_staff_session(user, patient, target, by_token=by_token)
    disclosure = by_token and not policy.is_program_patient(user)
    _refuse_basis_for_own_read(raw, disclosure=disclosure)
    count, offset = _page(request)
    returned: dict[str, Any] = {}  # filled by build, read by the audit row written after it
    build = _page_builder(request, user, base_for(request), count, offset, returned)
    if disclosure:
        return _disclose_everything(request, user, patient, raw, build, returned)
    bundle = build(patient, timezone.now())  # the person's own record: the right of access, audited as read
    _audit_read(user, patient, target, returned["returned"], [patient.pk])
    return _json(bundle)


@csrf_exempt  # a bearer token carries no CSRF cookie; a session's POST is held to CSRF by keel_auth
def everything(request: HttpRequest, rid: str) -> HttpResponse:
    """`Patient/{id}/$everything` by GET, or by POST with a `Parameters` body (FHIR allows both for an
    operation). A staff member's API token takes the record out of Keel: a disclosure, whose basis comes in
    the POST body, never in the URL. The next-page links carry only `_count` and `_offset`: the client POSTs
    the same body to them, and each page that leaves is accounted as its own disclosure. A staff member's
    session is refused (403): the whole record leaves by the staff export (a basis, the password again); the
    person's own session or token reads their own record (the right of access)."""
    return _handle(request, lambda: _everything(request, rid))
