"""What one client holds, for counting its attempts (review 22p): an IPv6 client's /64, an IPv4 client's
address; the audit trail keeps the address itself."""

from __future__ import annotations

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
