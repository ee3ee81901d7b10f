"""Personal access tokens: issued, looked up by their secret, bound to one recipient, revoked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from keel.accounts.models import OWN_PATIENT, ApiToken, Program, Role, User
from keel.accounts.services.errors import AccountError
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing
from keel.core.words import gettext_noop as N_
from keel.db import rows

TOKEN_PREFIX = "keel_"


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
        prepared=True,  # every API call: prepared once per connection on PostgreSQL
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
