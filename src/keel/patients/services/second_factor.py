"""A patient's second factor, reset by their care team (issue #18). The reset page's read (the past resets)
is `keel.patients.queries.second_factor_page`, behind the same check (`queries.mfa_patient`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import queries as account_queries
from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import desk
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.models import Patient, SecondFactorReset
from keel.patients.queries import mfa_patient
from keel.patients.schemas import SecondFactorResetIn
from keel.patients.services.common import in_language

MAX_RESET_REASON = desk.MAX_RESET_REASON


def reset_second_factor(*, by: User, patient_id: int, data: Posted[SecondFactorResetIn]) -> Patient:
    """A patient lost their authenticator: a clinician on their care team, having checked who they are (an
    identity check confirmed, and a reason), removes it. Every session and token of the patient's account
    ends; they sign in with their password alone until they add an app again. The typed reason is kept on the
    `SecondFactorReset` row; the audit row says so (a fixed reason, no typed text: review 19d)."""
    patient = mfa_patient(by, patient_id, Action.UPDATE)
    try:
        body = data.parse()
    except InvalidInput as exc:
        raise in_language(exc) from None
    reason = body.reason
    user = patient.user
    if user is None:
        raise FieldsInvalid([FieldError("patient", _("this person has no account yet"))])
    if not account_queries.has_totp_device(user):
        raise FieldsInvalid([FieldError("patient", _("this person does not use two-step sign-in"))])
    # Review 20b: the clinician's password again before any MFA change (SECURITY.md), through django-axes: a
    # wrong or missing one is a failed sign-in of theirs (the lockout counts it), refused naming `password`.
    if not accounts.reauthenticate(by, body.password, purpose="mfa change"):
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "mfa",
            user.pk,
            outcome=Outcome.DENIED,
            reason="re-authentication failed",
        )
        raise FieldsInvalid(
            [FieldError("password", _("is not correct: enter your password again to continue"))]
        )
    with transaction.atomic():
        removed, _rows = TOTPDevice.objects.filter(user=user).delete()
        # the typed reason kept on the reset, never copied into the audit row (review 19d)
        SecondFactorReset.objects.create(
            patient=patient, by=by, at=timezone.now(), reason=reason, devices_removed=removed
        )
        accounts.end_sessions(user)
        accounts.revoke_tokens(user)
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="mfa",
            target_id=user.pk,
            reason="reason recorded on the second factor reset",
            detail={"devices_removed": removed, "identity_checked": True},
        )
        _tell_patient(patient, user)
    return patient


def _tell_patient(patient: Patient, user: User) -> None:
    """The person is told their two-step sign-in was reset (review 20b: the staff reset emails, the patient's
    did not), in their language, once the reset is committed. No health information: not the program's name
    (that names a treatment), not the reason; only what happened and whom to call if they did not ask."""
    from django.utils import translation

    from keel.accounts import passwords

    address = user.email or patient.email
    if not address:
        return
    with translation.override(getattr(user, "preferred_language", "") or None):
        subject = _("Your Keel two-step sign-in was reset")
        body = _(
            "Your two-step sign-in on Keel was reset. The next time you sign in, you use your password "
            "and can add Keel to an authenticator app again. If you did not ask for this, call the people "
            "who care for you now."
        )
    passwords.tell_address(address, subject, body)
