"""Ending an account's ways in: its sessions and tokens, and deactivating it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from keel.accounts.models import ApiToken, SecondFactorSetupCode, User
from keel.accounts.services.issued_codes import void_codes_issued_by
from keel.audit import services as audit
from keel.audit.models import Action

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


def void_setup_codes(user: User) -> int:
    """Delete this person's unused second-factor set-up codes (`setup_codes`; a used one is kept as it was);
    return how many. As a new reset replaces one, and as her account is turned off (review 35g, lane fix36b:
    a code outliving the deactivation worked again if the account was turned back on)."""
    deleted, _rows = SecondFactorSetupCode.objects.filter(user=user, used_at__isnull=True).delete()
    return int(deleted)


def revoke_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def deactivate_user(*, user: User, by: User | None, patient: audit.PatientRecord | None = None) -> None:
    """Disable a user: every session ends (Django drops inactive users), every token is revoked, an unused
    second-factor set-up code is void (`void_setup_codes`) and so is every unused code she gave for a
    patient (`void_codes_issued_by`: review 37d, lane fix37e), in one transaction.
    `patient`: the person whose own account this is, when her record is why (a death's discharge, lane
    dead27): the audit row names her and her program (`audit.record_for_patient`, lane after28), so the
    privacy officer finds it in her audit trail; a staff member's account names no patient."""
    void_codes_issued_by(user, by=by)  # first: a code in use locks its row before its person's or account
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_tokens(user)
    end_sessions(user)
    void_setup_codes(user)
    if patient is not None:
        audit.record_for_patient(by, patient, Action.UPDATE, "user", user.pk, reason="deactivated")
        return
    audit.record(actor=by, action=Action.UPDATE, target_type="user", target_id=user.pk, reason="deactivated")
