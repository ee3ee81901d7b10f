"""An account of one's own (issue #20, journey 2's last step).

A person who finished the self-check can make an account with a username and a password only: no name, no
email. It holds the recovery companion for themselves (check-in, progress, CBT tools, plan, meetings) in a
personal space (`Program.is_personal`) that no staff member can belong to, so no program's staff ever sees it.
The data is theirs: they download it (`keel.selfguided.own_data`) and delete it for good
(`delete_account`: no row of it is left; its audit events never named it). If they later join a program,
its care team gives them a one-time code; they choose whether to bring their history and sign that choice
(`join_program`), and from then on they are that program's patient.

Sign-up and deletion go through the accounts' sign-in service: the same password rules, the same lockout
(django-axes) and the same session start as every other sign-in (`keel.accounts.views`). Which program a
code is from is read in `keel.selfguided.queries`; the sign-up and join limits are `keel.selfguided.limits`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.accounts.models import Program, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError
from keel.core.wall_time import is_time_zone
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, death_recorded
from keel.patients.services.common import (
    death_refused,
    lock_program_for_code,
    void_if_giver_may_not,
)
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.limits import forget_account, take_signup_token
from keel.selfguided.models import HistoryConsent, LinkCode
from keel.selfguided.queries import JoinPreview, code_digest, live_code, preview_join

# Time zones a person can pick for their own days (the US and Canada; the deployment's is first).
TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Halifax",
    "America/St_Johns",
    "America/Toronto",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
)
LINK_CODE_DAYS = 7
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a front desk
HISTORY_PARTS = (
    "checkins",
    "thought_records",
    "skill_tries",
    "relapse_prevention_plan",
    "reminders",
    "meetings_attended",
)


class TooManySignups(Exception):
    """This visitor made too many accounts lately (KEEL_SIGNUP_RATE)."""


class WrongPassword(Exception):
    """The password asked again (before deleting) did not match."""


# --- Sign-up ----------------------------------------------------------------------------------------------


IN_USE = N_("that username is taken; try another")  # one answer for every account: staff, patient or own


def _check_username(username: str) -> str | None:
    """The name's shape only: whether an account has it is asked later (`_name_in_use`), once a sign-up is
    spent."""
    if not 3 <= len(username) <= 40:
        return "use 3 to 40 characters"
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return "use letters, numbers and @ . + - _ only"
    return None


def _form_errors(
    username: str, password: str, password_again: str, time_zone: str, understood: bool
) -> list[FieldError]:
    """Every field's problem that needs no look-up of another account."""
    errors: list[FieldError] = []
    problem = _check_username(username)
    if problem:
        errors.append(FieldError("username", problem))
    if password != password_again:
        errors.append(FieldError("password_again", N_("the two passwords are not the same")))
    else:
        try:
            validate_password(password, User(username=username, role=Role.SELF_GUIDED))
        except ValidationError as exc:
            errors.append(FieldError("password", " ".join(exc.messages)))
    if time_zone not in TIME_ZONES or not is_time_zone(time_zone):
        errors.append(FieldError("time_zone", N_("choose your time zone from the list")))
    if not understood:
        errors.append(FieldError("understood", N_("check the box to say you read this")))
    return errors


def sign_up(
    *,
    username: str,
    password: str,
    password_again: str,
    time_zone: str,
    understood: bool,
    address: str | None,
    language: str = "en",
) -> User:
    """Make a self-guided account and its personal space. Raises SelfGuidedInvalid naming every bad field
    (nothing is written), TooManySignups past the visitor's limit. `language`: the one the sign-up page was
    read in, kept as the account's.

    In this order (review 35g, lane fix36b): every field that needs no look-up (`_form_errors`: a wrong one
    is answered before any account is asked about, and spends nothing); then one of the visitor's sign-ups is
    spent, committed by itself (`take_signup_token`); only then is the name looked up. A name in use (any
    account's, any case: staff, patient or one's own, answered alike, `IN_USE`) costs what a sign-up costs, so
    the public page confirms at most KEEL_SIGNUP_RATE names a visitor; each such refusal is audited, naming
    no one (neither the name nor the address)."""
    username = (username or "").strip()
    errors = _form_errors(username, password, password_again, time_zone, understood)
    if errors:
        raise SelfGuidedInvalid(errors)
    if not take_signup_token(address):
        raise TooManySignups()
    try:
        return _make_account(username, password, time_zone, language)
    except SelfGuidedInvalid as exc:
        in_use = FieldError("username", IN_USE) in exc.errors  # what was refused (re-attack 36k, fix36k)
        audit.record(
            actor=None,
            action=Action.CREATE,
            outcome=Outcome.DENIED,
            target_type="self_guided_account",
            reason="sign-up refused: username in use" if in_use else "sign-up refused: a field not accepted",
            about=Role.SELF_GUIDED,  # as a sign-up's own events: no address (the visitor's is never stored)
        )
        raise


@transaction.atomic
def _make_account(username: str, password: str, time_zone: str, language: str) -> User:
    """The account, its personal space and its record; a name in use (checked, or taken meanwhile: the
    unique index, `save_new_user`) is SelfGuidedInvalid naming `username` with `IN_USE`, nothing written."""
    if accounts.username_taken(username):
        raise SelfGuidedInvalid([FieldError("username", IN_USE)])
    space = Program.objects.create(
        slug=f"self-{secrets.token_hex(8)}", name="", time_zone=time_zone, is_personal=True
    )
    user = User(username=username, role=Role.SELF_GUIDED, preferred_language=language)
    user.set_password(password)
    try:
        user.full_clean(exclude=["password", "username"])  # the name: asked above and by the index
        accounts.save_new_user(user)  # the name taken meanwhile (any case): the field error, never a 500
    except ValidationError as exc:
        raise SelfGuidedInvalid([accounts.account_error(exc).field_error()]) from None
    except accounts.AccountError as exc:
        raise SelfGuidedInvalid(
            [FieldError("username", IN_USE) if exc.field == "username" else exc.field_error()]
        ) from None
    Patient.objects.create(
        program=space,
        user=user,
        record_number=f"SELF-{secrets.token_hex(6)}",
        given_name="",
        family_name="",
        date_of_birth=None,
    )
    audit.record(actor=user, action=Action.CREATE, target_type="self_guided_account")
    return user


# --- Deleting it for good ---------------------------------------------------------------------------------


def delete_account(*, request: HttpRequest, user: User, password: str) -> None:
    """Delete a self-guided account and everything in it: the record and its recovery data, the personal
    space, the sign-in, its sessions, tokens, second factor and sign-in attempts. The password is asked again
    and counts toward the lockout like any sign-in. The deletion is audited without naming anyone."""
    if not isinstance(user, User) or not policy.is_self_guided_account(user) or not user.is_active:
        raise policy.PatientNotFound()
    if accounts.check_password(request, username=user.username, password=password) is None:
        accounts.record_failed_login(username=user.username, reason="re-authentication to delete an account")
        raise WrongPassword()
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = user.username
    with transaction.atomic():
        record = policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
        space = record.program
        record.delete()  # every check-in, thought record, skill try, plan, reminder and meeting goes with it
        if space.is_personal:
            space.delete()
        accounts.end_sessions(user)  # every session, a sign-in half done too (review 35g, lane fix36b)
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(username=username).delete()
        forget_account(user.pk)  # its join-try bucket
        user.delete()  # its tokens, second factor and idempotency keys go with it
        # about a self-guided account: no address, as its own events (review 35b hole 4)
        audit.record(
            actor=None, action=Action.DELETE, target_type="self_guided_account", about=Role.SELF_GUIDED
        )


# --- Joining a program --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once to the care team, never stored; "" when not made
    expires_at: datetime
    time_zone: str  # the record's program's, in which the page says the last day (review 38g)
    made: bool = True  # False: voided as it was stored; the care team is told `CODE_NOT_MADE` (lane fix38b)


def issue_link_code(*, by: User, patient_id: int, now: datetime | None = None) -> IssuedCode:
    """A one-time code for this patient's record (a record without an account yet), for the person to enter in
    their own account. Counselors, nurses, prescribers on the team and the program's admins may."""
    try:
        patient = policy.get_patient_for_action_or_404(
            by,
            patient_id,
            Action.CREATE,
            target_type="link_code",
            allowed=policy.can_give_link_code(by),
            what="link accounts",
            audit_success=False,
        )
    except policy.ActionNotAllowed:
        raise PermissionError("Only the care team or the program's admin gives a code.") from None
    if patient.user_id is not None:
        raise SelfGuidedInvalid([FieldError("patient", N_("this record already has an account"))])
    if death_refused(by, patient, "link_code"):
        raise SelfGuidedInvalid(
            [FieldError("patient", N_("a death is recorded for this person: no code is given"))]
        )
    now = now or timezone.now()
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    code = f"{raw[:5]}-{raw[5:]}"
    with transaction.atomic():
        lock_program_for_code(patient)  # and the giver asked again, last (lane fix37j)
        LinkCode.objects.filter(patient=patient, used_at__isnull=True).delete()  # one live code per record
        row = LinkCode.objects.create(
            patient=patient,
            digest=code_digest(code),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=LINK_CODE_DAYS),
        )
        audit.record_for_patient(by, patient, Action.CREATE, "link_code", row.pk)
        voided = void_if_giver_may_not(by, patient)
    if voided:  # voided as it was stored (committed, audited): no code returned (lane fix38b)
        return IssuedCode("", row.expires_at, patient.program.time_zone, made=False)
    return IssuedCode(code, row.expires_at, patient.program.time_zone)


def _same_name(typed: str, name: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.casefold().split())

    return bool(typed.strip()) and norm(typed) == norm(name)


def join_program(
    *,
    user: User,
    code: str,
    bring_history: bool | None,
    signature: str,
    words: str,
    language: str,
    now: datetime | None = None,
    keep_session: str | None = None,
) -> HistoryConsent:
    """The person's account joins the program's record. With `bring_history`, their self-guided history
    moves into that record (the care team will see it); without it, it is deleted. Either way the choice is a
    signed consent (typed name = the name on the program's record). Checked again inside one transaction with
    the code locked, so a code is used once. The join widens what the account reaches, so every API token of
    the account is revoked and every session but `keep_session` (the one that joined) ends, as a password
    change does (review 37f hole 3, lane fix37g); the caller cycles the kept session's key."""
    own = policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
    if not policy.is_self_guided_account(user):
        raise policy.PatientNotFound()
    now = now or timezone.now()
    preview = preview_join(user=user, code=code, now=now)
    _check_join_choice(bring_history, signature, preview)
    from keel.recovery import services as recovery

    with transaction.atomic():
        link, target = _locked_code_and_record(code, now)
        moved = recovery.move_history(source=own, target=target).moved if bring_history else {}
        consent = _signed_consent(user, target, bring_history, moved, words, language, signature, now)
        link.used_at = now
        link.save(update_fields=["used_at"])
        _hand_over(user, own, target)
        accounts.revoke_tokens(user)
        ended = accounts.end_sessions(user, keep=keep_session)
        _audit_join(user, target, consent, bring_history, moved, ended)
    return consent


def _signed_consent(
    user: User,
    target: Patient,
    bring_history: bool | None,
    moved: dict[str, int],
    words: str,
    language: str,
    signature: str,
    now: datetime,
) -> HistoryConsent:
    """The signed choice (bring the history, with the parts moved, or not), its words and the name typed."""
    return HistoryConsent.objects.create(
        patient=target,
        program=target.program,
        user=user,
        bring_history=bool(bring_history),
        categories=[p for p in HISTORY_PARTS if moved.get(p)] if bring_history else [],
        moved=moved,
        words=words,
        language=language[:8],
        signature=signature.strip()[:200],
        signed_at=now,
    )


def _audit_join(
    user: User,
    target: Patient,
    consent: HistoryConsent,
    bring_history: bool | None,
    moved: dict[str, int],
    sessions_ended: int,
) -> None:
    """The join, audited on the program's record, saying whether the history came and how many other
    sessions ended (as a password change counts them; every token is revoked too)."""
    audit.record_for_patient(
        user,
        target,
        Action.CREATE,
        "history_consent",
        consent.pk,
        reason="joined the program" + (", bringing the self-guided history" if bring_history else ""),
        detail={"moved": moved, "sessions_ended": sessions_ended},
    )


def _check_join_choice(bring_history: bool | None, signature: str, preview: JoinPreview) -> None:
    """The history choice made, and the signature the name on the program's record."""
    errors = []
    if bring_history is None:
        errors.append(FieldError("bring_history", N_("choose whether to bring your history")))
    if not _same_name(signature, preview.record_name):
        errors.append(FieldError("signature", N_("type your full name as your care team has it")))
    if errors:
        raise SelfGuidedInvalid(errors)


def _locked_code_and_record(code: str, now: datetime) -> tuple[LinkCode, Patient]:
    """The code (still live and unused) and the program's record (with no account yet), both locked."""
    live = live_code(code, now)
    link = LinkCode.objects.select_for_update().filter(pk=live.pk).first() if live else None
    if link is None or link.used_at is not None:
        raise SelfGuidedInvalid(
            [FieldError("code", N_("that code did not work: check it with your care team"))]
        )
    target = Patient.objects.select_for_update(no_key=True).select_related("program").get(pk=link.patient_id)
    # asked under the record's lock, which a death's discharge takes too (`lock_for_account_change`)
    if target.user_id is not None or death_recorded(target.pk):
        raise SelfGuidedInvalid(
            [FieldError("code", N_("that code did not work: check it with your care team"))]
        )
    return link, target


def _hand_over(user: User, own: Patient, target: Patient) -> None:
    """The self-guided record (and a personal space) deleted, replay caches gone, the account a patient's,
    linked to the program's record."""
    space = own.program
    own.delete()  # what was not brought goes with it
    if space.is_personal:
        space.delete()
    from keel.recovery.models import IdempotencyKey

    IdempotencyKey.objects.filter(user=user).delete()  # replay caches bound to the old record
    user.role = Role.PATIENT
    user.save(update_fields=["role"])
    target.user = user
    target.save(update_fields=["user"])
