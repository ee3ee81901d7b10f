"""A record that leaves is a disclosure: the staff export of the whole record (`release_record`, also a
`Patient/$everything` pull with a staff token) and another system's reads under a consent named in the
`Keel-Consent` header (`release_to_system`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import sharing as core
from keel.core.rules.inputs import FieldError, InvalidInput, record_id
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.sharing.carried import released_to
from keel.sharing.errors import SharingInvalid
from keel.sharing.models import Basis, Consent, Disclosure
from keel.sharing.services.common import (
    OTHER_RECIPIENT,
    TokenOtherRecipient,
    _covered,
    _deny,
    _invalid,
    _not_allowed,
    bind_token,
    died_meanwhile,
    legal_name,
    reauthenticate,
    refuse_after_death,
    refuse_other_recipient,
    refuse_token_before_state,
    with_terms,
)

if TYPE_CHECKING:
    from keel.accounts.models import User


# How a release puts the notice and the scope into its document (`release_record`'s `carry`). The document
# (a FHIR resource or Bundle, a transfer) is the caller's JSON: here it is only digested and passed on.
Carrier = Callable[[dict[str, object], str, str], dict[str, object]]
# Whether a document built for a release carries anything of the person's (lane priv34): a search under a
# consent that matches nothing of hers (or only what the release does not carry) sends nothing, so it is no
# disclosure: no Disclosure row (her "who saw my record" page would say a recipient received her record),
# only the audit row of the access (`_looked`). None: whatever is built leaves (an export, a read).
Releases = Callable[[dict[str, object]], bool]


@dataclass(frozen=True)
class _Recipient:
    """Whom the record goes to and why: a consent's terms, or the patient on their own request."""

    consent: Consent | None
    name: str
    purpose: str
    purpose_text: str
    scope: str


def _for_export(by: User, patient_id: int | str, target_type: str) -> Patient:
    """The record in scope (else 404) and guard 1: a role that may not export or disclose a record is
    refused, audited, before anything about the record's consents is looked at."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.EXPORT,
        area=Area.CLINICAL,
        target_type=target_type,
        allowed=policy.can_disclose(by),
        what="export or disclose a record",
        error=_not_allowed,
        emergency_access=False,
        audit_success=False,
    )


def _basis(raw: Mapping[str, object]) -> str:
    """Guard 2: the basis is a consent or the patient's own request."""
    basis = raw.get("basis")
    if not isinstance(basis, str) or basis not in (Basis.CONSENT, Basis.PATIENT_REQUEST):
        raise SharingInvalid(
            [FieldError("basis", N_("must be consent or patient_request: a record leaves only with a basis"))]
        )
    return basis


def _refuse_token_patient_request(
    by: User, patient: Patient, target_type: str, basis: str, *, by_token: bool
) -> None:
    """Guard 3: a pull with an API token cannot claim the patient's own request, audited."""
    if by_token and basis == Basis.PATIENT_REQUEST:
        # Another system holding a staff token cannot show that the patient asked, and the accounting would
        # name the patient as the recipient of what that system received (42 CFR 2.24). The patient's own
        # request is the staff export handed over in the app (with the password again); the patient's own
        # token is their right-of-access path.
        _deny(by, patient, target_type, PATIENT_REQUEST_BY_TOKEN)
        raise patient_request_by_token()


PATIENT_REQUEST_BY_TOKEN = "patient_request basis claimed by an API token"


def patient_request_by_token() -> SharingInvalid:
    """The refusal of the patient's own request as the basis of a release by an API token (guard 3)."""
    return SharingInvalid(
        [
            FieldError(
                "basis",
                N_(
                    "must be consent for a pull by another system: the patient's own request is the "
                    "export handed over in Keel, or the patient's own sign-in"
                ),
            )
        ]
    )


def _parse_request(raw: Mapping[str, object], basis: str) -> core.DisclosureRequest | None:
    """Guard 4: a consent's request names its recipient and purpose."""
    try:
        return core.parse_request(raw) if basis == Basis.CONSENT else None
    except InvalidInput as exc:
        raise _invalid(exc) from None


def _consented(
    by: User,
    patient: Patient,
    raw: Mapping[str, object],
    request: core.DisclosureRequest,
    today: date,
    target_type: str,
) -> _Recipient:
    """Guard 6 (consent): the consent covers the whole record today, and names this recipient and purpose."""
    consent, _, refusal = _covered(patient, raw.get("consent"), (core.RECORD,), today)
    wrong = [refusal] if refusal else []
    if consent is not None and not refusal:
        wrong = core.mismatches(
            request,
            recipient_name=consent.recipient_name,
            purpose=consent.purpose,
            purpose_text=consent.purpose_text,
        )
    if wrong:
        _deny(by, patient, target_type, "; ".join(f"{e.field}: {e.reason}" for e in wrong))
        raise SharingInvalid(wrong)
    assert consent is not None
    recipient, purpose, purpose_text = consent.recipient_name, consent.purpose, consent.purpose_text
    scope = core.scope(recipient, purpose, purpose_text, (core.RECORD,), consent.expires_on)
    return _Recipient(consent, recipient, purpose, purpose_text, scope)


def _recheck_consent(patient: Patient, consent: Consent | None, today: date) -> FieldError | None:
    """Guard 7 (inside the write's transaction, the consent row locked): a revocation that landed in between
    wins."""
    if consent is None:
        return None
    _, _, refusal = _covered(patient, consent.pk, (core.RECORD,), today, lock=True)
    return refusal


def _record_release(
    by: User,
    patient: Patient,
    basis: str,
    recipient: _Recipient,
    description: str,
    digest: str,
    now: datetime,
) -> Disclosure:
    """Step 8 (inside the write's transaction): the disclosure row, in the accounting of disclosures."""
    return Disclosure.objects.create(
        patient=patient,
        basis=basis,
        consent=recipient.consent,
        recipient_name=recipient.name,
        purpose=recipient.purpose,
        purpose_text=recipient.purpose_text,
        categories=[core.RECORD],
        description=description,
        scope=recipient.scope,
        notice=core.NOTICE,
        document_sha256=digest,
        disclosed_by=by,
        disclosed_at=now,
    )


def _audit_release(
    by: User,
    patient: Patient,
    target_type: str,
    basis: str,
    recipient: _Recipient,
    disclosure: Disclosure,
    *,
    by_token: bool,
    detail: Mapping[str, object] | None,
) -> None:
    """Step 9 (inside the write's transaction): the export's audit row, saying how it left."""
    reasons = ["the patient's own request" if basis == Basis.PATIENT_REQUEST else ""]
    reasons += ["pulled with an API token"] if by_token else []
    audit.record_for_patient(
        by,
        patient,
        Action.EXPORT,
        target_type,
        reason="; ".join(r for r in reasons if r),
        detail={
            **(detail or {}),
            "basis": str(basis),
            "consent_id": recipient.consent.pk if recipient.consent else None,
            "disclosure_id": disclosure.pk,
        },
    )


def release_record(
    *,
    by: User,
    patient_id: int | str,
    raw: Mapping[str, object],
    target_type: str,
    description: str,
    build: Callable[[Patient, datetime], dict[str, object]],
    now: datetime | None = None,
    by_token: bool = False,
    detail: Mapping[str, object] | None = None,
    carry: Carrier = with_terms,
    token: str | None = None,
    releases: Releases | None = None,
) -> tuple[Disclosure | None, dict[str, object]]:
    """A staff export of the record (the FHIR Bundle): a disclosure like any other. It needs a basis (a live
    consent naming the recipient, the purpose and the whole record; or the patient's own request), the
    password again, and is recorded in the accounting of disclosures; only counselors, nurses and prescribers
    on the team release a record (program admins, peers and auditors never export clinical content).
    `build(patient, now)` makes the document inside the write's transaction.

    `by_token`: another system pulls the record with a staff member's API token (`Patient/$everything`). The
    same basis and accounting; no password to ask again (the token is the credential a system holds), and
    the audit row says so. `detail` is added to the audit row (what the request returned).

    `token`: the secret of the API token the release is made with (the JSON API's export by a token; None
    for a session): another system's credential, so as for a pull the patient's own request is refused
    (guard 3) and the token releases to one recipient only (review 22f: the export never said it came by a
    token); the password is still asked (the export's body carries it).

    `carry(document, notice, scope)`: what is released carries the re-disclosure notice and the consent's
    scope (the patient's own request: no scope), the terms its Disclosure row records as sent, put there in
    the document's own format (a JSON document's keys, `with_terms`; FHIR's `meta.tag`), before the digest
    (review 22f: a FHIR read or search released under a consent carried neither).

    `releases(document)`: false when the document carries nothing of the person's (a search that matched
    nothing): then no Disclosure row (None is returned for it), the access audited all the same."""
    now = now or timezone.now()
    patient = _for_export(by, patient_id, target_type)
    basis = _basis(raw)
    from_system = by_token or token is not None
    today, recipient = _checked_recipient(
        by, patient, raw, basis, target_type, now, by_token=by_token, from_system=from_system, token=token
    )
    refuse_other_recipient(by, patient, target_type, token, recipient.name)
    release = _Release(
        by, patient, target_type, basis, recipient, description, now, from_system, detail, releases
    )
    return _released(release, today, token, build, carry)


@dataclass(frozen=True)
class _Release:
    """A release once its guards passed: who, whose record, to whom and on what basis, and what its
    Disclosure and audit rows say (`from_system`: pulled or released with an API token)."""

    by: User
    patient: Patient
    target_type: str
    basis: str
    recipient: _Recipient
    description: str
    now: datetime
    from_system: bool
    detail: Mapping[str, object] | None
    releases: Releases | None = None


def _checked_recipient(
    by: User,
    patient: Patient,
    raw: Mapping[str, object],
    basis: str,
    target_type: str,
    now: datetime,
    *,
    by_token: bool,
    from_system: bool,
    token: str | None = None,
) -> tuple[date, _Recipient]:
    """The guards before the write, in order: another system is never the patient's own request (guard 3),
    the request's terms read, the password again (guard 5; not for a pull with a token), no own request
    after a death (said only past the token's refusal and the password, review 30c H2), then the recipient:
    the live consent naming them, or the patient on their own request. Returns the person's day with it. A
    token is told "another recipient" before the state of another recipient's consent
    (`refuse_token_before_state`, lane priv30)."""
    _refuse_token_patient_request(by, patient, target_type, basis, by_token=from_system)
    request = _parse_request(raw, basis)
    if not by_token:  # guard 5
        reauthenticate(by, patient, raw.get("password"), target_type)
    refuse_after_death(by, patient, target_type, basis)  # review 28a H6; after the password (review 30c H2)
    today = local_today(patient, now)
    if request is None:  # the patient's own request: the patient is the recipient
        return today, _Recipient(None, legal_name(patient), "patient_request", "", "")
    refuse_token_before_state(by, patient, target_type, token, raw.get("consent"))
    return today, _consented(by, patient, raw, request, today, target_type)


def _released(
    release: _Release,
    today: date,
    token: str | None,
    build: Callable[[Patient, datetime], dict[str, object]],
    carry: Carrier,
) -> tuple[Disclosure | None, dict[str, object]]:
    """The release in one transaction: the consent checked again (`_recheck_consent`), the token bound to the
    recipient, the document built carrying no consent naming another recipient (`released_to`, review 32b H1)
    and carrying its terms, then its Disclosure and audit rows
    (`_disclosed`). A refusal, or a token bound to another recipient, is audited outside the transaction,
    which wrote nothing, and raised."""
    by, patient, target_type = release.by, release.patient, release.target_type
    try:
        with transaction.atomic():
            died = died_meanwhile(patient, release.basis)  # a death recorded since `refuse_after_death`
            refusal = None if died else _recheck_consent(patient, release.recipient.consent, today)
            if refusal is None and not died:
                bind_token(token, release.recipient.name)
                with released_to(release.recipient.name if release.recipient.consent else None):
                    document = carry(build(patient, release.now), core.NOTICE, release.recipient.scope)
                disclosure = _disclosed(release, document)
    except TokenOtherRecipient:  # audited outside the transaction, which wrote nothing
        _deny(by, patient, target_type, OTHER_RECIPIENT)
        raise
    if died:  # audited outside the transaction, which wrote nothing
        refuse_after_death(by, patient, target_type, release.basis)
    if refusal is not None:  # audited outside the transaction, which wrote nothing
        _deny(by, patient, target_type, refusal.reason)
        raise SharingInvalid([refusal])
    return disclosure, document


def _disclosed(release: _Release, document: dict[str, object]) -> Disclosure | None:
    """The document's digest, its row in the accounting of disclosures and the export's audit row; a document
    that carries nothing of the person's (`releases`), only the audit row of the access (`_looked`)."""
    if release.releases is not None and not release.releases(document):
        _looked(release)
        return None
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    disclosure = _record_release(
        release.by,
        release.patient,
        release.basis,
        release.recipient,
        release.description,
        digest,
        release.now,
    )
    _audit_release(
        release.by,
        release.patient,
        release.target_type,
        release.basis,
        release.recipient,
        disclosure,
        by_token=release.from_system,
        detail=release.detail,
    )
    return disclosure


NOTHING_RELEASED = "searched with an API token under a consent: nothing of the record released"


def _looked(release: _Release) -> None:
    """A release that found nothing of the person's to send (lane priv34): the access is audited (a read,
    under the consent it named), and the accounting of disclosures says nothing left, as nothing did."""
    audit.record_for_patient(
        release.by,
        release.patient,
        Action.READ,
        release.target_type,
        reason=NOTHING_RELEASED,
        detail={
            **(release.detail or {}),
            "basis": str(release.basis),
            "consent_id": release.recipient.consent.pk if release.recipient.consent else None,
            "disclosure_id": None,
        },
    )


CONSENT_HEADER = "Keel-Consent"


def release_to_system(
    *,
    by: User,
    patient_id: int | str,
    consent_id: str,  # the Keel-Consent header's text, read by record_id
    target_type: str,
    description: str,
    build: Callable[[Patient, datetime], dict[str, object]],
    now: datetime | None = None,
    detail: Mapping[str, object] | None = None,
    carry: Carrier = with_terms,
    releases: Releases | None = None,
) -> tuple[Disclosure | None, dict[str, object]]:
    """Another system reading one patient's resources with a staff member's API token (a FHIR read or a search
    naming the patient): the record leaves Keel, so it is a disclosure under a consent named in the request
    (`Keel-Consent: <consent id>`, never in the URL). The one basis check as for `Patient/$everything`
    (`release_record`): the patient's consent, live, not revoked, covering the whole record; its recipient and
    purpose are the disclosure's; one Disclosure row per request that releases anything of hers (`releases`),
    in the accounting of disclosures."""
    now = now or timezone.now()
    patient = _for_export(by, patient_id, target_type)
    pk = record_id(consent_id)
    consent = Consent.objects.filter(patient=patient, pk=pk).first() if pk else None
    if consent is None:
        _deny(by, patient, target_type, f"{CONSENT_HEADER}: no such consent for this patient")
        raise SharingInvalid([FieldError(CONSENT_HEADER, N_("no such consent for this patient"))])
    raw = {
        "basis": Basis.CONSENT,
        "consent": str(consent.pk),
        "recipient_name": consent.recipient_name,
        "purpose": consent.purpose,
        "purpose_text": consent.purpose_text,
    }
    try:
        return release_record(
            by=by,
            patient_id=patient.pk,
            raw=raw,
            target_type=target_type,
            description=description,
            build=build,
            now=now,
            by_token=True,
            detail=detail,
            carry=carry,
            releases=releases,
        )
    except SharingInvalid as exc:  # named as the header that carried the consent
        raise SharingInvalid(
            [FieldError(CONSENT_HEADER if e.field == "consent" else e.field, e.reason) for e in exc.errors]
        ) from None
