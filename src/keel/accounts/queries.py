"""Accounts, the reads: a person's second factor (the one rule of when a code is asked, SECURITY.md T16),
their API tokens, a user as the API and the CLI show them, and the program whose settings an admin reads.
No audit row (these read the caller's own account, never a patient record), except the `denied` row of a
refused program-settings read."""

from __future__ import annotations

from typing import TypedDict

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.accounts.models import ApiToken, Program, ProgramMembership, User


def has_totp_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def has_totp_device_id(user_id: int) -> bool:
    """`has_totp_device` of the account with this id (a record's `user_id`, without reading the account)."""
    return bool(TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists())


def second_factor_required(user: User | AnonymousUser) -> bool:
    """The one rule for every sign-in path and every session (SECURITY.md T16): staff always give a code;
    anyone else gives one once they have a confirmed second factor, whatever their role."""
    return bool(getattr(user, "requires_mfa", False)) or (isinstance(user, User) and has_totp_device(user))


def session_passed_second_factor(user: User | AnonymousUser) -> bool:
    """A signed-in session is whole: it gave the code (django-otp's `is_verified`, which its middleware
    puts on the request's user), or its user needs none."""
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    return not second_factor_required(user)


def active_user(user_id: int) -> User | None:
    """The account with this id while it is turned on (a sign-in half done: the password given, the code
    not yet)."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def list_tokens(*, user: User, only: int | None = None) -> list[ApiToken]:
    """The user's tokens; `only`: the one token the caller may see (`policy.managed_token`), None for all."""
    tokens = ApiToken.objects.filter(user=user)
    return list(tokens if only is None else tokens.filter(pk=only))


class UserDescription(TypedDict):
    """A user as the API (`MeOut`) and the CLI show it: no secrets."""

    id: int
    username: str
    role: str
    programs: list[str]  # slugs, in Program's order
    mfa_enrolled: bool


def describe_user(user: User, *, programs: list[str] | None = None) -> UserDescription:
    """A user as the API and CLI show it (no secrets). `programs`: what to show as the user's programs when
    the caller already knows (a patient's record's program), instead of reading the memberships."""
    return {
        "id": user.pk,
        "username": user.username,
        "role": user.role,
        "programs": user_program_slugs(user.pk) if programs is None else programs,
        "mfa_enrolled": has_confirmed_totp(user.pk),
    }


# `GET /api/v1/me` runs these on every call: hand-written SQL (issue #21) instead of building two ORM
# querysets; `tests/accounts/test_describe_user_sql.py` holds them to the ORM's answers on both databases.
_PROGRAM_SLUGS_SQL = (
    f'SELECT g."slug" FROM "{Program._meta.db_table}" g '  # noqa: S608 # nosec B608
    f'JOIN "{ProgramMembership._meta.db_table}" m ON m."program_id" = g."id" '
    'WHERE m."user_id" = %s ORDER BY g."name", g."id"'
)


_CONFIRMED_TOTP_SQL = (
    f'SELECT 1 FROM "{TOTPDevice._meta.db_table}" WHERE "user_id" = %s AND "confirmed" = %s LIMIT 1'  # noqa: S608 # nosec B608
)


def user_program_slugs(user_id: int) -> list[str]:
    """`[p.slug for p in user.programs.all()]`: the user's programs in Program's order (by name)."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRAM_SLUGS_SQL, [user_id])
        return [row[0] for row in cursor.fetchall()]


def has_confirmed_totp(user_id: int) -> bool:
    """`TOTPDevice.objects.filter(user=user, confirmed=True).exists()`."""
    with connection.cursor() as cursor:
        cursor.execute(_CONFIRMED_TOTP_SQL, [user_id, True])
        return cursor.fetchone() is not None


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


# --- Program settings (issue #18) ---------------------------------------------------------------------


class ProgramSettingsNotAllowed(AccessNotAllowed, PermissionError):
    pass


def program_settings(*, by: User, slug: str) -> Program:
    """The program whose settings its admin reads or changes; anyone else is refused with a `denied` audit
    row (the one access check of `update_program_settings` too: `policy.program_of_admin`)."""
    from keel.access import policy

    return policy.program_of_admin(
        by,
        slug,
        target_type="program_settings",
        error=ProgramSettingsNotAllowed,
        message="Only the program's admins change its settings.",
    )
