"""A network address's one written form, and the client it counts as (standard library only).

`normal_address` is the form Keel keeps and compares (review 22q): lower case, compressed (RFC 5952, what
Python's `ipaddress` writes), and:

- a zone id is dropped (`fe80::1%eth0` is `fe80::1`): Django's GenericIPAddressField drops it on both
  databases when it saves, and PostgreSQL's `inet` has none, so an address with its zone would be stored
  differently from what the audit chain sealed (review 22q hole 5). Link-local clients of two interfaces are
  then one address: one LAN segment each, named the same way the database names them;
- an address that is an IPv4 address written as IPv6 on the connection itself is that IPv4 address: the
  IPv4-mapped `::ffff:a.b.c.d` (what a dual-stack socket reports for an IPv4 client, review 21y) and the
  deprecated IPv4-compatible `::a.b.c.d` (every `::/96` address but `::` and `::1`, RFC 4291 2.5.5.1).
  These are also exactly the IPv6 addresses PostgreSQL writes back with a dotted IPv4 tail
  (`::192.0.2.1`, `::ffff:192.0.2.1`): every other IPv6 address reads back from `inet` as Python writes it,
  so the normal form is what both databases give back, and what the audit chain seals is what it reads.

`network_of` is what one client holds, for counting its attempts (review 22p): an IPv4 address is itself; an
IPv6 client holds a /64 (2^64 addresses), counted as the network's first address. An IPv6 address that
carries an IPv4 client counts as that IPv4 address (review 22q hole 3), or every IPv4 client of a translator
would be one /64:

- SIIT's IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765/7915, `::ffff:0:0:0/96`) and NAT64's well-known prefix
  `64:ff9b::/96` (RFC 6052: only ever a /96): the last 32 bits;
- the local-use NAT64 space `64:ff9b:1::/48` (RFC 8215): an operator carves its translator's prefix out of
  it at any RFC 6052 length (/48 to /96), and where the IPv4 address sits depends on that length, which Keel
  cannot know. Inside `64:ff9b:1::/96` only the /96 reading gives an IPv4 address a client can have (every
  other length reads one in 0.0.0.0/8), so there it is the last 32 bits; any other address of the /48 counts
  as the whole address, which under every RFC 6052 layout names one IPv4 client (its suffix bits are zero);
- 6to4 `2002:a.b.c.d::/48` (`ipaddress`'s `sixtofour`): the site's IPv4 router, one IPv4 address behind
  which a whole site's /48 lives, counted as an IPv4 client behind NAT is;
- Teredo `2001::/32` (`ipaddress`'s `teredo`, the client's public IPv4 address): its /64 holds only the
  Teredo server's address, one for every client of that server.

`::` and `::1` are never an IPv4 client: they count as the /64 `::`, apart from every IPv4 client.
"""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 2.5.5.1, deprecated
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT, RFC 2765 / 7915
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215
_NAT64_LOCAL_96 = ipaddress.IPv6Network("64:ff9b:1::/96")
_LAST_32_BITS = (_IPV4_TRANSLATED, _NAT64_WELL_KNOWN, _NAT64_LOCAL_96)


def parse_address(text: object) -> Address | None:
    """`text` as an address in its normal form (see the module), or None when it is no address."""
    if not isinstance(text, str):
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.scope_id is not None:
        address = ipaddress.IPv6Address(int(address))  # the zone id dropped
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # `::` and `::1` are IPv6's own
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def normal_address(text: object) -> str | None:
    """The address's one written form (see the module), or None when `text` is no address."""
    address = parse_address(text)
    return None if address is None else str(address)


def carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 client an IPv6 address carries (SIIT, NAT64, 6to4, Teredo: see the module), or None."""
    if any(address in prefix for prefix in _LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def network_of(text: str | None) -> str:
    """What one client holds, for counting its attempts (see the module): an IPv4 address (also one carried
    in an IPv6 address), or an IPv6 client's /64 written as the network's first address (`2001:db8:1:2::`, an
    address still, so django-axes keeps it in its address column on both databases). Not an address: as
    given ("" for None)."""
    address = parse_address(text)
    if address is None:
        return text or ""
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    carried = carried_ipv4(address)
    if carried is not None:
        return str(carried)
    if address in _NAT64_LOCAL:
        return str(address)
    return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
