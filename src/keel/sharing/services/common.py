"""What every sharing write shares: the refusals (`SharingInvalid`, `SharingNotAllowed`), the name on the
record, a denial's audit row, the password again before a record leaves, the staff member scoped for a
consent entered on the patient's behalf, and the consent check a disclosure makes (`_covered`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing as core
from keel.core.decision import shown
from keel.core.rules.inputs import FieldError, InvalidInput, record_id
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, death_recorded, died_under_lock
from keel.patients.services.common import death_refused
from keel.sharing.errors import SharingInvalid, SharingNotAllowed
from keel.sharing.models import Basis, Consent, ConsentRevocation

if TYPE_CHECKING:
    from keel.accounts.models import User


def legal_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def with_terms(document: Mapping[str, object], notice: str, scope: str) -> dict[str, object]:
    """A JSON document that leaves (a progress report, a transfer) with the terms every disclosure carries
    (SECURITY.md; 42 CFR 2.32): the re-disclosure notice and the consent's scope (or an emergency's facts).
    A FHIR release carries them its own way (`keel.interop.fhir.base.with_terms`); each release names its
    carrier to `release_record`, which applies it to what it releases, before the digest."""
    return {**document, "notice": notice, "scope": scope}


def _invalid(exc: InvalidInput) -> SharingInvalid:
    return SharingInvalid(exc.errors)


def _deny(by: User, patient: Patient, target_type: str, reason: str) -> None:
    audit.record_for_patient(by, patient, Action.DENIED, target_type, outcome=Outcome.DENIED, reason=reason)


def reauthenticate(by: User, patient: Patient, password: object, target_type: str) -> None:
    """The staff member's password again before a record leaves (SECURITY.md: re-authentication before
    disclosure, export and emergency access); a wrong one is audited as a denial and named as a field.
    `password`: a body's value as sent (a disclosure's raw JSON): anything but text is no password."""
    if not accounts.reauthenticate(by, password, purpose=target_type):  # counted by the lockout (T17)
        _deny(by, patient, target_type, "re-authentication failed")
        raise SharingInvalid(
            [FieldError("password", N_("is not correct: enter your password again to continue"))]
        )


def _for_staff(
    by: User, patient_id: int | str, action: Action, target_type: str, *, emergency_access: bool
) -> Patient:
    """The record in scope (else 404), by a role that may record consents or disclose (else 403, audited).
    `emergency_access`: whether break-the-glass access counts: never for a consent that lets the record out
    (review 17a: an off-team reader recorded a paper consent to an employer); a written revocation, which
    only stops sharing, may be entered by whoever holds the paper."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        area=Area.CLINICAL,
        target_type=target_type,
        allowed=policy.can_disclose(by),
        what="record consents or disclose",
        error=_not_allowed,
        emergency_access=emergency_access,
        audit_success=False,
    )


def _not_allowed(message: str) -> SharingNotAllowed:
    """The policy's refusal, its words kept (a role that never releases, or emergency access that does not
    let a record out), for an adapter that says why (FHIR's OperationOutcome)."""
    return SharingNotAllowed(message)


# --- One token, one recipient (review 20c), for every release by an API token (review 22f) -----------------
# A token that releases records is the credential of one external system, bound to one recipient (named when
# issued; one issued for none releases nothing, review 25b H5). Every release made with a token asks
# these two: `release_record` (the JSON API's FHIR export) and `disclose` (a progress report); the FHIR reads
# and `$everything` ask them through `keel.interop.rest.auth`'s release wrapper, which answers in FHIR.

OTHER_RECIPIENT = "API token bound to another recipient"


class TokenOtherRecipient(SharingNotAllowed):
    """A token bound to one recipient asked to release a record to another (403; the denial is audited)."""

    def __init__(self) -> None:
        super().__init__(
            "This API token releases records to one recipient only, and this consent names another: "
            "the other recipient's system uses its own token."
        )


NO_RECIPIENT = "API token bound to no recipient"


class TokenNoRecipient(TokenOtherRecipient):
    """A token issued with no recipient asked to release a record (403; the denial is audited). Review 25b,
    H5: its first release no longer binds it to whatever consent it names."""

    def __init__(self) -> None:
        SharingNotAllowed.__init__(
            self,
            "This API token was issued for no recipient, so it releases no record: issue a token that names "
            "the recipient whose system uses it, as the person's consent names them.",
        )


def refuse_other_recipient(
    by: User, patient: Patient, target_type: str, token: str | None, recipient: str
) -> None:
    """Before the release: a token (`token`, its secret; None for a session) bound to another recipient
    than `recipient`, or to none, is refused, audited, before anything is written."""
    if token is not None and not accounts.token_releases_to(token, recipient):
        if not accounts.token_recipient(token):
            _deny(by, patient, target_type, NO_RECIPIENT)
            raise TokenNoRecipient()
        _deny(by, patient, target_type, OTHER_RECIPIENT)
        raise TokenOtherRecipient()


# --- A token learns the state of its own recipient's consents only (lane priv30) ----------------------------
# A release by a token (the JSON API's disclosures and export; FHIR's `Keel-Consent` asks it in
# `interop.rest.auth._bound_build`) names a consent id. The refusals about a consent's state (revoked, ended
# on its date, not covering what is asked) are what the recipient's system needs for the consents naming its
# recipient: it was given the consent (42 CFR 2.31(a): the recipient is named on it), must stop asking once
# it is revoked (2.31(a)(6), 2.31(c)), and asks the person for a new one once it ended. The state of a consent
# naming another recipient (that a person consented to a drug court, and took it back) is beyond what that
# integration needs (HIPAA 164.502(b), minimum necessary; 2.13(a): no more than the consent lets out), so the
# token is told "another recipient" (403, the review-22f answer) before that consent's state is read.
# Review 31b H3: on the JSON API's release routes a token no longer reaches this: `token_first` answers
# another recipient's consent as an id of no consent before the record is looked up (a transfer by a token,
# refused by the API before the service, still hears "another recipient" here).


def refuse_token_before_state(
    by: User, patient: Patient, target_type: str, token: str | None, consent_id: object
) -> None:
    """Before a consent's state is read: a token (`token`, its secret; None for a session) naming a consent
    of this patient whose recipient is not the token's is refused as `refuse_other_recipient` refuses it
    (403, audited), so its refusal never tells that consent's state. An id of no consent of hers is left to
    the state check ("no such consent for this patient", the one answer)."""
    pk = record_id(consent_id)
    if token is None or not pk:
        return
    found = Consent.objects.filter(patient=patient, pk=pk).values_list("recipient_name", flat=True).first()
    if found is not None:
        refuse_other_recipient(by, patient, target_type, token, found)


def bind_token(token: str | None, recipient: str) -> None:
    """Inside the release's transaction: the token locked, bound to `recipient` if it is not yet, and
    checked again (two first releases racing to two recipients: the second is refused); raising rolls the
    release back (the caller audits the refusal once the transaction is over)."""
    if token is not None and not accounts.bind_token_recipient(token, recipient):
        raise TokenOtherRecipient()


# --- A token never declares a medical emergency (review 22g) -----------------------------------------------
# 42 CFR 2.51: a disclosure to medical personnel in a medical emergency is the program's judgment, made by
# its own staff in the app (a session, the password again), and reviewed by a program admin. An API token
# (bound to a recipient or not) is a system's credential: the recipient's own system cannot declare the
# emergency that lets the record out to itself, as it cannot claim the patient's own request (review 22f).

TOKEN_EMERGENCY = "emergency basis claimed by an API token"
TOKEN_EMERGENCY_SAID = N_(
    "An API token cannot declare a medical emergency: a disclosure in an emergency (42 CFR 2.51) is decided "
    "by the program's staff, signed in to Keel, with their password again. With a token, disclose under the "
    "person's consent."
)


class TokenEmergency(SharingNotAllowed):
    """An API token asked for a disclosure on the `emergency` basis (403; the denial is audited)."""

    def __init__(self) -> None:
        super().__init__(gettext(TOKEN_EMERGENCY_SAID))


def refuse_token_emergency(
    by: User, patient: Patient, target_type: str, token: str | None, basis: str
) -> None:
    """Before anything is written: a disclosure by an API token (`token`, its secret; None for a session)
    on the `emergency` basis is refused, audited."""
    if token is not None and basis == Basis.EMERGENCY:
        _deny(by, patient, target_type, TOKEN_EMERGENCY)
        raise TokenEmergency()


# --- After a death is recorded (review 28a H6, H8) --------------------------------------------------------
# 42 CFR 2.15(b): after a patient's death only a personal representative consents to a disclosure of her
# record. Her own request (2.23) ended with her right of access, and no medical emergency of hers (2.51)
# follows her death: both bases are refused, audited (`death_refused`, the one `death_recorded`), before
# anything is written; the record leaves only on a consent. Every release asks it: a disclosure
# (`disclose`: the page, the API) and the record's release (`release_record`: the staff export, a token's
# `$everything`, a transfer, a FHIR read under a consent).
#
# A consent she signed herself while she lived is NOT refused after her death (lane dead29a, decided):
# 2.15(b)(2) says "If a written consent to the use or disclosure is required, that consent may be given
# by the personal representative": who gives a consent needed after a death, not that an earlier one
# ends; 2.31(c) lists the consents a disclosure may not rely on (expired, failing on its face to hold the
# required elements, known to be revoked, known to be materially false), and a death is not among them;
# HIPAA 164.508(b)(2)(i) makes an authorization defective once its expiry date has passed or its expiry
# event is known to have occurred, and a Keel consent expires on a date. So `_covered` asks of it what it
# asks while she lives: its end day, and a revocation, which her personal representative may now enter in
# writing (`record_written_revocation`). A consent her guardian, health-care agent or parent signed for her
# while she lived, with no signature of her own (review 31c H3), stops at the recorded death (lane priv31:
# their authority ended with it, HIPAA 164.502(g)(4), 42 CFR 2.15(b)(2); `Consent.signer_authority_ended`),
# on every route through `_covered`.

AFTER_DEATH: dict[str, str] = {
    Basis.PATIENT_REQUEST: N_(
        "cannot be the patient's own request: the record shows the patient died; the record leaves only "
        "on a consent signed by a personal representative (executor or administrator)"
    ),
    Basis.EMERGENCY: N_(
        "cannot be a medical emergency: the record shows the patient died; the record leaves only on a "
        "consent signed by a personal representative (executor or administrator)"
    ),
}


def refuse_after_death(by: User, patient: Patient, target_type: str, basis: str) -> None:
    """A basis that cannot hold once a death is recorded (`AFTER_DEATH`) is refused, audited, naming
    `basis`. Asked before the write; inside the write's transaction `died_meanwhile` asks again under the
    record's lock, which a death's discharge takes too, so a death recorded in between is seen."""
    said = AFTER_DEATH.get(basis)
    if said is not None and death_refused(by, patient, target_type):
        raise SharingInvalid([FieldError("basis", said)])


def died_meanwhile(patient: Patient, basis: str) -> bool:
    """Inside the write's transaction: the record's row locked (the lock a death's discharge takes,
    `lock_for_account_change`) and, for a basis `AFTER_DEATH` refuses, whether a death is now recorded. The
    caller rolls back and then asks `refuse_after_death`, which audits the refusal."""
    if basis not in AFTER_DEATH:
        return False
    return died_under_lock(patient.pk)


def _covered(
    patient: Patient, consent_id: object, asked: tuple[str, ...], today: date, *, lock: bool = False
) -> tuple[Consent | None, tuple[str, ...], FieldError | None]:
    """The patient's consent named by `consent_id`, what of `asked` it lets leave today, or why not. With
    `lock` (inside the write's transaction) the record's row is locked first (`died_under_lock`: the lock a
    death's discharge and its undo take, in that order) and then the consent row, so a revocation or a death
    waits or wins. A representative's consent stops at a recorded death (`Consent.signer_authority_ended`,
    lane priv31) and, the death undone, releases again."""
    consent_pk = record_id(consent_id)
    deceased = died_under_lock(patient.pk) if lock else death_recorded(patient.pk)
    rows = Consent.objects.select_for_update() if lock else Consent.objects
    consent = rows.filter(patient=patient, pk=consent_pk).first() if consent_pk else None
    if consent is None:
        return None, (), FieldError("consent", N_("no such consent for this patient"))
    revocation = ConsentRevocation.objects.filter(consent=consent).first()
    decision = core.check_disclosure(
        expires_on=consent.expires_on,
        revoked_at=revocation.revoked_at if revocation else None,
        consent_categories=tuple(consent.categories),
        asked=asked,
        today=today,
        authority_ended=consent.signer_authority_ended(deceased=deceased),
    )
    if decision.decision != "allowed":
        why = decision.reasons[0]  # said again on a page in the reader's language
        return (
            consent,
            (),
            FieldError("consent", why.text, why.template, tuple((k, shown(v)) for k, v in why.params)),
        )
    return consent, tuple(decision.details["categories"]), None
