"""Patient accounts: the one-time activation code the desk gives (issue #18), and what the desk's one-time
codes share (marking a code spent; their alphabet and digest: `keel.accounts.services.one_time_codes`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts import services as accounts
from keel.accounts.models import Role, User
from keel.accounts.services.one_time_codes import code_digest as _code_digest
from keel.accounts.services.one_time_codes import new_code, shown_code
from keel.accounts.services.people import problems_before_lookup
from keel.accounts.services.usernames import TOO_MANY_NAMES
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    ActivationCode,
    Patient,
    death_recorded,
    lock_for_account_change,
    zone_of,
)
from keel.patients.schemas import ActivationCodeIn
from keel.patients.services.common import (
    death_refused,
    in_language,
    store_one_live_code,
)
from keel.reminders.channels import Message, SmsSender, sms_sender
from keel.selfguided.limits import take_activation_try
from keel.web.dates import shown_date


def _unused_codes(patient: Patient, purpose: str) -> QuerySet[ActivationCode]:
    """The person's unused codes of this purpose: the one live code a new one replaces once it is handed out
    (`common.store_one_live_code`)."""
    return ActivationCode.objects.filter(patient=patient, purpose=purpose, used_at__isnull=True)


def code_lifetime(purpose: str) -> timedelta:
    """How long a desk code works: an activation code KEEL_ACTIVATION_DAYS (it makes a new account); a
    password reset code KEEL_RESET_CODE_HOURS (it takes over an existing one, as an emailed reset's hour does:
    session 38, review 37d's decision)."""
    if purpose == "reset":
        return timedelta(hours=settings.KEEL_RESET_CODE_HOURS)
    return timedelta(days=settings.KEEL_ACTIVATION_DAYS)


def _new_code(patient: Patient, by: User, code: str, purpose: str) -> ActivationCode:
    """The new code of this purpose stored as a digest that expires after its `code_lifetime`. Called inside
    the store's transaction (`common.store_one_live_code`)."""
    now = timezone.now()
    return ActivationCode.objects.create(
        patient=patient,
        purpose=purpose,
        digest=_code_digest(code),
        created_by=by,
        created_at=now,
        expires_at=now + code_lifetime(purpose),
    )


@dataclass(frozen=True)
class IssuedCode:
    row: ActivationCode
    code: str  # shown once (printed at the desk); never stored; "" when not made
    made: bool = True  # False: voided as it was stored (its giver lost the record); the desk is told
    # `CODE_NOT_MADE` and shown no code (lane fix38b)


def issue_activation_code(
    *,
    by: User,
    patient_id: int,
    send_by_text: bool = False,
    send_by_email: bool = False,
    activate_url: str = "",
    data: Posted[ActivationCodeIn] | None = None,
) -> IssuedCode:
    """A code the patient uses to make their own account: by the program's admins and its clinicians, for a
    record without an account. Any unused earlier code stops working. With `send_by_text`, the code also goes
    to the record's phone through the configured text-message adapter (keel.reminders.channels): no phone,
    or no adapter, is refused before any code is made; the message names no program and no health words.
    With `send_by_email`, the same words go to the record's email through KEEL_EMAIL_URL (no email on the
    record is refused before any code is made). A code voided as it is stored (its giver lost the record
    meanwhile) is neither sent nor returned: `made` False, no code (lane fix38b)."""
    patient = _code_patient(by, patient_id)
    if data is not None:  # the API's body, checked only now the caller may act (review 13a)
        send_by_text, send_by_email = _sends(data)
    _check_may_have_code(by, patient)
    sender = _text_sender(patient) if send_by_text else None
    if send_by_email and not patient.email:
        raise FieldsInvalid([FieldError("send_by_email", _("the record has no email address"))])
    code = new_code()
    row, live = _store_code(
        by, patient, code, sent_by_text=sender is not None, sent_by_email=bool(send_by_email)
    )
    if not live:  # voided as it was stored (committed, audited): never shown nor sent (lane fix38b)
        return IssuedCode(row, "", made=False)
    shown = shown_code(code)
    if sender is not None:
        _text_code(sender, patient, shown, activate_url, row.expires_at)
    if send_by_email:
        _email_code(patient, shown, activate_url, row.expires_at)
    return IssuedCode(row, shown)


def _code_patient(by: User, patient_id: int) -> Patient:
    """The record a code is given for, by the program's admins and its clinicians (else a 404/403 with its
    audit row); never through emergency access: it gives an account."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.CREATE,
        target_type="activation_code",
        allowed=lambda user, record: policy.can_register_patient(user, record.program_id),
        what="issue activation codes",
        error=NotAllowed,
        message=_("Program admins, counselors, nurses and prescribers give activation codes."),
        audit_success=False,
    )


def _sends(data: Posted[ActivationCodeIn]) -> tuple[bool, bool]:
    """The API body's ways to send the code (by text, by email), or its field problems in the request's
    language."""
    try:
        sent = data.parse()
    except InvalidInput as exc:
        raise in_language(exc) from None
    return sent.send_by_text, sent.send_by_email


def _check_may_have_code(by: User, patient: Patient) -> None:
    """No code for a person who already has an account, nor for one whose death is recorded."""
    if patient.user_id is not None:
        raise FieldsInvalid([FieldError("patient", _("this person already has an account"))])
    if death_refused(by, patient, "activation_code"):
        raise _died()


def _died() -> FieldsInvalid:
    """The desk's answer when a death is recorded for the person, seen before or as the code is stored."""
    return FieldsInvalid([FieldError("patient", _("a death is recorded for this person: no code is given"))])


def _text_sender(patient: Patient) -> SmsSender:
    """The text-message adapter a code is sent by: refused when the record has no phone or no adapter is set
    up, before any code is made."""
    sender = sms_sender()
    if not patient.phone:
        raise FieldsInvalid([FieldError("send_by_text", _("the record has no phone number"))])
    if sender is None:
        raise FieldsInvalid([FieldError("send_by_text", _("text messages are not set up in this Keel"))])
    return sender


def _store_code(
    by: User, patient: Patient, code: str, *, sent_by_text: bool, sent_by_email: bool
) -> tuple[ActivationCode, bool]:
    """The person's one live activation code stored (`common.store_one_live_code`), audited with how it is
    sent; and whether it stays live (its giver changed meanwhile, lane fix37j: voided then). A death seen as
    it is stored: refused, no code (re38b finding 3)."""

    def audited(row: ActivationCode, voided: bool) -> None:
        audit.record(
            actor=by,
            action=Action.CREATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            target_id=row.pk,
            detail=_sent(sent_by_text, sent_by_email, voided=voided),
        )

    stored = store_one_live_code(
        by,
        patient,
        target_type="activation_code",
        earlier=_unused_codes(patient, "activate"),
        make=lambda: _new_code(patient, by, code, "activate"),
        audited=audited,
    )
    if stored is None:
        raise _died()
    return stored


def _sent(sent_by_text: bool, sent_by_email: bool, *, voided: bool) -> dict[str, bool]:
    """The CREATE row's detail: how the code goes out; a code voided as it is stored goes nowhere, and the
    trail says so (lane fix37l, re37q finding 2)."""
    if voided:
        return {"sent_by_text": False, "sent_by_email": False, "voided_at_store": True}
    return {"sent_by_text": sent_by_text, "sent_by_email": sent_by_email}


def _code_words(patient: Patient, code: str, activate_url: str, expires_at: datetime) -> str:
    """The message with the code, in the patient's language: no program, no health words."""
    day = timezone.localtime(expires_at, zone_of(patient))  # the program's clock (lane words32: in words)
    with translation.override(patient.preferred_language):  # the patient's language, not the desk's
        return _(
            "Your Keel code is %(code)s. Open %(url)s to make your account. It works once, until %(day)s."
        ) % {"code": code, "url": activate_url, "day": shown_date(day)}


def _email_code(patient: Patient, code: str, activate_url: str, expires_at: datetime) -> None:
    """The code by email (KEEL_EMAIL_URL), after the code is committed; a failed send is audited (the class
    only) and the desk still has the code on screen."""
    with translation.override(patient.preferred_language):
        subject = _("Your Keel code")
    body = _code_words(patient, code, activate_url, expires_at)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [patient.email], fail_silently=False)
    except Exception as exc:  # smtplib's errors, refused connections, timeouts: only the class is kept
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            reason=f"email not sent: {type(exc).__name__}",
        )


def _text_code(
    sender: SmsSender, patient: Patient, code: str, activate_url: str, expires_at: datetime
) -> None:
    """The code by text message, after the code is committed; a failed send is audited (the class only) and
    the desk still has the code on screen."""
    body = _code_words(patient, code, activate_url, expires_at)
    try:
        sender.send(Message(to=patient.phone, subject="", body=body, stop_url=""))
    except Exception as exc:  # any provider's failure; only its class is kept
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            reason=f"text message not sent: {type(exc).__name__}",
        )


def activate(
    *, code: str, username: str, password: str, password_again: str, address: str | None = None
) -> User:
    """The patient makes their own account with the code from the desk: a username and a password. The code
    then stops working. A wrong, used or expired code gets one answer.

    Re-attack 36k (lane fix36k): once every field needing no look-up is right and the code is found live,
    one try of the code (`take_activation_try`) is spent and committed by itself; only then is the name
    looked up, so a live code confirms at most KEEL_SIGNUP_RATE names, from any address. A wrong code spends
    nothing and writes no row (lane fix37b). A name in use is answered alike for every account and audited
    naming no one (`accounts.refuse_name_in_use`). (`address`: kept for the callers; not spent.)"""
    username = (username or "").strip()
    errors = _activation_problems(code, username, password, password_again)
    if errors:
        raise FieldsInvalid(errors)
    try:
        return _activate_live_code(code, username, password)
    except accounts.NameInUse as exc:
        raise accounts.refuse_name_in_use(
            exc, target_type="activation_code", reason="activation refused: username in use"
        ) from None
    except _CodeDidNotWork as exc:
        if exc.patient is not None:  # a death recorded: audited as refused for her (lane fix27b)
            death_refused(None, exc.patient, "activation_code", exc.row_id)
        else:
            audit.record(  # outside the refused write's transaction, so the failure stays on record
                actor=None,
                action=Action.FAILED_LOGIN,
                outcome=Outcome.FAILURE,
                target_type="activation_code",
                reason="activation code did not work",
            )
        raise FieldsInvalid(
            [FieldError("code", _("this code does not work; ask the front desk for a new one"))]
        ) from None


def _activation_problems(code: str, username: str, password: str, password_again: str) -> list[FieldError]:
    """Each field's problem that needs no look-up: then what the account would refuse anyway (review 36m),
    before a try of the code is spent."""
    errors: list[FieldError] = []
    if not username or len(username) > 150:
        errors.append(FieldError("username", _("give a username of 1 to 150 characters")))
    if not password:
        errors.append(FieldError("password", _("this is required")))
    elif password != password_again:
        errors.append(FieldError("password_again", _("the two passwords differ")))
    if not code or len(code) > 40:
        errors.append(FieldError("code", _("this code does not work; ask the front desk for a new one")))
    return errors or problems_before_lookup(username, password)


def _activate_live_code(code: str, username: str, password: str) -> User:
    """The account made with a code found live, once one of its tries is spent (committed by itself): a
    wrong, used or expired code is `_CodeDidNotWork` before anything is spent or written (lane fix37b,
    review 36m-5: every wrong code wrote a bucket row no one deleted); a password like the record's first
    name is refused before the try too (lane fix37j)."""
    names = ("pk", "patient__preferred_name", "patient__given_name")
    found = _live_codes(code).filter(patient__user__isnull=True).values_list(*names).first()
    if found is None:
        raise _CodeDidNotWork()
    # the first name the account will have (`_activate`): a password like it is refused before a try is
    # spent (lane fix37j, re37p finding 5), in the validator's words, which never show the name
    errors = problems_before_lookup(username, password, first_name=found[1] or found[2])
    if errors:
        raise FieldsInvalid(errors)
    if not take_activation_try(found[0]):
        raise FieldsInvalid([FieldError("username", _(TOO_MANY_NAMES))])
    return _activate(code, username, password)


class _CodeDidNotWork(Exception):
    """A wrong, used or expired code; or (`patient` and `row_id` set) a live code for a person whose death is
    recorded: whoever holds it gets the same answer, the refusal is audited on her record."""

    def __init__(self, patient: Patient | None = None, row_id: int | None = None) -> None:
        super().__init__()
        self.patient = patient
        self.row_id: int | str = "" if row_id is None else row_id


def _live_codes(code: str) -> QuerySet[ActivationCode]:
    """The activation code typed, while it works: not used, not expired."""
    return ActivationCode.objects.filter(
        digest=_code_digest(code), purpose="activate", used_at__isnull=True, expires_at__gt=timezone.now()
    )


def _activate(code: str, username: str, password: str) -> User:
    with transaction.atomic():
        row = _live_codes(code).select_for_update(of=("self",)).select_related("patient__program").first()
        if row is None or row.patient.user_id is not None:
            raise _CodeDidNotWork()
        if lock_for_account_change(row.patient.pk) is not None:  # an account joined meanwhile
            raise _CodeDidNotWork()
        if death_recorded(row.patient.pk):  # asked under the lock a death's discharge takes too
            raise _CodeDidNotWork(row.patient, row.pk)
        try:
            user, _device = accounts.create_user(
                username=username,
                role=Role.PATIENT,
                password=password,
                program_slug=row.patient.program.slug,
                first_name=row.patient.preferred_name or row.patient.given_name,
            )
        except accounts.AccountError as exc:
            raise accounts.refused_account(exc) from None
        Patient.objects.filter(pk=row.patient.pk).update(user=user)
        _spend_code(row, user, target_type="activation_code", reason="account made")
    return user


def _spend_code(row: ActivationCode, user: User, *, target_type: str, reason: str) -> None:
    """A one-time code used: marked spent and audited as the account's own act (inside the caller's
    transaction)."""
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    audit.record(
        actor=user,
        action=Action.UPDATE,
        patient_id=row.patient.pk,
        program_id=row.patient.program_id,
        target_type=target_type,
        target_id=row.pk,
        reason=reason,
    )
