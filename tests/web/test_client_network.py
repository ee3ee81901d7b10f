"""What one client holds, for counting its attempts (review 22p): an IPv6 client's /64, an IPv4 client's
address; the audit trail keeps the address itself."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from keel.audit.models import AuditEvent
from keel.web.client_address import client_network
from tests.conftest import World, sign_in

factory = RequestFactory()


def _network(remote: str, forwarded: str | None = None) -> str:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_network(factory.get("/healthz", REMOTE_ADDR=remote, **extra))


def test_an_ipv6_client_counts_as_its_64() -> None:
    assert _network("2001:db8:1:2::abcd") == "2001:db8:1:2::"


def test_two_addresses_of_one_64_are_one_client() -> None:
    assert _network("2001:db8:1:2:ffff::1") == _network("2001:db8:1:2::9")


def test_an_ipv4_client_counts_as_its_address() -> None:
    assert _network("198.51.100.4") == "198.51.100.4"


def test_an_ipv4_mapped_client_counts_as_its_ipv4_address() -> None:
    assert _network("::ffff:198.51.100.4") == "198.51.100.4"


def test_behind_the_proxy_the_forwarded_clients_64_counts() -> None:
    assert _network("127.0.0.1", "2001:db8:9:9::5") == "2001:db8:9:9::"


def _login_failure(username: str, address: str) -> int:
    return (
        Client(REMOTE_ADDR=address)
        .post("/accounts/login/", {"username": username, "password": "wrong 1"})
        .status_code
    )


def test_the_sign_in_page_locks_one_64_out_whichever_address_it_uses(world: World) -> None:
    username = world.staff["nurse"].username
    statuses = [_login_failure(username, f"2001:db8:1:2::{n:x}") for n in range(1, 8)]
    assert statuses[-1] == 429


def test_another_64_is_not_locked_out_by_its_neighbour(world: World) -> None:
    username = world.staff["nurse"].username
    for n in range(1, 7):
        _login_failure(username, f"2001:db8:1:2::{n:x}")
    assert _login_failure(username, "2001:db8:1:3::1") == 200


def test_the_audit_row_keeps_the_ipv6_address_itself(world: World) -> None:
    client = sign_in(Client(REMOTE_ADDR="2001:db8:1:2::abcd"), world.staff["nurse"])
    client.get(f"/api/v1/patients/{world.alice.pk}")
    assert AuditEvent.objects.latest("id").ip_address == "2001:db8:1:2::abcd"


# An IPv6 address that carries an IPv4 client counts as that IPv4 address (review 22q hole 3).

CARRIED = {
    "IPv4-mapped": "::ffff:192.0.2.1",
    "IPv4-translated (SIIT)": "::ffff:0:192.0.2.1",
    "NAT64 well-known prefix": "64:ff9b::192.0.2.1",
    "NAT64 local-use, /96": "64:ff9b:1::192.0.2.1",
    "IPv4-compatible (deprecated)": "::192.0.2.1",
    "6to4": "2002:c000:201:7::1",
    "Teredo": "2001:0:4136:e378:8000:63bf:3fff:fdfe",  # client 192.0.2.1, its bits inverted
    "written in capitals, long form": "0000:0000:0000:0000:0000:FFFF:C000:0201",
}


@pytest.mark.parametrize("form", CARRIED)
def test_an_ipv4_client_carried_in_ipv6_counts_as_its_ipv4_address(form: str) -> None:
    assert _network(CARRIED[form]) == "192.0.2.1"


@pytest.mark.parametrize("form", CARRIED)
def test_two_ipv4_clients_carried_the_same_way_are_two_clients(form: str) -> None:
    one = CARRIED[form]
    other = one.replace("192.0.2.1", "198.51.100.7").replace("c000:201", "c633:6407")
    other = other.replace("C000:0201", "C633:6407").replace("3fff:fdfe", "39cc:9bf8")
    assert _network(other) == "198.51.100.7", other


def test_loopback_and_the_unspecified_address_are_no_ipv4_client() -> None:
    assert _network("::1") == _network("::") == "::"
    assert _network("::2") == "0.0.0.2"  # in ::/96: an IPv4-compatible address, whatever it names


def test_a_local_use_nat64_address_outside_its_96_counts_as_itself() -> None:
    """64:ff9b:1::/48's layout is the operator's (RFC 6052, /48 to /96): the whole address names one IPv4
    client under every layout; two such clients are two."""
    one, other = "64:ff9b:1:c000:2:100::", "64:ff9b:1:c633:64:700::"
    assert (_network(one), _network(other)) == (one, other)


def test_a_zone_id_is_not_part_of_the_client() -> None:
    assert _network("fe80::1%eth0") == _network("fe80::1") == "fe80::"


def test_behind_the_proxy_a_forwarded_nat64_client_counts_as_its_ipv4() -> None:
    assert _network("127.0.0.1", "64:ff9b::203.0.113.5") == "203.0.113.5"
