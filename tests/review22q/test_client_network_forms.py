"""Review 22q: `client_network` counts every IPv6 client by its /64. An IPv6 address that carries an IPv4
client inside it (a stateless NAT64/SIIT translator's well-known prefix 64:ff9b::/96, RFC 6052; the
IPv4-translated ::ffff:0:0/96, RFC 2765) puts every IPv4 client of the internet in one /64: five wrong
passwords from anyone lock a username out for every IPv4 client, and the scores' limit is one for them all."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from keel.web.client_address import client_network


def _network(remote: str) -> str:
    return client_network(RequestFactory().get("/", REMOTE_ADDR=remote))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("64:ff9b::192.0.2.1", "64:ff9b::198.51.100.7"),  # NAT64 / SIIT well-known prefix
        ("::ffff:0:192.0.2.1", "::ffff:0:198.51.100.7"),  # IPv4-translated
    ],
)
def test_two_ipv4_clients_behind_an_embedding_prefix_are_two_clients(one: str, other: str) -> None:
    assert _network(one) != _network(other), (
        f"{one} and {other} (two IPv4 clients) count as one client: {_network(one)}"
    )
