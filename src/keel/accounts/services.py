"""Accounts: create people, enrol TOTP, check passwords and codes, issue and revoke API tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import queries as account_queries
from keel.accounts.models import OWN_PATIENT, ApiToken, Program, ProgramMembership, Role, User
from keel.audit import context as audit_context
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.db import rows

if TYPE_CHECKING:
    from keel.accounts.schemas import ProgramSettingsIn
    from keel.api_body import Posted

TOKEN_PREFIX = "keel_"
MAX_PASSWORD_LENGTH = 256  # the sign-in form's limit


class AccountError(Exception):
    """Bad input to an account operation; `field` names what was wrong. `message` says it in English (the
    CLI's words, the API's to an English reader); `said()` in the active language: `message` is then words
    marked `N_` with %(name)s parts given as `params`."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        self.template = message
        self.params = {key: f"{value}" for key, value in params.items()}
        self.message = message % self.params if params else message
        super().__init__(f"{field}: {self.message}")
        self.field = field

    def said(self) -> str:
        """The problem in the active language (its English where the catalogue has no entry for it)."""
        try:
            return gettext(self.template) % self.params if self.params else gettext(self.template)
        except (KeyError, ValueError, TypeError):  # a translation that lost a part: the English is right
            return self.message

    def field_error(self) -> FieldError:
        """The same problem as a `FieldError` (its words said on a page, or in the API's 422, by `said`)."""
        if self.params:
            return FieldError(self.field, self.message, self.template, tuple(self.params.items()))
        return FieldError(self.field, self.message)


def totp_secret_base32_of_key(key_hex: str) -> str:
    """A hex TOTP key as authenticator apps expect it (RFC 4648 base32, no padding)."""
    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")


def totp_secret_base32(device: TOTPDevice) -> str:
    return totp_secret_base32_of_key(device.key)


def enroll_totp(*, user: User, key_hex: str | None = None, keep: str | None = None) -> TOTPDevice:
    """Give the user one confirmed TOTP device (replacing any other); return it. Tokens and sessions made
    before it end, except the session `keep` (`_new_second_factor`)."""
    _new_second_factor(user, keep=keep)
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice(user=user, name="default", confirmed=True)
    if key_hex is not None:
        device.key = key_hex
    device.save()
    return device


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    password: str,
    program_slug: str | None,
    first_name: str = "",
    last_name: str = "",
    totp_key_hex: str | None = None,
    by: User | None = None,
) -> tuple[User, TOTPDevice | None]:
    """Create a user with one role; staff join `program_slug` and get a TOTP device (MFA is required)."""
    if role not in Role.values:
        raise AccountError(
            "role",
            N_("unknown role %(role)s; choose one of %(roles)s"),
            role=repr(role),
            roles=", ".join(Role.values),
        )
    if not username or len(username) > 150:
        raise AccountError("username", N_("give a username of 1 to 150 characters"))
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("username", N_("that username is taken"))
    program: Program | None = None
    if program_slug:
        program = Program.objects.filter(slug=program_slug).first()
        if program is None:
            raise AccountError("program", N_("no program with slug %(slug)s"), slug=repr(program_slug))
    elif role != Role.PATIENT:
        raise AccountError("program", N_("staff must belong to a program"))
    user = User(username=username, role=role, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("password", " ".join(exc.messages)) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if program is not None and role != Role.PATIENT:
        ProgramMembership.objects.create(user=user, program=program)
    device = enroll_totp(user=user, key_hex=totp_key_hex) if role != Role.PATIENT else None
    audit.record(
        actor=by,
        action=Action.CREATE,
        target_type="user",
        target_id=user.pk,
        program_id=program.pk if program else None,
    )
    return user, device


def check_password(request: HttpRequest, *, username: str, password: str) -> User | None:
    """Authenticate through django-axes (which counts failures per username + IP)."""
    user = authenticate(request=request, username=username, password=password)
    return user if isinstance(user, User) else None


def reauthenticate(user: User, password: object, *, purpose: str) -> bool:  # any JSON value: str checked
    """The password asked again before a record leaves, an export or emergency access (SECURITY.md T17).

    Checked through django-axes like a sign-in, from the address the request came from, so a wrong password
    counts toward the same lockout (username + IP) and, once locked, even the right one is refused until the
    cool-off ends. Each failure is audited as a failed sign-in naming what it was for."""
    if not isinstance(user, User):
        return False
    if isinstance(password, str) and password and len(password) <= MAX_PASSWORD_LENGTH:
        attempt = HttpRequest()  # the services have no request; axes needs the caller's address
        attempt.method = "POST"
        attempt.META["REMOTE_ADDR"] = audit_context.current().ip_address or ""
        found = check_password(attempt, username=user.username, password=password)
        if found is not None and found.pk == user.pk:
            return True
        locked = bool(getattr(attempt, "axes_locked_out", False))
        reason = f"re-authentication for {purpose}" + ("; locked out" if locked else "")
    else:
        reason = f"re-authentication for {purpose}: no password"
    record_failed_login(username=user.username, reason=reason)
    return False


def verify_totp(user: User, code: str) -> TOTPDevice | None:
    """Check a TOTP code against the user's confirmed device; codes are single-use and throttled (django-otp's
    `verify_is_allowed` and `last_t`). The device rows are locked for the check (review 23o): two requests
    carrying the same code at once are serialised, and the second reads the step the first used (`last_t`)
    and is refused. On SQLite the IMMEDIATE transaction holds the one writer lock."""
    code = (code or "").strip().replace(" ", "")
    if not ascii_digits(code):
        return None
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            if device.verify_is_allowed()[0] and device.verify_token(code):
                return device
    return None


def record_failed_login(*, username: str, reason: str) -> None:
    """Audit a failed sign-in. The actor id is kept when the username exists; the response never says."""
    found = User.objects.filter(username=username).values_list("id", "role").first()
    existing = found[0] if found and found[1] != Role.SELF_GUIDED else None  # self-guided: named by no row
    audit.record(
        actor=None,
        actor_id=existing,
        action=Action.FAILED_LOGIN,
        outcome=Outcome.FAILURE,
        target_type="user",
        target_id=existing or "",
        reason=reason,
    )


# --- Personal access tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(
    *, user: User, name: str = "", days: int | None = None, recipient_name: str = ""
) -> IssuedToken:
    """Issue a token for `user` that expires after `days` (default and maximum from settings), bound to
    `recipient_name` when given: the one recipient it releases records to. A token issued with no recipient
    releases nothing (review 25b, H5: its first release no longer picks its recipient)."""
    days = settings.KEEL_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.KEEL_TOKEN_MAX_DAYS:
        raise AccountError(
            "expires_in_days", N_("must be between 1 and %(maximum)s"), maximum=settings.KEEL_TOKEN_MAX_DAYS
        )
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
        recipient_name=" ".join(recipient_name.split())[:200],
    )
    audit.record(actor=user, action=Action.TOKEN_CREATE, target_type="api_token", target_id=token.pk)
    return IssuedToken(token, secret)


def user_for_token(secret: str) -> User | None:
    """The active user behind an unexpired, unrevoked token, or None. A patient's or self-guided account's
    own record (with its program) comes with it, for `own_patient_or_404` to take once."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    from keel.patients.models import (
        DEATH_RECORDED,
        DEATH_RECORDED_SQL,
        EndReason,
        Patient,
    )  # imports this one

    now = timezone.now()
    # Every API call runs this: hand-written SQL (keel.db.rows) instead of the ORM's statement building. A
    # patient's (or self-guided account's) own record and its program come in the same row: nearly every
    # call of theirs is about it (`own_patient_or_404` takes it instead of reading it again).
    found = rows.fetch(
        'FROM "accounts_apitoken" t JOIN "accounts_user" u ON u."id" = t."user_id" '
        'LEFT JOIN "patients_patient" p ON p."user_id" = u."id" AND u."role" IN (%s, %s) '
        'LEFT JOIN "accounts_program" g ON g."id" = p."program_id" '
        'WHERE t."digest" = %s AND t."revoked_at" IS NULL AND t."expires_at" > %s',
        [
            EndReason.DECEASED.value,
            Role.PATIENT.value,
            Role.SELF_GUIDED.value,
            _digest(secret),
            connection.ops.adapt_datetimefield_value(now),
        ],
        (ApiToken, "t"),
        (User, "u"),
        (Patient, "p"),
        (Program, "g"),
        extra=(DEATH_RECORDED_SQL,),
    )
    if not found:
        return None
    token: ApiToken = found[0][0]
    user: User = found[0][1]
    if not user.is_active:
        return None
    patient: Patient | None = found[0][2]
    if patient is not None:
        Patient.program.field.set_cached_value(patient, found[0][3])
        patient.__dict__[DEATH_RECORDED] = bool(found[0][4])  # `own_patient_or_404` refuses after a death
        user.__dict__[OWN_PATIENT] = patient
    user.__dict__[_TOKEN_RECIPIENT] = token.recipient_name  # read by `token_bound_to`, no second query
    user.__dict__[_TOKEN_ID] = token.pk  # read by `token_in_use`
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


_TOKEN_RECIPIENT = "_keel_token_recipient"
_TOKEN_ID = "_keel_token_id"


def token_bound_to(user: User) -> str:
    """The recipient the token `user` came from (`user_for_token`) is bound to, as it was when the request
    began; "" for an unbound token or a user not from a token (a session)."""
    return str(user.__dict__.get(_TOKEN_RECIPIENT, ""))


def token_in_use(user: User) -> int | None:
    """The id of the token `user` came from (`user_for_token`); None for a user not from a token."""
    found = user.__dict__.get(_TOKEN_ID)
    return found if isinstance(found, int) else None


def _same_recipient(a: str, b: str) -> bool:
    """The consent check's own test (review 21f: a token for "Clínica" typed as NFC and a consent typed as
    NFD are one recipient; case, spacing and punctuation folded as the consent check folds them)."""
    return sharing.same_name(a, b)


def token_recipient(secret: str) -> str:
    """The recipient the token with this secret is bound to; "" for none (or no such token)."""
    bound = ApiToken.objects.filter(digest=_digest(secret)).values_list("recipient_name", flat=True).first()
    return bound or ""


def token_releases_to(secret: str, recipient_name: str) -> bool:
    """Whether the token may release records to `recipient_name`: only when it was bound to that recipient
    when issued. A token bound to no recipient releases nothing (review 25b, H5): its first release once
    bound it to whatever consent it named, so a typo or a guess of a consent id chose the recipient, and the
    accounting of disclosures named one the system that received the record is not (42 CFR 2.24, 2.31)."""
    bound = token_recipient(secret)
    return bool(bound) and _same_recipient(bound, recipient_name)


def token_id(secret: str) -> int | None:
    """The id of the token with this secret (any state), or None."""
    found: int | None = ApiToken.objects.filter(digest=_digest(secret)).values_list("pk", flat=True).first()
    return found


def bind_token_recipient(secret: str, recipient_name: str) -> bool:
    """Inside the release's transaction (review 20c): lock the token and say again whether it releases to
    `recipient_name` (`token_releases_to`). Nothing is bound here any more (review 25b, H5): a token is bound
    when it is issued, and one bound to no recipient releases nothing."""
    token = ApiToken.objects.select_for_update().filter(digest=_digest(secret)).first()
    if token is None or not recipient_name.strip() or not token.recipient_name:
        return False
    return _same_recipient(token.recipient_name, recipient_name)


TOKEN_NOT_THEIRS = "api token: not the caller's to revoke, or missing"


def revoke_token(*, user: User, token_id: int, only: int | None = None) -> ApiToken:
    """Revoke one of the user's own tokens (`only`: the one token the caller may revoke,
    `policy.managed_token`; None for any of theirs). Someone else's token, or another of theirs than `only`,
    looks missing: the same refusal as an id nobody has, audited as a denial (after the transaction, which
    wrote nothing)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is not None and (only is None or token.pk == only):
            if token.revoked_at is None:
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                audit.record(
                    actor=user, action=Action.TOKEN_REVOKE, target_type="api_token", target_id=token.pk
                )
            return token
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="api_token",
        target_id=token_id,
        reason=TOKEN_NOT_THEIRS,
    )
    raise AccountError("token_id", N_("no such token"))


# A sign-in half done (the password given, the code step pending) is kept in its session under this key,
# naming the person (`user_id`); the sign-in views write it, `end_sessions` ends it.
PENDING_SIGN_IN = "keel_mfa_pending"


def _session_of(data: dict[str, object], key: str) -> bool:
    """Whether a session's data is the person's (id `key`): signed in as them, or a sign-in of theirs half
    done (the password given, the code not yet)."""
    if data.get("_auth_user_id") == key:
        return True
    pending = data.get(PENDING_SIGN_IN)
    return isinstance(pending, dict) and str(pending.get("user_id")) == key


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every database session of this user except `keep` (a session key); return how many ended. The
    one definition of "end this person's sessions" (review 23o): the signed-in ones and the sign-ins half
    done (`PENDING_SIGN_IN`), so a password reset or a second factor reset also ends a code step begun with
    the old password."""
    from django.contrib.sessions.models import Session

    key = str(user.pk)
    doomed = [s.pk for s in Session.objects.iterator() if s.pk != keep and _session_of(s.get_decoded(), key)]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def revoke_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def deactivate_user(*, user: User, by: User | None, patient: audit.PatientRecord | None = None) -> None:
    """Disable a user: every session ends (Django drops inactive users) and every token is revoked.
    `patient`: the person whose own account this is, when her record is why (a death's discharge, lane
    dead27): the audit row names her and her program (`audit.record_for_patient`, lane after28), so the
    privacy officer finds it in her audit trail; a staff member's account names no patient."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_tokens(user)
    end_sessions(user)
    if patient is not None:
        audit.record_for_patient(by, patient, Action.UPDATE, "user", user.pk, reason="deactivated")
        return
    audit.record(actor=by, action=Action.UPDATE, target_type="user", target_id=user.pk, reason="deactivated")


# --- Optional TOTP for patients ---------------------------------------------------------------------


def start_totp_enrollment(*, user: User) -> TOTPDevice:
    """A new, unconfirmed device to add to an authenticator app; the old one stays until this is confirmed.
    Only the session that gave the password may see or confirm it: it keeps `setup_marker(device)`."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="pending", confirmed=False)


def setup_marker(device: TOTPDevice) -> str:
    """What the session that started a setup keeps (review 23o): a keyed digest of the pending key, so the
    session holds no secret and another session of the person (which never gave the password) has none."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("keel.accounts.mfa-setup", f"{device.pk}:{device.key}").hexdigest()


def is_setup_of(device: TOTPDevice | None, marker: object) -> bool:
    """Whether `marker` (a session's) is the marker of this pending device."""
    from django.utils.crypto import constant_time_compare

    return (
        device is not None
        and isinstance(marker, str)
        and bool(marker)
        and constant_time_compare(marker, setup_marker(device))
    )


_NOT_GIVEN = object()


@transaction.atomic
def confirm_totp_enrollment(
    *, user: User, code: str, started: object = _NOT_GIVEN, keep: str | None = None
) -> bool:
    """Confirm the pending device with a code from the app; it replaces any earlier device. `started`: the
    marker the confirming session kept (`setup_marker`); a session whose marker is not the pending device's
    (another browser, which never gave the password) confirms nothing. The pending row is locked: one code
    confirms once. Every other session of the person ends, except `keep` (`_new_second_factor`)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if started is not _NOT_GIVEN and not is_setup_of(device, started):
        return False
    code = (code or "").strip().replace(" ", "")
    if device is None or not ascii_digits(code) or not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    _new_second_factor(user, keep=keep)
    device.confirmed = True
    device.name = "default"
    device.save(update_fields=["confirmed", "name"])
    audit.record(actor=user, action=Action.UPDATE, target_type="mfa", target_id=user.pk, reason="enrolled")
    return True


def _new_second_factor(user: User, *, keep: str | None = None) -> None:
    """A second factor added or replaced ends every token made before it (review 22p): a token made by the
    password alone, or under a device the person no longer trusts, would otherwise keep reading the record
    without the code every new sign-in and token now need (SECURITY.md T16). It ends every session of the
    person too, except `keep` (the one that gave the new code), review 23o: a session that never gave a
    code was only paused by `RequireMFAMiddleware`, and came back if the factor was turned off again."""
    revoke_tokens(user)
    end_sessions(user, keep=keep)


@transaction.atomic
def disable_totp(*, user: User) -> None:
    """Turn two-step sign-in off. Only patients may: staff always need it."""
    if user.requires_mfa:
        raise AccountError("mfa", N_("staff accounts always use two-step sign-in"))
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action=Action.UPDATE, target_type="mfa", target_id=user.pk, reason="disabled")


def refuse_disable_totp(*, user: User) -> None:
    """A staff member asked to turn two-step sign-in off: nothing changes; the refusal is audited."""
    audit.record(
        actor=user,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="mfa",
        target_id=user.pk,
        reason="staff always use two-step sign-in",
    )


# --- First set-up of a new database (issue #18, journey 0) ---------------------------------------


@dataclass(frozen=True)
class SetupResult:
    program: Program
    admin: User
    created: bool  # False: the database was already set up this way and nothing changed
    totp_secret: str | None  # shown once, on the run that created the admin


def otpauth_uri(user: User, secret_base32: str) -> str:
    """The otpauth:// address an authenticator app reads from a QR code (the de-facto Key URI format)."""
    from urllib.parse import quote

    issuer = "Keel"
    label = quote(f"{issuer}:{user.username}", safe=":@")
    return f"otpauth://totp/{label}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"


def _check_setup_fields(*, slug: str, name: str, time_zone: str, username: str, email: str) -> None:
    from django.core.validators import validate_email, validate_slug

    from keel.core.wall_time import is_time_zone

    try:
        validate_slug(slug)
    except ValidationError:
        raise AccountError("program_slug", N_("use letters, numbers, hyphens or underscores only")) from None
    if not 1 <= len(slug) <= 50:
        raise AccountError("program_slug", N_("give 1 to 50 characters"))
    if not name.strip() or len(name) > 200:
        raise AccountError("program_name", N_("give the program's name (1 to 200 characters)"))
    if not is_time_zone(time_zone):
        raise AccountError(
            "time_zone", f"unknown time zone {time_zone!r}; use a name such as America/Chicago"
        )
    if not username or len(username) > 150:
        raise AccountError("username", N_("give a username of 1 to 150 characters"))
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError("email", N_("give an email address such as name@example.org")) from None


def setup_first_program(
    *,
    slug: str,
    name: str,
    time_zone: str,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> SetupResult:
    """Create the first program and its first program admin on a new database. Running it again with the same
    program and admin changes nothing; a database that already holds another program (or the demo) is refused,
    so set-up never mixes a real clinic into existing data."""
    slug, name, username, email = slug.strip(), name.strip(), username.strip(), email.strip()
    _check_setup_fields(slug=slug, name=name, time_zone=time_zone, username=username, email=email)
    with transaction.atomic():
        programs = list(Program.objects.select_for_update().filter(is_personal=False))
        if programs:
            existing = next((p for p in programs if p.slug == slug), None)
            admin = User.objects.filter(username__iexact=username).first()
            if (
                existing is not None
                and len(programs) == 1
                and admin is not None
                and admin.role == Role.PROGRAM_ADMIN
                and ProgramMembership.objects.filter(user=admin, program=existing).exists()
            ):
                return SetupResult(existing, admin, created=False, totp_secret=None)
            raise AccountError(
                "database",
                "this database already holds a program ("
                + ", ".join(sorted(p.slug for p in programs))
                + "); set-up only starts a new database. Nothing was changed.",
            )
        program = Program(slug=slug, name=name, time_zone=time_zone)
        program.full_clean()
        program.save()
        audit.record(
            actor=None,
            action=Action.CREATE,
            target_type="program",
            target_id=program.pk,
            program_id=program.pk,
            reason="set-up",
        )
        admin, device = create_user(
            username=username,
            role=Role.PROGRAM_ADMIN,
            password=password,
            program_slug=slug,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        admin.email = email
        admin.save(update_fields=["email"])
        assert device is not None
        # A fresh install's directory answers from the first day (issue #20): the real public feed Keel ships.
        from keel.directory import samples

        samples.load_real_feed()
        return SetupResult(program, admin, created=True, totp_secret=totp_secret_base32(device))


# --- Program settings (issue #18) ---------------------------------------------------------------------


# The settings a PUT may leave out (left as they are); the time zone is required.
SETTINGS_FIELDS = ("dosing_opens", "dosing_closes", "closure_days", "contact_phone", "contact_address")


def update_program_settings(*, by: User, slug: str, data: Posted[ProgramSettingsIn]) -> Program:
    """Change a program's time zone, dosing-window hours, closure days and contact details (its admins);
    every field wrong is named at once (once the caller is known to be one of its admins); audited with the
    names of the fields changed."""
    program = account_queries.program_settings(by=by, slug=slug)
    current = {name: getattr(program, name) for name in SETTINGS_FIELDS}
    try:
        form = data.parse(context=current)  # a field left out: left as it is
    except InvalidInput as exc:
        from keel.web.field_words import said

        raise FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors]) from None
    return _save_program_settings(by, program, form.settings())


def _save_program_settings(by: User, program: Program, new: dict[str, object]) -> Program:
    """Write the settings under the program's row lock; audit the names of the fields that changed."""
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        changed = [k for k, v in new.items() if getattr(program, k) != v]
        for k, v in new.items():
            setattr(program, k, v)
        program.save(update_fields=[*new.keys()])
        if changed:
            audit.record(
                actor=by,
                action=Action.UPDATE,
                target_type="program_settings",
                target_id=program.pk,
                program_id=program.pk,
                detail={"changed": changed},
            )
    return program
