"""Lane ownapi39 (review 37f, the integrator's decision): what a person reads of her own record is what her
own pages show (/me/..., the API's /api/v1/me/...), by every route her credentials reach. Every route of the
OpenAPI schema is walked with a patient's and a self-guided account's token and session: a route that is not
hers (/api/v1/me..., /api/v1/auth/...) nor names no one (`NO_ONE`) is a staff view of the record (the
caseload, the patient list, /api/v1/patients/{id}/..., flags, audit): 403 in the API's error shape, audited
as a denial, before the body or the record is read. A new route is a staff route for her by default. A
record that is not hers stays a 404, as any record out of scope; a deceased person's own token reads
nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.api import api
from keel.audit.models import Action, AuditEvent
from keel.patients.models import Enrollment, Patient, PatientFlag
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

# Hers: her account and record (/me), her tokens and the sign-in routes (/auth).
HERS = re.compile(r"^/api/v1/(me(/.*)?|auth/.*)$")
# Routes that name no one (`api_auth.reads_no_one`, or no sign-in asked): their own checks answer her.
NO_ONE = {
    ("get", "/api/v1/instruments"),
    ("get", "/api/v1/instruments/{code}"),
    ("post", "/api/v1/instruments/{code}/score"),
    ("get", "/api/v1/meetings"),
    ("get", "/api/v1/facilities"),
    ("get", "/api/v1/rules"),
    ("get", "/api/v1/rules/{name}"),
    ("post", "/api/v1/rules/{name}"),
    ("get", "/api/v1/programs/{slug}/settings"),
    ("get", "/api/v1/programs/{slug}/policy"),
    ("get", "/api/v1/programs/{slug}/measures"),
}
REFUSED = "This is the care team's view of a record. Your own record is at /api/v1/me."


def _routes() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return sorted((method, path) for path, ops in schema["paths"].items() for method in ops)


ROUTES = _routes()
STAFF_ROUTES = [(m, p) for m, p in ROUTES if not HERS.match(p) and (m, p) not in NO_ONE]


def _filled(path: str, patient_id: int) -> str:
    values = {"patient_id": patient_id, "slug": "riverside", "code": "phq9", "name": "take_home"}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _call(client: Client, method: str, url: str, headers: dict[str, str]) -> Any:
    if method in ("get", "delete"):
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, data="{}", content_type="application/json", **headers)


def _callers(world: World) -> list[tuple[str, Any, int, Client, dict[str, str]]]:
    """(who, user, her own record's id, client, headers): each role by token and by session."""
    dana_id = Patient.objects.get(user=world.dana).pk
    found = []
    for who, user, pk in (
        ("patient", world.alice.user, world.alice.pk),
        ("self-guided", world.dana, dana_id),
    ):
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=user, name='mine').secret}"}
        found.append((f"{who} token", user, pk, Client(), bearer))
        found.append((f"{who} session", user, pk, sign_in(Client(), user), {}))
    return found


def _flag_her_record(world: World) -> None:
    PatientFlag.objects.create(
        patient=world.alice,
        kind="suicide_risk",
        reasons=["PHQ-9 item 9: internal screening note"],
        source_type="assessment",
        source_id=1,
        raised_at=timezone.now(),
    )


def test_the_walk_has_the_routes_the_review_named() -> None:
    assert ("get", "/api/v1/caseload") in STAFF_ROUTES
    assert ("get", "/api/v1/patients/{patient_id}") in STAFF_ROUTES
    assert ("get", "/api/v1/patients/{patient_id}/flags") in STAFF_ROUTES
    assert ("get", "/api/v1/audit/events") in STAFF_ROUTES
    assert set(ROUTES) >= NO_ONE, NO_ONE - set(ROUTES)


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES, ids=[f"{m} {p}" for m, p in STAFF_ROUTES])
def test_a_staff_route_refuses_her_own_credentials_audited(world: World, method: str, path: str) -> None:
    _flag_her_record(world)
    wrong = []
    for who, _user, pk, client, headers in _callers(world):
        before = AuditEvent.objects.filter(action=Action.DENIED).count()
        response = _call(client, method, _filled(path, pk), headers)
        denied = AuditEvent.objects.filter(action=Action.DENIED).count() - before
        if (
            response.status_code != 403
            or response.json() != {"message": REFUSED, "errors": []}
            or denied != 1
        ):
            wrong.append(f"{who}: {response.status_code} {response.content[:120]!r} denials={denied}")
    assert wrong == []


@pytest.mark.parametrize(("method", "path"), sorted(NO_ONE) + [(m, p) for m, p in ROUTES if HERS.match(p)])
def test_her_own_routes_and_those_naming_no_one_keep_their_own_answer(
    world: World, method: str, path: str
) -> None:
    if path.startswith("/api/v1/auth/tokens/") or path == "/api/v1/me/password":
        pytest.skip("ends the credential the walk uses")
    for _who, _user, pk, client, headers in _callers(world):
        response = _call(client, method, _filled(path, pk), headers)
        assert REFUSED.encode() not in response.content


@pytest.mark.parametrize(
    "path", ["/api/v1/patients/{id}", "/api/v1/patients/{id}/flags", "/api/v1/patients/{id}/plan"]
)
def test_a_record_not_hers_stays_a_404(world: World, path: str) -> None:
    for _who, _user, _pk, client, headers in _callers(world):
        assert client.get(path.format(id=world.bob.pk), **headers).status_code == 404


def test_her_flag_text_is_on_no_route_of_her_token(world: World) -> None:
    _flag_her_record(world)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=world.alice.user, name='mine').secret}"}
    found = []
    for method, path in ROUTES:
        if path.startswith("/api/v1/auth/tokens/") or path == "/api/v1/me/password":
            continue
        response = _call(Client(), method, _filled(path, world.alice.pk), headers)
        if b"internal screening note" in response.content or b"suicide_risk" in response.content:
            found.append(f"{method} {path}")
    assert found == []


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in NO_ONE])
def test_a_deceased_persons_own_token_reads_nothing(world: World, method: str, path: str) -> None:
    if path.startswith("/api/v1/auth/"):
        pytest.skip("no record read (tokens, sign-in codes)")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=world.alice.user, name='mine').secret}"}
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )
    response = _call(Client(), method, _filled(path, world.alice.pk), headers)
    assert response.status_code in (403, 404, 422), response.content[:200]
    assert b"Zamorano" not in response.content and b"RR-0001" not in response.content


def test_her_token_searches_no_other_patient_on_fhir(world: World) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=world.alice.user, name='mine').secret}"}
    body = Client().get("/fhir/R4/Patient", **headers).content
    assert b"Quintanilla" not in body and b"Vandersloot" not in body
    assert Client().get(f"/fhir/R4/Patient/{world.bob.pk}", **headers).status_code == 404
