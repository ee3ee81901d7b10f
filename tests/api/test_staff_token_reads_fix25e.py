"""Lane fix25e (review 25d H1): a staff member's API token reads no person on the JSON API. Every GET route
of the OpenAPI schema is walked with each staff role's unbound token and a bound one: a route that answers
200 must be in the allow list below (routes that name no person, marked `api_auth.reads_no_one`, and the
caller's own `/me`), and even then names no patient. A new route that reads people is refused by default;
one added to the allow list must show here that it names no one. Also: the dosing window refused (403,
audited), a session and a patient's own token unchanged."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import Action, AuditEvent
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

# Routes a staff token may read: no person's record in them.
ALLOWED = {
    "/api/v1/me",
    "/api/v1/auth/tokens",
    "/api/v1/programs/{slug}/settings",
    "/api/v1/programs/{slug}/policy",
    "/api/v1/programs/{slug}/measures",
    "/api/v1/instruments",
    "/api/v1/instruments/{code}",
    "/api/v1/meetings",
    "/api/v1/facilities",
    "/api/v1/rules",
    "/api/v1/rules/{name}",
}
ROLES = ("nurse", "prescriber", "counselor", "program_admin", "auditor")


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="ehr", recipient_name=recipient).secret


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _get_paths() -> list[str]:
    schema = Client().get("/api/v1/openapi.json").json()
    return sorted(p for p, ops in schema["paths"].items() if "get" in ops)


def _filled(path: str, world: World) -> str:
    values = {"patient_id": world.alice.pk, "slug": "riverside", "code": "phq9", "name": "take_home"}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _names(world: World) -> list[str]:
    return [world.alice.family_name, world.bob.family_name, world.charlie.family_name]


def _person_data_on(world: World, path: str, secret: str) -> str | None:
    response = Client().get(_filled(path, world), **_bearer(secret))
    if response.status_code != 200:
        return None
    body = response.content.decode(errors="replace")
    if path not in ALLOWED:
        return f"{path}: 200 to a staff token, not in the allow list"
    named = [n for n in _names(world) if n in body]
    return f"{path}: names {named}" if named else None


def test_the_schema_has_the_routes_this_walk_expects() -> None:
    paths = _get_paths()
    assert "/api/v1/dosing/today" in paths and "/api/v1/patients" in paths
    assert len(paths) > 30
    assert set(paths) >= ALLOWED, ALLOWED - set(paths)


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_refuses_a_staff_token_a_person(world: World, role: str) -> None:
    from keel.treatment.services import prescribe

    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        order_version=0,
    )
    secret = _token(world.staff[role])
    found = [f for f in (_person_data_on(world, p, secret) for p in _get_paths()) if f]
    assert found == []


def test_every_get_route_refuses_a_bound_token_a_person(world: World) -> None:
    secret = _token(world.staff["nurse"], recipient="County ED")
    found = [f for f in (_person_data_on(world, p, secret) for p in _get_paths()) if f]
    assert found == []


def test_the_dosing_window_is_refused_to_a_token_audited(world: World) -> None:
    before = AuditEvent.objects.filter(action=Action.DENIED).count()
    response = Client().get("/api/v1/dosing/today", **_bearer(_token(world.staff["nurse"])))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=Action.DENIED).count() == before + 1


def test_the_dosing_window_still_answers_a_signed_in_nurse(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get("/api/v1/dosing/today").status_code == 200


def test_a_patients_own_token_still_reads_their_own(world: World) -> None:
    secret = _token(world.alice.user)
    assert Client().get("/api/v1/me", **_bearer(secret)).status_code == 200
    own = Client().get(f"/api/v1/patients/{world.alice.pk}/medication", **_bearer(secret))
    assert own.status_code in (200, 403)  # as before this lane: the patient's own token is no staff read
    other = Client().get("/api/v1/dosing/today", **_bearer(secret))
    assert other.status_code in (403, 404)
