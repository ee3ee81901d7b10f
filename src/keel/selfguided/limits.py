"""How often a visitor makes an account of their own and an account tries a program's code: token buckets
(`SignupBucket`) refilled over a period, kept in the database and locked while they change, so every process
and thread agrees. The visitor's address is never stored, only a keyed digest of it. A bucket past its window
is full again, as if it had no row: such rows are deleted as a new bucket is written (`_prune`, lane
fix37b)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from keel.env import parse_rate
from keel.selfguided.models import SignupBucket

JOIN_TRIES = (10, 3600.0)  # codes tried per account per hour: a 10-character code cannot be guessed


def _rate() -> tuple[int, float]:
    """KEEL_SIGNUP_RATE as (sign-ups, seconds): "5/h" -> (5, 3600); settings checked it at start with the
    same parser (keel.env.parse_rate)."""
    return parse_rate("KEEL_SIGNUP_RATE", settings.KEEL_SIGNUP_RATE)


def _visitor_key(address: str | None) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"signup:{address or '-'}".encode(), hashlib.sha256
    ).hexdigest()


def take_signup_token(address: str | None, *, now: datetime | None = None) -> bool:
    """Spend one sign-up for this visitor if it has one left (a bucket refilled over KEEL_SIGNUP_RATE's
    period). `address` is what the visitor holds, `client_network` (an IPv6 client's /64, review 22q), never
    one address of it. The count lives in the database, locked while it changes, so every process and thread
    agrees."""
    capacity, period = _rate()
    return take_token(_visitor_key(address), capacity, period, now)


def take_invitation_try(invitation_id: int, *, now: datetime | None = None) -> bool:
    """Spend one try of a staff invitation's name (KEEL_SIGNUP_RATE, as a visitor's sign-ups): whoever holds
    the link confirms at most that many names however many addresses they use (lane fix36k)."""
    capacity, period = _rate()
    return take_token(f"invitation:{invitation_id}", capacity, period, now)


def take_activation_try(code_id: int, *, now: datetime | None = None) -> bool:
    """Spend one try of a desk activation code's name (KEEL_SIGNUP_RATE, as a visitor's sign-ups): whoever
    holds the code confirms at most that many names, from any address; a clinic's patients activating from
    its one network each spend only their own code's (the integrator, session 36: not the visitor's
    sign-ups, which a first morning's patients and staff behind one address would use up). `code_id` is the
    row of a code found live: a wrong code spends nothing and writes no row (lane fix37b, review 36m-5: a
    million random codes wrote a million rows)."""
    capacity, period = _rate()
    return take_token(f"activation:{code_id}", capacity, period, now)


def _join_key(user_id: int) -> str:
    """The one key of an account's join tries (every row keyed by the account is built here)."""
    return f"join:{user_id}"


def take_join_try(user_id: int, *, now: datetime | None = None) -> bool:
    """Spend one try of a program's code for this account if it has one left (JOIN_TRIES)."""
    return take_token(_join_key(user_id), *JOIN_TRIES, now)


def forget_account(user_id: int) -> None:
    """Delete every bucket keyed by this account (its join tries), as the account is deleted (review 35b
    hole 1). The sign-up bucket is keyed by the visitor's address, not the account, and stays."""
    SignupBucket.objects.filter(key=_join_key(user_id)).delete()


PRUNED_AT_ONCE = 500  # expired buckets deleted by one new bucket's write: a backlog drains a batch at a time


def take_token(key: str, capacity: int, period: float, now: datetime | None = None) -> bool:
    """Spend one token of `key`'s bucket if it has one (`capacity` refilled over `period` seconds)."""
    now = now or timezone.now()
    with transaction.atomic():
        bucket = _locked_bucket(key, capacity, now)
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(float(capacity), bucket.tokens + elapsed * capacity / period)
        if tokens < 1:
            return False
        bucket.tokens, bucket.updated_at = tokens - 1, now
        bucket.save(update_fields=["tokens", "updated_at"])
    return True


def _locked_bucket(key: str, capacity: int, now: datetime) -> SignupBucket:
    """`key`'s bucket, locked until the caller's transaction ends; a new one full, and its writing deletes
    the buckets past their window (`_prune`). One deleted by another write between the two statements was
    full: it is made again."""
    for _attempt in range(2):
        _row, created = SignupBucket.objects.get_or_create(
            key=key, defaults={"tokens": float(capacity), "updated_at": now}
        )
        if created:
            _prune(now)
        bucket = SignupBucket.objects.select_for_update().filter(key=key).first()
        if bucket is not None:
            return bucket
    raise RuntimeError("a sign-up bucket was deleted twice while it was taken")


def _longest_period() -> float:
    """The longest period of any bucket kept here: past it since its last change, every bucket is full."""
    return max(_rate()[1], JOIN_TRIES[1])


def _prune(now: datetime) -> None:
    """Delete the buckets untouched for longer than any bucket's period (lane fix37b, review 36m-5): each is
    full again, as a bucket with no row is, so nothing a limit counts is lost; the table holds only the
    windows still running. Rows another write holds are skipped, never waited for (no deadlock between
    two writes pruning at once); at most PRUNED_AT_ONCE per write."""
    expired = SignupBucket.objects.select_for_update(skip_locked=True).filter(
        updated_at__lt=now - timedelta(seconds=_longest_period())
    )
    ids = list(expired.values_list("pk", flat=True)[:PRUNED_AT_ONCE])
    if ids:
        SignupBucket.objects.filter(pk__in=ids).delete()
