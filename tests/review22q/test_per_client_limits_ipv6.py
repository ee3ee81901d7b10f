"""Review 22q: the lockout and the scores' limit now count an IPv6 client by its /64 (review 22p), but
the other per-client limits still count it by its one address. An IPv6 client holds 2^64 addresses: it
moves to the next one and its limit is fresh again."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

# One client: four addresses of the same /64 (what one home router hands out to one household).
SAME_CLIENT = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3", "2001:db8:1:2:aaaa::4"]


@pytest.mark.django_db
def test_password_reset_limit_per_client_counts_the_ipv6_network(settings: Any) -> None:
    """KEEL_PASSWORD_RESET_PER_CLIENT (30 an hour) counted by `client_ip`: the full address. Each request asks
    about another address (so the per-address limit never trips): only the per-client limit can stop a client
    that floods strangers' mailboxes with reset emails."""
    settings.KEEL_PASSWORD_RESET_PER_CLIENT = 2
    client = Client()
    answers = []
    for n, address in enumerate(SAME_CLIENT):
        response = client.post(
            "/api/v1/auth/password-reset",
            data={"email": f"stranger{n}@example.org"},
            content_type="application/json",
            REMOTE_ADDR=address,
        )
        answers.append(response.status_code)
    assert answers[:2] == [202, 202], answers
    assert answers[2:] == [429, 429], (
        f"one IPv6 client (one /64) made {answers.count(202)} reset requests past a limit of 2: {answers}"
    )


@pytest.mark.django_db
def test_selfguided_signup_limit_counts_the_ipv6_network(settings: Any) -> None:
    """KEEL_SIGNUP_RATE (sign-ups per visitor) is counted by `client_ip`: one IPv6 client makes an account
    from each of its addresses, without end."""
    settings.KEEL_SIGNUP_RATE = "1/h"
    made = []
    for n, address in enumerate(SAME_CLIENT[:3]):
        response = Client().post(
            "/en/start/",
            data={
                "username": f"visitor-review22q-{n}",
                "password": "a long pass phrase for review 22q",
                "password_again": "a long pass phrase for review 22q",
                "time_zone": "America/New_York",
                "understood": "on",
            },
            REMOTE_ADDR=address,
        )
        made.append(response.status_code)
    assert made[0] == 302, made
    assert made[1:] == [429, 429], (
        f"one IPv6 client (one /64) made {made.count(302)} accounts past 1/h: {made}"
    )
