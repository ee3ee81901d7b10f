"""A release by an API token is answered alike for every person until a consent of theirs naming the token's
recipient is found (review 31b, H2 and H3).

The JSON API's release routes (`POST /patients/{id}/disclosures`, `POST /patients/{id}/fhir/export`) looked
the person up first: a token bound to a recipient learned who is on its staff member's caseload (the body's
fields for a person in scope, a 404 for an id nobody has) and that a person consented to another recipient
(a 403 "another recipient" for that consent's id, a 422 for an id of no consent). 42 CFR 2.13(c): the
presence of an identified patient is acknowledged only with their written consent; 2.13(a) and HIPAA
164.502(b): no more than the consent lets out. So, for a token, everything that needs no record comes
first (the role, the body's shape, the token's own recipient, an emergency it may never declare), then the
consent named: a consent of this person naming the token's recipient, else exactly the 404 of an id nobody
has, audited as a denial (naming another recipient's consent when it was one). FHIR finds the consent
before the person too (review 21f, `interop.rest.auth`). A session (a staff member signed in to Keel) is
answered as before: this module is asked only with a token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing as core
from keel.core.rules.inputs import InvalidInput, record_id
from keel.sharing.errors import SharingNotAllowed
from keel.sharing.models import Basis, Consent
from keel.sharing.schemas import DisclosureIn
from keel.sharing.services.common import (
    NO_RECIPIENT,
    OTHER_RECIPIENT,
    TOKEN_EMERGENCY,
    TokenEmergency,
    TokenNoRecipient,
    TokenOtherRecipient,
    _deny,
    _invalid,
)
from keel.sharing.services.releases import (
    PATIENT_REQUEST_BY_TOKEN,
    _basis,
    _parse_request,
    patient_request_by_token,
)

if TYPE_CHECKING:
    from keel.accounts.models import User

NO_SUCH_CONSENT = "no such consent for this patient"


_TRIED = {"disclosure": Action.DISCLOSE}  # what each route would have done (else an export)


def deny_unseen(by: User, patient_id: int | str, target_type: str, reason: str) -> None:
    """A token's refusal before the record is looked up, audited as a denial: on the person, saying why,
    when they are in the caller's scope; else on the id asked, as the policy audits an id out of scope or
    missing (the same reason as its 404)."""
    pk = record_id(patient_id)
    patient = policy.patients_visible_to(by, Area.CLINICAL).filter(pk=pk).first() if pk else None
    if patient is not None:
        _deny(by, patient, target_type, reason)
        return
    _deny_id(by, pk, target_type, _TRIED.get(target_type, Action.EXPORT), Area.CLINICAL)


def _deny_id(by: User, pk: int | None, target_type: str, action: Action, area: Area) -> None:
    """An id out of the caller's scope or missing, audited in the policy's own words for it."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type=target_type,
        target_id=pk or "",
        reason=f"{action} {area}: outside scope or missing",
        detail={"requested_patient_id": pk},
    )


def _refuse_role(by: User, patient_id: int | str, target_type: str) -> None:
    """A role that never releases a record is told so for every id (403, audited)."""
    if not policy.can_disclose(by):
        deny_unseen(by, patient_id, target_type, "role may not record consents or disclose")
        raise SharingNotAllowed("Your role cannot release a person's record.")


def token_consent_or_404(
    by: User, patient_id: int | str, target_type: str, token: str, consent_id: object
) -> None:
    """The consent named is this person's and names the token's recipient; else the 404 of an id nobody has,
    audited (another recipient's consent named as such, `OTHER_RECIPIENT`). A token issued for no recipient
    releases nothing: refused (403, audited) before any consent is looked up."""
    if not accounts.token_recipient(token):
        deny_unseen(by, patient_id, target_type, NO_RECIPIENT)
        raise TokenNoRecipient()
    person, pk = record_id(patient_id), record_id(consent_id)
    rows = Consent.objects.filter(patient_id=person, pk=pk) if person and pk else Consent.objects.none()
    found = rows.values_list("recipient_name", flat=True).first()
    if found is not None and accounts.token_releases_to(token, found):
        return
    deny_unseen(by, patient_id, target_type, OTHER_RECIPIENT if found is not None else NO_SUCH_CONSENT)
    raise policy.PatientNotFound()


def disclosure_by_token(
    by: User, patient_id: int | str, data: Posted[DisclosureIn], token: str
) -> DisclosureIn:
    """A disclosure by a token, before the person is looked up: the role, the body (422 naming its fields),
    a medical emergency (never by a token, 403; "another recipient" first when the body names one, review
    22f), then the consent (`token_consent_or_404`). Returns the body, read once."""
    _refuse_role(by, patient_id, "disclosure")
    try:
        body = data.parse()
    except core.TermsInvalid as exc:
        deny_unseen(by, patient_id, "disclosure", "refused: " + ", ".join(e.field for e in exc.errors))
        raise _invalid(exc) from None
    except InvalidInput as exc:
        raise _invalid(exc) from None
    if body.basis != Basis.CONSENT:
        recipient = body.emergency().recipient_name
        if accounts.token_recipient(token) and not accounts.token_releases_to(token, recipient):
            deny_unseen(by, patient_id, "disclosure", OTHER_RECIPIENT)
            raise TokenOtherRecipient()
        deny_unseen(by, patient_id, "disclosure", TOKEN_EMERGENCY)
        raise TokenEmergency()
    token_consent_or_404(by, patient_id, "disclosure", token, body.consent)
    return body


def export_by_token(
    by: User, patient_id: int | str, raw: Mapping[str, Any], target_type: str, token: str
) -> None:
    """The JSON API's export by a token, before the person is looked up: the role, the basis (never the
    patient's own request, audited), the request's terms, then the consent (`token_consent_or_404`)."""
    _refuse_role(by, patient_id, target_type)
    basis = _basis(raw)
    if basis == Basis.PATIENT_REQUEST:
        deny_unseen(by, patient_id, target_type, PATIENT_REQUEST_BY_TOKEN)
        raise patient_request_by_token()
    _parse_request(raw, basis)
    token_consent_or_404(by, patient_id, target_type, token, raw.get("consent"))
