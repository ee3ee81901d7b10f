"""Review 22p: the sign-in lockout (SECURITY.md T4: per user and address, 5 failures) and the client's
address (`keel.web.client_address.client_ip`). Fails on the code as reviewed."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import World


def _token_attempt(username: str, address: str) -> int:
    response = Client().post(
        "/api/v1/auth/tokens",
        json.dumps({"username": username, "password": "not the password at all", "name": "x"}),
        content_type="application/json",
        REMOTE_ADDR=address,
    )
    return response.status_code


def test_one_ipv6_network_guesses_a_password_without_end(world: World) -> None:
    """One IPv6 connection is given a /64 network (2^64 addresses): the lockout counts each address apart,
    so a guesser moves to the next address of its own network every five guesses and is never locked out.
    The address a lockout counts must be the network a client holds (its /64), as an IPv4 client's is its
    one address."""
    username = world.staff["nurse"].username
    statuses = [_token_attempt(username, f"2001:db8:1:2::{n:x}") for n in range(1, 12)]
    assert 429 in statuses, statuses
