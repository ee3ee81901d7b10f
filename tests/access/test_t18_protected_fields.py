"""SECURITY.md T18 and issue #14 ("least privilege in every output"): 0 protected fields outside the roles
that may see them. Every GET route of the checked-in route table (pages, API, FHIR), and the record's export,
is asked by every role that may not see a record number or a birth date (peer specialists, auditors) about a
patient on the caller's care team; no body carries either in any of the forms Keel writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from keel.access import policy
from keel.access.policy import Area
from tests.access.expectations import ROUTES
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
# Alicia's record number and birth date (tests/conftest.py) as Keel writes them: ISO, the pages' DATE_FORMAT
# in English and Spanish, and US and day-first numeric forms.
PROTECTED = {
    "record_number": ["RR-0001"],
    "date_of_birth": ["1990-05-17", "May 17, 1990", "17 de mayo de 1990", "05/17/1990", "17/05/1990"],
}
GET_ROUTES = sorted(name for name, r in ROUTES.items() if r.method == "GET" and "{assessment}" not in r.path)
BLIND_ROLES = ["peer_specialist", "auditor"]


def _leaks(body: str) -> list[str]:
    return [f"{field}: {text}" for field, texts in PROTECTED.items() for text in texts if text in body]


@pytest.mark.parametrize("role", BLIND_ROLES)
@pytest.mark.parametrize("name", GET_ROUTES)
@time_machine.travel(NOW, tick=False)
def test_no_route_shows_a_protected_field_to_a_role_that_may_not_see_it(
    world: World, name: str, role: str
) -> None:
    route = ROUTES[name]
    client = sign_in(Client(), world.staff[role])
    response = client.get(route.path.format(patient=world.alice.pk))
    assert _leaks(response.content.decode(errors="replace")) == []


@pytest.mark.parametrize("role", BLIND_ROLES)
@time_machine.travel(NOW, tick=False)
def test_the_record_export_never_carries_a_protected_field_for_a_role_that_may_not_see_it(
    world: World, role: str
) -> None:
    client = sign_in(Client(), world.staff[role])
    body = json.dumps({"password": PASSWORD, "basis": "patient_request"})
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export", body, content_type="application/json"
    )
    assert _leaks(response.content.decode(errors="replace")) == []


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber", "program_admin"])
@time_machine.travel(NOW, tick=False)
def test_roles_with_the_clinical_area_see_the_record_number(world: World, role: str) -> None:
    body = sign_in(Client(), world.staff[role]).get(f"/api/v1/patients/{world.alice.pk}").content.decode()
    assert "RR-0001" in body


def test_the_field_policy_names_every_protected_field_once() -> None:
    assert set(policy.PROTECTED_FIELDS) >= set(PROTECTED)


@pytest.mark.parametrize("field", sorted(policy.PROTECTED_FIELDS))
def test_a_peer_specialists_areas_see_no_protected_field(field: str) -> None:
    assert not policy.field_visible(policy.areas_for_role("peer_specialist"), field)


def test_an_unknown_field_name_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        policy.field_visible(frozenset(Area), "ssn")
