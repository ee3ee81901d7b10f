"""How often a visitor makes an account of their own and an account tries a program's code: token buckets
(`SignupBucket`) refilled over a period, kept in the database and locked while they change, so every process
and thread agrees. The visitor's address is never stored, only a keyed digest of it."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from keel.selfguided.models import SignupBucket

JOIN_TRIES = (10, 3600.0)  # codes tried per account per hour: a 10-character code cannot be guessed


def _rate() -> tuple[int, float]:
    """KEEL_SIGNUP_RATE as (sign-ups, seconds): "5/h" -> (5, 3600)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([smhd])\s*", settings.KEEL_SIGNUP_RATE)
    if not match or int(match[1]) < 1:
        raise ValueError(f"KEEL_SIGNUP_RATE: use N/s, N/m, N/h or N/d, not {settings.KEEL_SIGNUP_RATE!r}")
    return int(match[1]), {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


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


def take_activation_try(code: str, *, now: datetime | None = None) -> bool:
    """Spend one try of a desk activation code's name (KEEL_SIGNUP_RATE, as a visitor's sign-ups): whoever
    holds the code confirms at most that many names, from any address; a clinic's patients activating from
    its one network each spend only their own code's (the integrator, session 36: not the visitor's
    sign-ups, which a first morning's patients and staff behind one address would use up). Keyed by a
    keyed digest of the code, never the code."""
    capacity, period = _rate()
    cleaned = "".join(c for c in code.upper() if c.isalnum())
    key = hmac.new(settings.SECRET_KEY.encode(), f"activation:{cleaned}".encode(), hashlib.sha256).hexdigest()
    return take_token(key, capacity, period, now)


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


def take_token(key: str, capacity: int, period: float, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        SignupBucket.objects.get_or_create(key=key, defaults={"tokens": float(capacity), "updated_at": now})
        bucket = SignupBucket.objects.select_for_update().get(key=key)
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(float(capacity), bucket.tokens + elapsed * capacity / period)
        if tokens < 1:
            return False
        bucket.tokens, bucket.updated_at = tokens - 1, now
        bucket.save(update_fields=["tokens", "updated_at"])
    return True
