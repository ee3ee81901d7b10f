"""Make people's accounts and check who they are: passwords, re-authentication, codes, failed sign-ins."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.accounts.services.errors import AccountError
from keel.accounts.services.totp import enroll_totp
from keel.accounts.services.usernames import (
    TAKEN,
    UNIQUE_ANY_CASE,
    same_username,
    save_new_user,
    unknown_name_key,
    username_taken,
)
from keel.audit import context as audit_context
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.core.words import gettext_noop as N_

MAX_PASSWORD_LENGTH = 256  # the sign-in form's limit


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
    totp_code: str | None = None,
    by: User | None = None,
) -> tuple[User, TOTPDevice | None]:
    """Create a user with one role; staff join `program_slug` and get a TOTP device (MFA is required).
    `totp_code`: the code that showed the person's authenticator holds `totp_key_hex`, recorded as used
    (`enroll_totp`)."""
    if role not in Role.values:
        raise AccountError(
            "role",
            N_("unknown role %(role)s; choose one of %(roles)s"),
            role=repr(role),
            roles=", ".join(Role.values),
        )
    if not username or len(username) > 150:
        raise AccountError("username", N_("give a username of 1 to 150 characters"))
    if username_taken(username):
        raise AccountError("username", TAKEN)
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
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise account_error(exc) from None
    save_new_user(user)  # a race on the name: the same AccountError as the check above
    if program is not None and role != Role.PATIENT:
        ProgramMembership.objects.create(user=user, program=program)
    device = enroll_totp(user=user, key_hex=totp_key_hex, code=totp_code) if role != Role.PATIENT else None
    audit.record(
        actor=by,
        action=Action.CREATE,
        target_type="user",
        target_id=user.pk,
        program_id=program.pk if program else None,
    )
    return user, device


def problems_before_lookup(username: str, password: str, *, first_name: str = "") -> list[FieldError]:
    """What making the account would refuse without looking another account up: the username's characters
    (the model field's validators, said as `account_error` says them) and the password's strength
    (`validate_password`, as `create_user`). Asked before a try of a desk code or an invitation link is spent
    (review 36m: a too-short password typed five times spent the code's tries and locked the patient out).
    `first_name`: the one the account will have (a desk code's record's, known once the code is found live:
    lane fix37j), so a password like it is refused here too, in the validator's words (never the name)."""
    errors: list[FieldError] = []
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        errors.append(account_error(ValidationError({"username": exc.error_list})).field_error())
    try:
        validate_password(password, User(username=username, first_name=first_name))
    except ValidationError as exc:
        errors.append(FieldError("password", " ".join(exc.messages)))
    return errors


class NameInUse(Exception):
    """The name asked for, as an account is made from a desk code or an invitation link, is some account's
    (`usernames.TAKEN`): raised inside the write's transaction, which rolls back; answered by
    `refuse_name_in_use` outside it. `error` is the answer."""

    def __init__(self, error: FieldError) -> None:
        super().__init__()
        self.error = error


def refused_account(exc: AccountError) -> NameInUse | FieldsInvalid:
    """What a write making an account from a code or a link raises for `create_user`'s refusal: a name in
    use as `NameInUse` (audited once the write has rolled back), any other problem as its field's."""
    if exc.field == "username" and exc.template == TAKEN:
        return NameInUse(exc.field_error())
    return FieldsInvalid([exc.field_error()])


def refuse_name_in_use(
    refused: NameInUse,
    *,
    target_type: str,
    reason: str,
    target_id: str | int = "",
    program_id: int | None = None,
) -> FieldsInvalid:
    """The one refusal of a name in use on the routes that make an account from a code or a link (the
    activation, the staff invitation; lanes fix36k, fix37b): audited outside the refused write's
    transaction, naming neither the name nor the address, and answered on `username` alike for every
    account. Returns the error to raise."""
    audit.record(
        actor=None,
        action=Action.CREATE,
        outcome=Outcome.DENIED,
        target_type=target_type,
        target_id=target_id,
        program_id=program_id,
        reason=reason,
    )
    return FieldsInvalid([refused.error])


def account_error(exc: ValidationError) -> AccountError:
    """The model's refusal of a new account (`full_clean`) as the AccountError naming its first field, so
    every route that makes an account (activation, invitation, the commands) answers on the field, never a
    500 (review 34d: a username with a space). The username's rule in plain words."""
    problems = exc.error_dict if hasattr(exc, "error_dict") else {"__all__": exc.error_list}
    field, errors = next(iter(problems.items()))
    if field == "username" and any(e.code == "invalid" for e in errors):
        return AccountError("username", N_("Use letters, numbers and @ . + - _ only. No spaces."))
    if (field == "username" and any(e.code == "unique" for e in errors)) or any(
        e.code == UNIQUE_ANY_CASE
        for e in errors  # the index's own check (`full_clean`), not on a field
    ):
        return AccountError("username", TAKEN)
    return AccountError(field, " ".join(m for e in errors for m in e.messages))


def sign_in_name(typed: object) -> str:
    """The one username a typed sign-in name stands for (the lead's decision on review 34d's question 1):
    spaces around it trimmed, then the account whose username it is regardless of case, as the unique index
    folds case (`usernames.same_username`, the check an account is made with: lane acct35), else the typed
    name with its ASCII letters in lower case (`usernames.unknown_name_key`). Signing in and django-axes'
    lockout (counted per this name + client) read it, so "ALICE" and "alice" are one person with one count.
    Non-ASCII letters fold as the database's `LOWER` does (PostgreSQL: all; SQLite: none), never in Python."""
    name = str(typed or "").strip()
    if not name:
        return name
    found = same_username(name).values_list("username", flat=True).first()
    return found if found is not None else unknown_name_key(name)


def check_password(request: HttpRequest, *, username: str, password: str) -> User | None:
    """Authenticate through django-axes (which counts failures per username + IP), as `sign_in_name`: the
    typed name trimmed, its case folded, on every password route (the page, the API token, the password
    asked again)."""
    user = authenticate(request=request, username=sign_in_name(username), password=password)
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
    found = User.objects.filter(username=sign_in_name(username)).values_list("id", "role").first()
    existing = found[0] if found and found[1] != Role.SELF_GUIDED else None  # self-guided: named by no row
    audit.record(
        actor=None,
        about=found[1] if found else "",  # a self-guided account's: no address either (review 35b hole 4)
        actor_id=existing,
        action=Action.FAILED_LOGIN,
        outcome=Outcome.FAILURE,
        target_type="user",
        target_id=existing or "",
        reason=reason,
    )


def programs_of(user: User, *, first: int | None = None) -> list[int]:
    """The ids of the programs a staff member works in, in the order their trails are written: `first` (the
    acting admin's program) first, then the others by id."""
    theirs = ProgramMembership.objects.filter(user=user)
    if first is not None:
        theirs = theirs.exclude(program_id=first)
    rest = sorted(theirs.values_list("program_id", flat=True))
    return rest if first is None else [first, *rest]
