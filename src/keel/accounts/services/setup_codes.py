"""A staff member's second-factor set-up code (lane acct35): after a reset, her password alone no longer adds
an authenticator. Whoever reset it (a program admin, `staff.reset_second_factor`; the server's operator,
`second_factor.reset_by_operator`) is shown a one-time code once (`issue_setup_code`, in the reset's
transaction, through `second_factor.remove_second_factor`), to hand over in person or by phone, never by
email or in a log. At her next sign-in she types it with her new authenticator's first code
(`enroll_with_setup_code`): it works once, until KEEL_MFA_SETUP_CODE_HOURS after the reset, and is void after
SETUP_CODE_TRIES wrong tries in any session (the admin resets again). Made, shown and stored as the desk's
codes are (`one_time_codes`: the digest only). Each use, wrong try and voiding is audited (`mfa`) in the
trail of each program she works in (lane fix36b); her account turned off voids an unused code
(`deactivation.void_setup_codes`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts.models import SecondFactorSetupCode, User
from keel.accounts.services.deactivation import void_setup_codes
from keel.accounts.services.errors import AccountError
from keel.accounts.services.one_time_codes import code_digest, new_code, shown_code
from keel.accounts.services.people import programs_of
from keel.accounts.services.totp import enroll_totp
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.words import gettext_noop as N_

SETUP_CODE_TRIES = 5  # as a sign-in's codes (`accounts.views.MAX_CODE_TRIES`), but across every session
NO_CODE = N_("that set-up code does not work; ask your program's admin to reset your two-step sign-in again")


@dataclass(frozen=True)
class IssuedSetupCode:
    code: str  # shown once to whoever reset it; never stored, never sent
    expires_at: datetime


def issue_setup_code(user: User, *, by: User | None, now: datetime | None = None) -> IssuedSetupCode:
    """A new set-up code for `user`, replacing any unused one; stored as its digest, in the caller's
    transaction (the reset's). `by`: the admin who reset it; None, the server's operator."""
    at = now or timezone.now()
    void_setup_codes(user)
    code = new_code()
    row = SecondFactorSetupCode.objects.create(
        user=user,
        digest=code_digest(code),
        created_by=by,
        created_at=at,
        expires_at=at + timedelta(hours=settings.KEEL_MFA_SETUP_CODE_HOURS),
    )
    return IssuedSetupCode(code=shown_code(code), expires_at=row.expires_at)


def enroll_with_setup_code(
    *, user: User, setup_code: str, key_hex: str, code: str, keep: str | None = None
) -> TOTPDevice:
    """Her new authenticator (`key_hex`) added with the set-up code she was handed and its first `code`
    (`enroll_totp`, which checks it and ends her other sessions but `keep`); the set-up code spent, audited.
    A set-up code that is wrong, used, expired or void: AccountError naming `setup_code` (a wrong one counts,
    committed, toward SETUP_CODE_TRIES; the last voids it); the right one with a wrong authenticator code:
    AccountError naming `code`, the set-up code unspent. Nothing else is written on a refusal."""
    outcome = _spend(user, setup_code, key_hex, code, keep)
    if isinstance(outcome, TOTPDevice):
        return outcome
    _audit_in_her_programs(user, action=Action.FAILED_LOGIN, outcome=Outcome.FAILURE, reason=outcome)
    raise AccountError("setup_code", NO_CODE)


def _audit_in_her_programs(
    user: User, *, action: Action, reason: str, outcome: Outcome = Outcome.SUCCESS
) -> None:
    """One `mfa` row in the trail of each program she works in (none: the trail of no program), where the
    admin who reset it reads (review 35g, lane fix36b: they were in no program's trail), as the reset's own
    rows are (`second_factor.reset_by_operator`). No code, typed or right, is in any row."""
    trails: list[int | None] = [*programs_of(user)] or [None]  # none: the trail of no program
    for program_id in trails:
        audit.record(
            actor=user,
            action=action,
            outcome=outcome,
            target_type="mfa",
            target_id=user.pk,
            program_id=program_id,
            reason=reason,
        )


def _spend(user: User, setup_code: str, key_hex: str, code: str, keep: str | None) -> TOTPDevice | str:
    """In one transaction, her live code's row locked (two sessions typing it at once: one spends it): the
    device, or the reason of the refusal (a wrong try already counted)."""
    with transaction.atomic():
        row = (
            SecondFactorSetupCode.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if row is None or row.tries >= SETUP_CODE_TRIES:
            return "set-up code: none that works"
        typed = str(setup_code or "")
        if len(typed) > 40 or not secrets.compare_digest(row.digest, code_digest(typed)):
            row.tries += 1
            row.save(update_fields=["tries"])
            return (
                "set-up code: void after too many tries"
                if row.tries >= SETUP_CODE_TRIES
                else "set-up code: wrong"
            )
        device = enroll_totp(user=user, key_hex=key_hex, code=code, keep=keep)  # AccountError `code`: unspent
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        _audit_in_her_programs(user, action=Action.UPDATE, reason="enrolled with set-up code")
        return device
