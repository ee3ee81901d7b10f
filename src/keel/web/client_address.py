"""The client's address: the one answer the lockout, the audit trail and every per-client limit use.

Behind the shipped proxy (docs/deploy.md: Caddy on the public address, `keel serve` on 127.0.0.1) every
request reaches Keel from the proxy's own address, so `REMOTE_ADDR` alone would make one lockout and one limit
for everyone, and every audit row's "where" the proxy (review 21p). The proxy says who its client was in
`X-Forwarded-For`; Keel believes that header only when the request comes straight from a proxy it trusts
(`KEEL_TRUSTED_PROXIES`, by default the loopback addresses, the same ones `keel serve` trusts for the scheme).
From anyone else the header is ignored: a client cannot choose its own address.

Caddy replaces a client's own `X-Forwarded-For` with the address it saw; a proxy that appends instead leaves
the client's address as the right-most entry that is not itself a trusted proxy, which is the one taken here.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _trusted() -> frozenset[str]:
    return frozenset(getattr(settings, "KEEL_TRUSTED_PROXIES", ()))


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client: `REMOTE_ADDR`, or, when that is a trusted proxy, the right-most address in
    its `X-Forwarded-For` that is not a trusted proxy. A malformed entry stops the walk (the proxy's own
    address is kept then), so a header the proxy did not write cannot name an address."""
    remote = request.META.get("REMOTE_ADDR") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not forwarded:
        return remote
    trusted = _trusted()
    if remote not in trusted:
        return remote
    for entry in reversed(forwarded.split(",")):
        address = _valid(entry)
        if address is None:
            return remote
        if address not in trusted:
            return address
    return remote
