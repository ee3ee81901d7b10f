"""A password reset started at the desk (issue #18): a one-time code like the activation code."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts import services as accounts
from keel.accounts.models import User
from keel.accounts.services.one_time_codes import code_digest as _code_digest
from keel.accounts.services.one_time_codes import new_code, shown_code
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.errors import NotAllowed
from keel.patients.models import ActivationCode, Patient
from keel.patients.schemas import ResetCodeIn
from keel.patients.services.activation import (
    IssuedCode,
    _CodeDidNotWork,
    _new_code,
    _spend_code,
    _unused_codes,
)
from keel.patients.services.common import death_refused, in_language, store_one_live_code


def issue_reset_code(*, by: User, patient_id: int, data: Posted[ResetCodeIn]) -> IssuedCode:
    """A patient who forgot their password and has no email to reset it with comes to the desk: the program's
    admins and its clinicians, having checked who they are (`identity_checked`), give a one-time code like the
    activation code (shown once, digest stored, working KEEL_RESET_CODE_HOURS). Any unused earlier reset code
    stops working. Audited; the password is unchanged until the patient uses the code."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.CREATE,
        target_type="password_reset",
        allowed=lambda user, record: policy.can_register_patient(user, record.program_id),
        what="start a password reset",
        error=NotAllowed,
        message=_("Program admins, counselors, nurses and prescribers start a password reset."),
        audit_success=False,
    )
    try:
        data.parse()
    except InvalidInput as exc:
        raise in_language(exc) from None
    if patient.user_id is None:
        raise FieldsInvalid([FieldError("patient", _("this person has no account yet"))])
    if death_refused(by, patient, "password_reset"):
        raise _died()
    code = new_code()
    row, live = _store_reset_code(by, patient, code)
    if not live:  # voided as it was stored (committed, audited): no code returned (lane fix38b)
        return IssuedCode(row, "", made=False)
    return IssuedCode(row, shown_code(code))


def _died() -> FieldsInvalid:
    """The desk's answer when a death is recorded for the person, seen before or as the code is stored."""
    return FieldsInvalid(
        [FieldError("patient", _("a death is recorded for this person: the account is closed"))]
    )


def _store_reset_code(by: User, patient: Patient, code: str) -> tuple[ActivationCode, bool]:
    """The person's one live reset code stored (`common.store_one_live_code`: the giver asked again, lane
    fix37j; a death seen as it is stored refused, re38b finding 3), audited; and whether it stays live."""

    def audited(row: ActivationCode, voided: bool) -> None:
        audit.record(
            actor=by,
            action=Action.CREATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="password_reset",
            target_id=row.pk,
            reason="password reset started at the desk",
            detail={"identity_checked": True},
        )

    stored = store_one_live_code(
        by,
        patient,
        target_type="password_reset",
        earlier=_unused_codes(patient, "reset"),
        make=lambda: _new_code(patient, by, code, "reset"),
        audited=audited,
    )
    if stored is None:
        raise _died()
    return stored


def reset_password_with_code(*, code: str, password: str, password_again: str) -> User:
    """The patient sets a new password with the code from the desk. Every session and token of the account
    ends; the code then stops working. A wrong, used or expired code gets one answer (audited)."""
    errors: list[FieldError] = []
    if not password:
        errors.append(FieldError("password", _("this is required")))
    elif password != password_again:
        errors.append(FieldError("password_again", _("the two passwords differ")))
    if not code or len(code) > 40:
        errors.append(FieldError("code", _("this code does not work; ask the front desk for a new one")))
    if errors:
        raise FieldsInvalid(errors)
    try:
        return _reset_password(code, password)
    except _CodeDidNotWork:
        audit.record(
            actor=None,
            action=Action.FAILED_LOGIN,
            outcome=Outcome.FAILURE,
            target_type="password_reset",
            reason="password reset code did not work",
        )
        raise FieldsInvalid(
            [FieldError("code", _("this code does not work; ask the front desk for a new one"))]
        ) from None


def _reset_password(code: str, password: str) -> User:
    with transaction.atomic():
        row = (
            ActivationCode.objects.select_for_update(of=("self",))  # the code's row; the user may be null
            .select_related("patient__user")
            .filter(
                digest=_code_digest(code),
                purpose="reset",
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if row is None or row.patient.user is None or not row.patient.user.is_active:
            raise _CodeDidNotWork()
        user = row.patient.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise FieldsInvalid([FieldError("password", " ".join(exc.messages))]) from None
        user.set_password(password)
        user.save(update_fields=["password"])
        accounts.end_sessions(user)
        accounts.revoke_tokens(user)
        _spend_code(row, user, target_type="password_reset", reason="password set with a desk code")
    return user
