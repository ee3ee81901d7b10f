"""SECURITY.md T17: the password asked again before a disclosure, an export or emergency access counts toward
the same lockout as signing in (django-axes: username + IP, 5 failures, 15 minutes), and each failure is
audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import EmergencyAccess
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
REASON = "Found unresponsive in the lobby; need the medication list for EMS"


def _json(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _disclosure_api(client: Client, world: World, password: str) -> Any:
    body = {"basis": "consent", "consent": 1, "categories": ["medication"], "password": password}
    return _json(client, f"/api/v1/patients/{world.alice.pk}/disclosures", body)


def _disclosure_page(client: Client, world: World, password: str) -> Any:
    body = {"basis": "consent", "consent": "1", "categories": "medication", "password": password}
    return client.post(f"/patients/{world.alice.pk}/sharing/disclose/", body)


def _export_api(client: Client, world: World, password: str) -> Any:
    return _json(client, f"/api/v1/patients/{world.alice.pk}/fhir/export", {"password": password})


def _emergency_api(client: Client, world: World, password: str) -> Any:
    body = {"record_number": "RR-0002", "reason": REASON, "password": password}
    return _json(client, "/api/v1/emergency-access", body)


def _emergency_page(client: Client, world: World, password: str) -> Any:
    body = {"record_number": "RR-0002", "reason": REASON, "password": password}
    return client.post("/emergency-access/", body)


Attempt = Callable[[Client, World, str], Any]
ROUTES: dict[str, tuple[Attempt, str]] = {
    "disclosure (API)": (_disclosure_api, "disclosure"),
    "disclosure (page)": (_disclosure_page, "disclosure"),
    "export (API)": (_export_api, "fhir_bundle"),
    "emergency access (API)": (_emergency_api, "emergency_access"),
    "emergency access (page)": (_emergency_page, "emergency_access"),
}


def _sign_in_page(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.parametrize("route", list(ROUTES))
def test_five_wrong_passwords_again_lock_the_sign_in(world: World, route: str) -> None:
    attempt, _ = ROUTES[route]
    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    for _ in range(5):
        assert attempt(client, world, "not my password at all").status_code == 422
    assert _sign_in_page(Client(), nurse.username).status_code == 429


@pytest.mark.parametrize("route", list(ROUTES))
def test_once_locked_even_the_right_password_again_is_refused(world: World, route: str) -> None:
    attempt, _ = ROUTES[route]
    nurse = world.staff["nurse"]
    for _ in range(5):
        _sign_in_page(Client(), nurse.username, "not my password at all")
    client = sign_in(Client(), nurse)
    assert attempt(client, world, PASSWORD).status_code == 422
    assert not EmergencyAccess.objects.exists()
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("route", list(ROUTES))
def test_sign_in_and_re_authentication_failures_add_up(world: World, route: str) -> None:
    attempt, _ = ROUTES[route]
    nurse = world.staff["nurse"]
    for _ in range(4):
        _sign_in_page(Client(), nurse.username, "not my password at all")
    attempt(sign_in(Client(), nurse), world, "not my password either")
    assert _sign_in_page(Client(), nurse.username).status_code == 429


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_wrong_password_again_is_audited_as_a_failed_sign_in(world: World, route: str) -> None:
    attempt, purpose = ROUTES[route]
    nurse = world.staff["nurse"]
    attempt(sign_in(Client(), nurse), world, "not my password at all")
    rows = AuditEvent.objects.filter(action="failed_login", actor_id=nurse.pk)
    assert list(rows.values_list("reason", flat=True)) == [f"re-authentication for {purpose}"]


def test_four_wrong_passwords_again_do_not_lock(world: World) -> None:
    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    for _ in range(4):
        _emergency_api(client, world, "not my password at all")
    assert _emergency_api(client, world, PASSWORD).status_code == 201


def test_the_lockout_is_per_address_as_for_signing_in(world: World) -> None:
    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    for _ in range(5):
        _emergency_api(client, world, "not my password at all")
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert _sign_in_page(elsewhere, nurse.username).status_code == 302


def test_after_the_cool_off_the_right_password_again_works(world: World) -> None:
    nurse = world.staff["nurse"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(Client(), nurse)
        for _ in range(5):
            _emergency_api(client, world, "not my password at all")
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        client = sign_in(Client(), nurse)
        assert _emergency_api(client, world, PASSWORD).status_code == 201
