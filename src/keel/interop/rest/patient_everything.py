"""`Patient/{id}/$everything`: the person's own record for them, the whole record as a disclosure for a
staff member's API token (its basis in a POST `Parameters` body, never in the URL), refused to a staff
session (the staff export is the way out).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from keel.access import policy
from keel.accounts import services as accounts
from keel.accounts.middleware import authenticates_by_session, bearer_credential
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import disclosure_words
from keel.core import sharing as core_sharing
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import DuplicateKey, loads_json
from keel.interop.api import base_for
from keel.interop.fhir.base import Base, with_terms
from keel.interop.fhir.record import Record
from keel.interop.rest.auth import (
    _audit_read,
    _basis_patient,
    _bound_build,
    _caller,
    _only_for,
    _OtherRecipient,
    _refuse_other_recipient,
    _scoped,
    _Uncovered,
    _uncovered,
    not_released,
    refuse_head,
    token_may,
    use_of,
)
from keel.interop.rest.outcomes import MALFORMED_ID, FhirError, _deny, _handle, _json
from keel.interop.rest.params import _JSON_FORMATS, PAGING, _check_request, _page, _searchset
from keel.patients.models import Patient, local_today
from keel.sharing.carried import released_to
from keel.sharing.models import Basis, Disclosure
from keel.sharing.services import SharingInvalid, SharingNotAllowed, release_record
from keel.sharing.services.common import _covered
from keel.sharing.services.common import _deny as _deny_release

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


def _refuse_role(user: User, patient: Patient | None, target: str) -> None:
    """Guard 3: the whole record only for the person and the roles that may release a record, audited. For a
    staff token (`patient` None) before the person is looked up, so every id gets this answer (review 21f)."""
    if not policy.may_take_whole_record(user):
        # The whole record at once is what leaves in an export (issue #14): the person, and the roles that
        # may release a record (the care team's clinicians); admins, peers and auditors read per resource.
        reason = "role may not take the whole record"
        if patient is None:
            audit.record(
                actor=user,
                action=Action.DENIED,
                outcome=Outcome.DENIED,
                target_type="fhir",
                target_id=target,
                reason=reason,
            )
        else:
            audit.record_for_patient(  # the scoped patient: its keel_off_team marks an emergency access
                user, patient, Action.DENIED, "fhir", target, outcome=Outcome.DENIED, reason=reason
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


# --- Next links of a disclosure (review 20c) ----------------------------------------------------------------
# A FHIR client follows `next` with GET. The page token in a disclosure's next links binds them to the
# disclosure already recorded: the same person, staff member and API token, the record exactly as released
# (its digest), within an hour, the consent still live and the token still bound to its recipient. Following
# it writes an audit row naming that disclosure, never a second Disclosure row; it carries no basis.
PAGE_PARAM = "_page"
_PAGE_SALT = "keel.interop.everything-next-page"
_PAGE_MAX_AGE = 3600
_DESCRIPTION = disclosure_words.SENT_TO_A_SYSTEM  # in the accounting, in plain words (review 33b H1)


def _digest(resources: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(resources, sort_keys=True).encode()).hexdigest()


def _page_token(request: HttpRequest, user: User, subject: Patient, at: datetime, digest: str) -> str:
    token = accounts.token_id(bearer_credential(request) or "")
    payload = {"p": subject.pk, "u": user.pk, "k": token, "a": at.isoformat(), "h": digest}
    return signing.dumps(payload, salt=_PAGE_SALT)


def _page_builder(
    request: HttpRequest,
    user: User,
    base: Base,
    count: int,
    offset: int,
    returned: dict[str, Any],
    *,
    disclosure: bool = False,
) -> Callable[[Patient, datetime], dict[str, Any]]:
    """Step 6: the page of the record that leaves, noting in `returned` what it carried (the audit row); a
    disclosure's next links carry the page token bound to it."""

    def build(subject: Patient, at: datetime) -> dict[str, Any]:
        resources = Record.read_by(user, subject, base, at).everything()
        page = resources[offset : offset + count]
        returned["returned"] = [f"{x['resourceType']}/{x['id']}" for x in page]
        more = len(resources) > offset + count
        carried = ((PAGE_PARAM, _page_token(request, user, subject, at, _digest(resources))),)
        bundle = _searchset(request, base, page, offset, count, more, carried=carried if disclosure else ())
        bundle["total"] = len(resources)
        return bundle

    return build


def _not_this_link() -> FhirError:
    return FhirError(
        403,
        "forbidden",
        f"{PAGE_PARAM}: this next link is not one of your disclosures, or is older than an hour: "
        "POST the basis again",
        PAGE_PARAM,
    )


def _link_data(request: HttpRequest, user: User, pk: int | None, target: str, secret: str) -> dict[str, Any]:
    """What a next link signed: checked before the person is looked up. A link of no disclosure, an expired
    one, or another user's or token's is the same 403; another person's, the 404 of an id nobody has
    (review 20c)."""
    try:
        data = signing.loads(request.GET[PAGE_PARAM], salt=_PAGE_SALT, max_age=_PAGE_MAX_AGE)
    except signing.BadSignature:  # also an expired one
        raise _not_this_link() from None
    if not isinstance(data, dict):
        raise _not_this_link()
    if pk is None or data.get("p") != pk:  # another person's link: the 404 of an id nobody has (review 20c)
        raise _deny(user, "fhir", target, "outside scope or missing")
    if data.get("u") != user.pk:
        raise _not_this_link()
    if data.get("k") is None or data.get("k") != accounts.token_id(secret):
        raise _not_this_link()
    return data


def _still_released(user: User, patient: Patient, at: datetime, secret: str, target: str) -> Disclosure:
    """The disclosure the link pages through, while its consent still covers the record and the token still
    releases to its recipient; refused (audited) otherwise: nothing more leaves."""
    released = Disclosure.objects.filter(
        patient=patient,
        disclosed_by=user,
        disclosed_at=at,
        description__in=disclosure_words.stored_as(_DESCRIPTION),
        consent__isnull=False,
    ).first()
    if released is None:
        raise _not_this_link()
    _, _, refusal = _covered(patient, released.consent_id, (core_sharing.RECORD,), local_today(patient))
    if refusal is not None:  # revoked, ended or its signer's authority ended since the first page
        said = f"{refusal.field}: {refusal.reason}"  # audited and answered as a first page's (lane priv31)
        _deny_release(user, patient, "fhir", said)
        raise FhirError(422, "invalid", said, refusal.field)
    if not accounts.token_releases_to(secret, released.recipient_name):
        raise _refuse_other_recipient(user, patient, target)
    return released


def _next_page(
    request: HttpRequest, user: User, pk: int | None, target: str, count: int, offset: int
) -> HttpResponse:
    """A next link of a disclosure, followed with GET by the same token: a page of the record as released.
    The link is checked before the person is looked up (review 21f): a link of no disclosure is the same 403
    for every id, and a link of another person's disclosure is answered as an id nobody has."""
    secret = bearer_credential(request) or ""
    data = _link_data(request, user, pk, target, secret)
    patient = _scoped(user, pk, "Patient", target)
    at = datetime.fromisoformat(str(data.get("a")))
    released = _still_released(user, patient, at, secret, target)
    base = base_for(request)
    with released_to(released.recipient_name):  # what the first page released (review 32b H1)
        resources = Record.read_by(user, patient, base, at).everything()
    if _digest(resources) != data.get("h"):  # never more (or other) than what was released
        raise FhirError(
            409, "conflict", "The record changed since the first page: POST the basis again.", PAGE_PARAM
        )
    page = resources[offset : offset + count]
    returned = [f"{x['resourceType']}/{x['id']}" for x in page]
    bundle = _searchset(request, base, page, offset, count, len(resources) > offset + count)
    bundle["total"] = len(resources)
    bundle = with_terms(bundle, released.notice, released.scope)  # each page carries the release's terms
    audit.record_for_patient(
        user,
        patient,
        Action.EXPORT,
        "fhir",
        target,
        reason="pulled with an API token",
        detail={
            "returned": returned,
            "basis": "consent",
            "consent_id": released.consent_id,
            "disclosure_id": released.pk,
        },
    )
    return _json(bundle)


def _need_basis() -> None:
    raise FhirError(
        422,
        "invalid",
        f"basis: a record leaves only with a basis: POST it as a Parameters body ({', '.join(BASIS_PARAMS)})",
        "basis",
    )


def _refuse_other_basis(user: User, raw: dict[str, str], target: str) -> None:
    """Guard 7a (a staff token): the basis is a consent, refused before the person is looked up, so every id
    gets the same answer (review 21f); the patient's own request is not another system's basis."""
    basis = raw.get("basis")
    if basis == Basis.CONSENT:
        return
    if basis == Basis.PATIENT_REQUEST:
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="fhir",
            target_id=target,
            reason="patient_request basis claimed by an API token",
        )
        raise FhirError(
            422,
            "invalid",
            "basis: must be consent for a pull by another system: the patient's own request is the export "
            "handed over in Keel, or the patient's own sign-in",
            "basis",
        )
    _need_basis()


def _disclose_everything(
    request: HttpRequest, user: User, pk: int | None, target: str, raw: dict[str, str]
) -> HttpResponse:
    """Step 7 (a staff token): the record leaves as a disclosure with the staff export's basis and
    accounting (`release_record`), its basis POSTed. Review 21f: the consent is found (in the caller's
    scope) before the person, its person is the one released, and a request naming anyone else is answered
    as an id nobody has (`_uncovered`): a token learns nothing about who is in the program without a
    consent of theirs."""
    _refuse_other_basis(user, raw, target)
    patient = _scoped(
        user, _basis_patient(user, raw.get("consent", "").strip(), target, "consent"), "Patient", target
    )
    count, offset = _page(request)
    returned: dict[str, Any] = {}  # filled by build, read by the audit row written after it
    build = _page_builder(request, user, base_for(request), count, offset, returned, disclosure=True)
    bound = _bound_build(
        request, user, patient, target, raw.get("consent"), _only_for(lambda s: s.pk == pk, build), "consent"
    )
    try:
        _, bundle = release_record(
            by=user,
            patient_id=patient.pk,
            raw=raw,
            target_type="fhir",
            description=_DESCRIPTION,
            build=bound,
            by_token=True,
            detail=returned,
            carry=with_terms,
        )
    except _OtherRecipient:
        raise _refuse_other_recipient(user, patient, target) from None
    except _Uncovered:  # another person than the consent's: audited outside the rolled-back release
        raise _uncovered(user, target, "consent") from None
    except SharingNotAllowed as exc:  # audited by the policy where refused (emergency access, review 22f)
        raise not_released(exc) from None
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
    _check_request(request, PAGING | {PAGE_PARAM}, methods=("GET", "HEAD", "POST"))  # guard 2: no `_id`
    by_token = not authenticates_by_session(request)
    raw = _basis_from_body(request)  # before the CSRF check, which would consume a form body
    user = _caller(request)
    pk = int(rid) if ascii_digits(rid) and len(rid) < 19 else None
    # an id that is not a number: the typed text never copied into the audit row (review 19d)
    target = f"Patient/{rid if pk is not None else MALFORMED_ID}/$everything"
    disclosure = by_token and not policy.is_program_patient(user)
    token_may(user, use_of(request, user), target)  # review 22g: the JSON API's one policy
    if disclosure:  # review 21f: HEAD by a staff token is 405 here too, bare or with a next link
        refuse_head(request)
    following = PAGE_PARAM in request.GET
    if following and not (disclosure and request.method == "GET"):
        raise FhirError(
            400, "not-supported", f"{PAGE_PARAM}: a next link is followed with GET by the token", PAGE_PARAM
        )
    if disclosure:  # nothing about the person is looked up before the role, the link or the basis
        _refuse_role(user, None, target)
        if following:
            count, offset = _page(request)
            return _next_page(request, user, pk, target, count, offset)
        if request.method != "POST":
            _need_basis()  # the same answer for every id (review 20c)
        return _disclose_everything(request, user, pk, target, raw)
    patient = _scoped(user, pk, "Patient", target)
    _refuse_role(user, patient, target)
    _refuse_staff_session(user, patient, target, by_token=by_token)
    _refuse_basis_for_own_read(raw, disclosure=disclosure)
    count, offset = _page(request)
    returned: dict[str, Any] = {}  # filled by build, read by the audit row written after it
    build = _page_builder(request, user, base_for(request), count, offset, returned)
    bundle = build(patient, timezone.now())  # the person's own record: the right of access, audited as read
    _audit_read(user, patient, target, returned["returned"], [patient.pk])
    return _json(bundle)


@csrf_exempt  # a bearer token carries no CSRF cookie; a session's POST is held to CSRF by keel_auth
def everything(request: HttpRequest, rid: str) -> HttpResponse:
    """`Patient/{id}/$everything` by GET, or by POST with a `Parameters` body (FHIR allows both for an
    operation). A staff member's API token takes the record out of Keel: a disclosure, whose basis comes in
    the POST body, never in the URL. Its next-page links carry `_count`, `_offset` and a page token bound to
    that disclosure (review 20c): the client follows them with GET, no second disclosure is written, and
    nothing beyond the record released leaves. A staff member's
    session is refused (403): the whole record leaves by the staff export (a basis, the password again); the
    person's own session or token reads their own record (the right of access)."""
    return _handle(request, lambda: _everything(request, rid))
