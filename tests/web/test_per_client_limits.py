"""Every per-client limit counts `client_network` (review 22q holes 1-2): one IPv6 client is its /64,
whichever of its 2^64 addresses it uses; a neighbouring /64 is another client. One test per limit, and one
that reads the source: no limit counts `client_ip` or the audit context's address."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.assessments.test_api import COWS
from tests.conftest import World

ONE_CLIENT = ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff:ffff:ffff:fffe", "2001:db8:7:1:9::9"]
NEIGHBOUR = "2001:db8:7:2::1"  # the next /64: another household


def _reset_api(address: str, n: int) -> int:
    return (
        Client()
        .post(
            "/api/v1/auth/password-reset",
            json.dumps({"email": f"someone{n}@example.org"}),
            content_type="application/json",
            REMOTE_ADDR=address,
        )
        .status_code
    )


def _reset_page(address: str, n: int) -> int:
    return (
        Client()
        .post("/accounts/password/reset/", {"email": f"someone{n}@example.org"}, REMOTE_ADDR=address)
        .status_code
    )


def _sign_up(address: str, n: int) -> int:
    form = {
        "username": f"limits-walker-{n}",
        "password": "a long pass phrase for the limits",
        "password_again": "a long pass phrase for the limits",
        "time_zone": "America/New_York",
        "understood": "on",
    }
    return Client().post("/en/start/", form, REMOTE_ADDR=address).status_code


def _score(address: str, n: int) -> int:
    return (
        Client()
        .post(
            "/api/v1/instruments/cows/score",
            json.dumps({"answers": COWS}),
            content_type="application/json",
            REMOTE_ADDR=address,
        )
        .status_code
    )


# (a request, the setting that makes its limit 2, what a request within the limit answers)
LIMITS: dict[str, tuple[Callable[[str, int], int], dict[str, object], int]] = {
    "password reset (API)": (_reset_api, {"KEEL_PASSWORD_RESET_PER_CLIENT": 2}, 202),
    "password reset (page)": (_reset_page, {"KEEL_PASSWORD_RESET_PER_CLIENT": 2}, 200),
    "self-guided sign-up": (_sign_up, {"KEEL_SIGNUP_RATE": "2/h"}, 302),
    "open scoring": (_score, {"KEEL_SCORE_RATE": "2/m"}, 200),
}


@pytest.mark.django_db
@pytest.mark.parametrize("limit", LIMITS)
def test_one_ipv6_64_is_one_client_of_every_limit(limit: str, settings: Any) -> None:
    request, setting, fine = LIMITS[limit]
    for name, value in setting.items():
        setattr(settings, name, value)
    answers = [request(address, n) for n, address in enumerate(ONE_CLIENT)]
    assert answers == [fine, fine, 429, 429], f"{limit}: one /64 past a limit of 2: {answers}"


@pytest.mark.django_db
@pytest.mark.parametrize("limit", LIMITS)
def test_the_next_64_is_another_client(limit: str, settings: Any) -> None:
    request, setting, fine = LIMITS[limit]
    for name, value in setting.items():
        setattr(settings, name, value)
    for n, address in enumerate(ONE_CLIENT):
        request(address, n)
    assert request(NEIGHBOUR, 9) == fine, f"{limit}: the neighbouring /64 is held by its neighbour's limit"


def test_the_sign_in_lockout_counts_one_64(world: World) -> None:
    """django-axes counts (username, client_network): six wrong passwords from six addresses of one /64."""
    username = world.staff["nurse"].username
    answers = [
        Client()
        .post(
            "/accounts/login/",
            {"username": username, "password": "wrong 1"},
            REMOTE_ADDR=f"2001:db8:7:1::{n}",
        )
        .status_code
        for n in range(1, 8)
    ]
    assert answers[-1] == 429, answers


SRC = Path(__file__).resolve().parents[2] / "src" / "keel"


def _sources() -> dict[str, str]:
    return {str(p.relative_to(SRC)): p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")}


def test_only_the_audit_trail_reads_the_clients_own_address() -> None:
    """One definition (review 22q): `client_ip` is read only where the audit context is bound, and the audit
    context's address only by the audit writer and the re-authentication (which hands it to django-axes,
    whose AXES_CLIENT_IP_CALLABLE is `client_network`); every limit asks `client_network`."""
    readers = {
        name
        for name, text in _sources().items()
        if re.search(r"\bclient_ip\(", text) and name != "web/client_address.py"
    }
    assert readers == {"web/middleware.py"}, readers
    context_readers = {
        name for name, text in _sources().items() if re.search(r"(?<!ipaddress)\.ip_address\b", text)
    }
    assert context_readers <= {"audit/services/recording.py", "accounts/services/people.py"}, context_readers


def test_every_limit_asks_client_network() -> None:
    from django.conf import settings

    assert settings.AXES_CLIENT_IP_CALLABLE == "keel.web.client_address.client_network"
    sources = _sources()
    for name in (
        "accounts/api.py",
        "accounts/password_views.py",
        "selfguided/views.py",
        "assessments/api.py",
    ):
        assert "client_network(request)" in sources[name], name
