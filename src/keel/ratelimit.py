"""Counting requests against a limit in the shared cache (settings.CACHES: a table in the database), so every
web process counts together. A fixed window: the first request of a key starts it, `period` seconds long.
Keys are keyed digests (HMAC with SECRET_KEY): no address or IP is stored in the cache in the clear."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, ident: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{ident}".encode(), hashlib.sha256)
    return f"keel-rate:{scope}:{digest.hexdigest()}"


def hit(scope: str, ident: str, *, limit: int, period: int) -> bool:
    """Count one request of `ident` in `scope`; True while the window holds at most `limit` of them."""
    key = _key(scope, ident)
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr: this request starts the next one
        cache.add(key, 1, timeout=period)
        count = 1
    return count <= limit
