"""Who is asking and what they may see: the caller (a Bearer token, else the signed-in session with its
second factor), the areas of their role, the patient in their scope for a type (else a denied row and a
404), the one audit row per read, and the Keel-Consent rule for a staff member's API token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja.errors import HttpError

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.accounts.middleware import authenticates_by_session, bearer_credential
from keel.api_auth import RELEASE_CREDENTIAL, RELEASE_CREDENTIAL_SAID, keel_auth
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import disclosure_words
from keel.core.rules.inputs import record_id
from keel.interop.fhir.base import with_terms
from keel.interop.fhir.record import CLINICAL_TYPES
from keel.interop.rest.outcomes import FhirError, _deny, _json
from keel.patients.models import Patient
from keel.sharing.models import Consent
from keel.sharing.services import CONSENT_HEADER, SharingInvalid, SharingNotAllowed, release_to_system
from keel.sharing.services.releases import Releases

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from django.db.models import QuerySet

    from keel.accounts.models import User


def _caller(request: HttpRequest) -> User:
    try:
        user = keel_auth(request)
    except HttpError as exc:  # the auth raises only for CSRF on a session's POST (`$everything`)
        raise FhirError(403, "forbidden", str(exc)) from None
    if user is None:
        raise FhirError(
            401, "login", "Send a valid API token as 'Authorization: Bearer <token>', or sign in."
        )
    return user


def _areas(user: User) -> frozenset[Area]:
    return policy.areas_of(user)


def _audit_read(
    user: User,
    patient: Patient | None,
    target: str,
    returned: list[str],
    patients: list[int],
    programs: dict[int, int] | None = None,
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
            programs=programs,
        )


def _area_of(resource_type: str) -> Area:
    return Area.CLINICAL if resource_type in CLINICAL_TYPES else Area.IDENTITY


def _in_scope(user: User, resource_type: str) -> QuerySet[Patient]:
    """Review 38f H1: the one set of patients a FHIR search over several people may read for this type,
    each row marked as `_scoped`'s getter marks it (`policy.marked_off_team`: reached only through emergency
    access), so every record built from it tells what the read by id tells; a person's consents are not
    opened by emergency access (review 19b). Every program-wide search builds its records from this."""
    scope = policy.patients_visible_to(user, _area_of(resource_type))
    if resource_type == "Consent":
        scope = policy.without_emergency_only(user, scope)
    return policy.marked_off_team(user, scope).select_related("program")


def _scoped(user: User, patient_id: int | None, resource_type: str, target: str) -> Patient:
    """The patient in the caller's scope for this type, or a denied audit row and a 404 (one person: the
    getter marks the row as `_in_scope` marks each of a search's)."""
    return policy.get_patient_or_404(
        user,
        patient_id if patient_id is not None else 0,
        area=_area_of(resource_type),
        target_type="fhir",
        target_id=target[:200],
        audit_success=False,
    )


# --- Another system reading with a staff member's API token (issue #14) -----------------------------------
# A FHIR read by a staff bearer token is another system receiving Part 2 records: it names one person (a
# search naming no patient is refused, never a silent bulk export), and each request is a disclosure under the
# patient's consent, named in the `Keel-Consent` header (never in the URL), checked by the one basis function
# (`sharing.services.release_to_system`) and written as one Disclosure row (a search that releases nothing of
# hers: none, the access audited as a read, lane priv34). The app's own pages (the session)
# and the patient's own token are unchanged.


def _staff_token(request: HttpRequest, user: User) -> bool:
    return not policy.is_program_patient(user) and not authenticates_by_session(request)


# --- A token bound to a recipient only releases, here too (review 22g) -------------------------------------
# The JSON API asks `policy.bound_token_may` before every operation (`keel.api_auth`); /fhir/R4/ asks the same
# function with what the request does: a staff token's read, search or `$everything` of a person's record is a
# release under their consent (`TokenUse.RELEASE`, checked and bound inside `release_record`); everything else
# a token asks with sign-in (`Practitioner/{id}`, `Organization/{id}`: who works at the Part 2 program, which
# no consent of a person's names; a person's own token reading their own record) is `TokenUse.OTHER`, refused
# to a bound token with a 403 OperationOutcome, audited. What needs no sign-in stays open to everyone
# (`metadata`, and Keel's instrument definitions: `Questionnaire` read and `?url=`).


def use_of(request: HttpRequest, user: User) -> policy.TokenUse:
    """What a read, search or `$everything` of a person's record does: a release (a staff token), or not."""
    return policy.TokenUse.RELEASE if _staff_token(request, user) else policy.TokenUse.OTHER


def token_may(user: User, use: policy.TokenUse, target: str) -> None:
    """`policy.bound_token_may` for this FHIR request (the JSON API's one definition): refused, audited as the
    JSON API audits it, and answered as a 403 OperationOutcome."""
    bound_to = accounts.token_bound_to(user)
    # A staff token's read of a person's record is a release here (`use_of`); what is left (who works at the
    # program: Practitioner, Organization) is no person's record.
    if policy.bound_token_may(bound_to=bound_to, use=use):
        return
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="fhir",
        target_id=target[:200],
        reason=RELEASE_CREDENTIAL,
    )
    raise FhirError(403, "forbidden", gettext(RELEASE_CREDENTIAL_SAID))


# --- One token, one recipient (review 20c) ------------------------------------------------------------------
# A token that releases records is the credential of one external system: it is bound to one recipient (named
# when issued; one issued for none releases nothing, review 25b H5; checked again inside the release), and a
# consent naming another recipient is refused for it (403, audited), so the accounting of disclosures never
# names two recipients for what one system received.

OTHER_RECIPIENT = "API token bound to another recipient"


class _OtherRecipient(FhirError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "forbidden",
            "This API token releases records to one recipient only, and this consent names another: "
            "the other recipient's system reads with its own token.",
        )


NO_RECIPIENT = "API token bound to no recipient"


class _NoRecipient(FhirError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "forbidden",
            "This API token was issued for no recipient, so it releases no record: issue a token that names "
            "the recipient whose system reads with it, as the person's consent names them.",
        )


def _refuse_other_recipient(user: User, patient: Patient, target: str) -> FhirError:
    """A token bound to another recipient than the consent's, or to none (review 25b, H5: a token is bound
    when issued; its first release no longer picks its recipient), refused and audited."""
    unbound = not accounts.token_bound_to(user)
    audit.record_for_patient(
        user,
        patient,
        Action.DENIED,
        "fhir",
        target[:200],
        outcome=Outcome.DENIED,
        reason=NO_RECIPIENT if unbound else OTHER_RECIPIENT,
    )
    return _NoRecipient() if unbound else _OtherRecipient()


def _bound_build(
    request: HttpRequest,
    user: User,
    patient: Patient,
    target: str,
    consent_id: object,
    build: Callable[[Patient, datetime], dict[str, Any]],
    field: str = CONSENT_HEADER,
) -> Callable[[Patient, datetime], dict[str, Any]]:
    """`build`, run only when the token releases to the named consent's recipient: refused at once when the
    token is bound to another, and checked again (binding an unbound token) inside the release's transaction,
    so nothing leaves and no Disclosure row is written for another recipient. Review 31b H3: a consent naming
    another recipient is answered as an id of no consent (`_basis_patient`'s 422 naming `field`), audited
    as another recipient's: the token learns nothing of a consent its recipient is not named on."""
    secret = bearer_credential(request) or ""
    pk = record_id(str(consent_id)) if consent_id is not None else None
    consents = Consent.objects.filter(patient=patient, pk=pk) if pk is not None else Consent.objects.none()
    found = consents.values_list("recipient_name", flat=True).first()
    recipient = found or ""
    if found is not None and not accounts.token_releases_to(secret, recipient):
        if not accounts.token_bound_to(user):
            raise _refuse_other_recipient(user, patient, target)
        audit.record_for_patient(
            user, patient, Action.DENIED, "fhir", target[:200], outcome=Outcome.DENIED, reason=OTHER_RECIPIENT
        )
        raise _no_such_consent(field)

    def bound(subject: Patient, at: datetime) -> dict[str, Any]:
        if not accounts.bind_token_recipient(secret, recipient):
            raise _OtherRecipient()  # rolls the release back; audited by the caller, outside it
        return build(subject, at)

    return bound


_NO_BASIS = f"API token read without a consent basis ({CONSENT_HEADER})"


def _no_basis_error() -> FhirError:
    return FhirError(
        422,
        "required",
        f"{CONSENT_HEADER}: a person's record leaves Keel only under their consent: send "
        f"'{CONSENT_HEADER}: <consent id>' (a consent naming your organization, covering the whole "
        "record)",
        CONSENT_HEADER,
    )


def _consent_patient(request: HttpRequest, user: User, target: str) -> int:
    """Review 20c: a staff token's read names its consent basis before anything about the record is looked
    up, so without one the answer is the same whether or not the resource (or the person) exists: the
    header missing, or naming no consent, is the same 422 for every id. Returns the consent's patient id."""
    raw = request.headers.get(CONSENT_HEADER, "").strip()
    return _basis_patient(user, raw, target)


def _basis_patient(user: User, raw: str, target: str, field: str = CONSENT_HEADER) -> int:
    """The patient of the consent `raw` names (the Keel-Consent header, or `$everything`'s `consent`), looked
    up before the person the request names. Review 21f: only consents of the caller's programs are found:
    another program's consent is answered as a consent id nobody has, the same 422, before its patient is
    looked up."""
    if not policy.can_disclose(user):  # a role that never releases is told so before any consent is looked up
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="fhir",
            target_id=target[:200],
            reason="role may not record consents or disclose",
        )
        raise FhirError(403, "forbidden", "Your role cannot release a person's record.")
    pk = record_id(raw) if raw else None
    if pk is not None:
        _refuse_unbound_token(user, target)
    programs = policy.program_ids_of(user)
    # review 21z: a consent of a person outside the caller's scope is answered as an id nobody has too
    visible = policy.patients_visible_to(user).values("pk")
    found = (
        Consent.objects.filter(pk=pk, program_id__in=programs, patient__in=visible)
        .values_list("patient_id", flat=True)
        .first()
        if pk
        else None
    )
    if found is None:
        missing = not raw and field == CONSENT_HEADER
        reason = _NO_BASIS if missing else f"{field}: no such consent for this patient"
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="fhir",
            target_id=target[:200],
            reason=reason,
        )
        if missing:
            raise _no_basis_error()
        raise _no_such_consent(field)
    return int(found)


def _refuse_unbound_token(user: User, target: str) -> None:
    """Review 31c H1: a token issued for no recipient releases nothing (review 25b H5), so a consent it names
    is refused (403, audited) before any consent is looked up, as the JSON API refuses it (`token_first`):
    the same answer for a real consent and an id nobody has. No consent named, or text that is no id (review
    21z), stays the 422 of no basis or of no such consent, whether or not any consent exists."""
    if accounts.token_in_use(user) is None or accounts.token_bound_to(user):
        return
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="fhir",
        target_id=target[:200],
        reason=NO_RECIPIENT,
    )
    raise _NoRecipient()


def _no_such_consent(field: str) -> FhirError:
    """The one answer to a consent id that is no consent a token may name (review 21f; review 31b H3)."""
    return FhirError(422, "invalid", f"{field}: no such consent for this patient", field)


# --- No basis for the person named: one answer, whoever they are (review 21f) -------------------------------
# A staff token's read, search or `$everything` is released under one person's consent. Whether the person
# (or the resource) the request names is that consent's is decided inside the release, once the consent is
# found live and for this token's recipient, and a request naming anyone else gets exactly the answer of an id
# nobody has, with a denied audit row and nothing of the release written (rolled back): a token learns nothing
# about who is a patient of the program, or what their record holds, without a consent of theirs.


class _Uncovered(Exception):
    """Raised inside a release: the person or resource named is not the consent's (rolls the release back)."""


def _only_for(
    names: Callable[[Patient], bool], build: Callable[[Patient, datetime], dict[str, Any]]
) -> Callable[[Patient, datetime], dict[str, Any]]:
    """`build`, run only when the consent's person is the one the request names (else `_Uncovered`)."""

    def only(subject: Patient, at: datetime) -> dict[str, Any]:
        if not names(subject):
            raise _Uncovered
        return build(subject, at)

    return only


def _uncovered(user: User, target: str, field: str = "") -> FhirError:
    """The one answer to a staff token naming what its consent basis does not cover, the answer an id nobody
    has gets, audited as denied: a resource id (a read, `field` "") is the 404 "Not found."; a person (a
    search's `patient`, `$everything`'s id) is the 422 naming the consent's `field`, "no such consent for this
    patient", for Bob in the program and for an id no one has alike."""
    if not field:
        return _deny(user, "fhir", target, "not in this record")
    reason = f"{field}: no such consent for this patient"
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="fhir",
        target_id=target[:200],
        reason=reason,
    )
    return FhirError(422, "invalid", reason, field)


def not_released(exc: SharingNotAllowed) -> FhirError:
    """The one FHIR answer to a release the policy refused, already audited where it was refused (a role
    that never releases; a clinician who reaches the person only through emergency access, which is for
    reading, never for letting the record out): a 403 OperationOutcome saying why, on a read, a search and
    `$everything` alike (review 22f: `$everything` let it through as a 500)."""
    return FhirError(403, "forbidden", str(exc) or "Your role cannot release a person's record.")


def refuse_head(request: HttpRequest) -> None:
    """HEAD by a staff token on a route that discloses (a read, a search, `$everything` with or without a
    next link): 405, before anything is looked up (review 20c; `$everything` review 21f)."""
    if request.method == "HEAD":  # nothing would be sent, so nothing may be accounted as sent
        raise FhirError(
            405, "not-supported", "A disclosure is read with GET: HEAD is not served to an API token."
        )


def _released(
    request: HttpRequest,
    user: User,
    patient: Patient,
    target: str,
    build: Callable[[Patient, datetime], dict[str, Any]],
    detail: dict[str, Any],
    names: Callable[[Patient], bool],
    field: str = "",
    releases: Releases | None = None,
) -> HttpResponse:
    """A staff token's read or search released under the consent in Keel-Consent (of `patient`, its person):
    `names(patient)` false (the request names another person, `field` CONSENT_HEADER, or another's
    resource, `field` "") is `_uncovered`. `releases`: a search's test of whether its page carries anything
    of hers (lane priv34: if not, no Disclosure row, the access audited)."""
    refuse_head(request)
    consent = request.headers.get(CONSENT_HEADER, "").strip()
    if not consent:
        audit.record_for_patient(
            user,
            patient,
            Action.DENIED,
            "fhir",
            target[:200],
            outcome=Outcome.DENIED,
            reason=_NO_BASIS,
        )
        raise _no_basis_error()
    bound = _bound_build(request, user, patient, target, consent, _only_for(names, build))
    try:
        _, document = release_to_system(
            by=user,
            patient_id=patient.pk,
            consent_id=consent,
            target_type="fhir",
            description=disclosure_words.read_by_a_system(target.split("?")[0].split("/")[0]),
            build=bound,
            detail=detail,
            carry=with_terms,
            releases=releases,
        )
    except _OtherRecipient:
        raise _refuse_other_recipient(user, patient, target) from None
    except _Uncovered:  # audited outside the rolled-back release
        raise _uncovered(user, target, field) from None
    except FhirError as exc:
        if exc.status == 404:  # the resource not in the consent's person's record
            raise _uncovered(user, target) from None
        raise
    except SharingNotAllowed as exc:
        raise not_released(exc) from None
    except SharingInvalid as exc:
        raise FhirError(
            422, "invalid", "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), exc.errors[0].field
        ) from None
    return _json(document)
