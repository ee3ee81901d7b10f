"""The client's address: the one answer the lockout, the audit trail and every per-client limit use.

Behind the shipped proxy (docs/deploy.md: Caddy on the public address, `keel serve` on 127.0.0.1) every
request reaches Keel from the proxy's own address, so `REMOTE_ADDR` alone would make one lockout and one limit
for everyone, and every audit row's "where" the proxy (review 21p). The proxy says who its client was in
`X-Forwarded-For`; Keel believes that header only when the request comes straight from a proxy it trusts
(`KEEL_TRUSTED_PROXIES`, by default the loopback addresses, the same ones `keel serve` trusts for the scheme).
From anyone else the header is ignored: a client cannot choose its own address.

Addresses are compared as addresses (review 21y): the trusted list is parsed once per settings value (an
IPv6 address written in capitals or in long form is the same address), and an IPv4-mapped IPv6 address
(`::ffff:127.0.0.1`, what a dual-stack socket reports for an IPv4 client) is its IPv4 address.

A client's address names one connection; what it holds may be more. An IPv6 client is handed a whole /64
network (2^64 addresses), so a lockout or a limit counted per address would let one client move to its
next address every few guesses (review 22p): `client_network` is what a lockout and every per-client limit
count, the /64 for IPv6 and the one address for IPv4, an IPv4 client carried in an IPv6 address (NAT64, SIIT)
as its IPv4 address (review 22q). The audit trail keeps the address itself (`client_ip`), in the one normal
form both databases give back, so the address the audit chain seals is the one it reads (review 22q).

Caddy replaces a client's own `X-Forwarded-For` with the address it saw; a proxy that appends instead leaves
the client's address as the right-most entry that is not itself a trusted proxy, which is the one taken here.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest

from keel.core.addresses import network_of, normal_address

# The normal form of an address seen before, remembered (issue #21: `REMOTE_ADDR` is the proxy's on every
# request behind it, and parsing it costs some 30 Python calls a request); bounded, so a client sending many
# addresses only churns it.
_normal = lru_cache(maxsize=1024)(normal_address)


@lru_cache(maxsize=8)
def _parsed(proxies: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n for n in map(_normal, proxies) if n is not None)


def _trusted() -> frozenset[str]:
    """`KEEL_TRUSTED_PROXIES` normalised, parsed once per settings value."""
    return _parsed(tuple(getattr(settings, "KEEL_TRUSTED_PROXIES", ())))


@receiver(setting_changed)
def _forget_trusted(*, setting: str, **kwargs: object) -> None:
    if setting == "KEEL_TRUSTED_PROXIES":
        _parsed.cache_clear()


def client_ip(request: HttpRequest) -> str:
    """The address of the client, in its one normal form (`keel.core.addresses.normal_address`: compressed,
    lower case, no zone id, an IPv4 address written as IPv6 as its IPv4 address; review 22q): `REMOTE_ADDR`,
    or, when that is a trusted proxy, the right-most address in its `X-Forwarded-For` that is not a trusted
    proxy. A malformed entry stops the walk (the proxy's own address is kept then), so a header the proxy
    did not write cannot name an address. "" when `REMOTE_ADDR` is no address (no client known)."""
    remote = _normal(request.META.get("REMOTE_ADDR")) or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not forwarded:
        return remote
    trusted = _trusted()
    if remote not in trusted:
        return remote
    for entry in reversed(forwarded.split(",")):
        address = _normal(entry)
        if address is None:
            return remote
        if address not in trusted:
            return address
    return remote


def client_network(request: HttpRequest) -> str:
    """What one client holds, for counting its attempts: the sign-in lockout (django-axes'
    AXES_CLIENT_IP_CALLABLE), the scores' limit, the password-reset and sign-up limits (review 22q): the
    client's /64 for IPv6, its IPv4 address (also when an IPv6 address carries one: NAT64, SIIT, 6to4,
    Teredo), `keel.core.addresses.network_of`. The one definition every per-client limit counts."""
    return network_of(client_ip(request))
