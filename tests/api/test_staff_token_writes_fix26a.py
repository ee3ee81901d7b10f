"""Lane fix26a (review 26a): a staff member's API token writes by an allow list, as it reads. Every POST, PUT,
PATCH and DELETE of the OpenAPI schema is walked with each staff role's unbound token and a bound one: a route
outside the allow list below (routes marked `api_auth.token_may_write`, the caller's own `/me` and tokens, the
routes that take no sign-in) must answer the token refusal, 403, whatever its body (an empty one: refused
before the body is checked). A new write route is refused to a token by default; one marked must be added
here with its reason. Also: the refusal is audited, said the same whatever the record holds (H2, H7), a
blocked dose's 409 names no record (H5), a session and a patient's own token unchanged."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.access import policy
from keel.api import api
from keel.api_auth import STAFF_TOKEN_WRITE, token_may_write_why
from keel.audit.models import Action, AuditEvent
from keel.patients.models import local_today
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db

# Writes a staff token may do (marked `token_may_write`, each with the integration it serves).
MARKED = {
    ("post", "/api/v1/patients/{patient_id}/doses"),
    ("post", "/api/v1/rules/{name}"),
}
# The caller's own: their account (`/me`) and their tokens.
OWN = re.compile(r"^/api/v1/(me(/.*)?|auth/tokens(/.*)?)$")
ROLES = ("nurse", "prescriber", "counselor", "program_admin", "auditor")
WRITES = ("post", "put", "patch", "delete")


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="integration", recipient_name=recipient).secret


def _bearer(secret: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _writes() -> list[tuple[str, str, bool]]:
    """(method, path, open): `open` when the operation takes no sign-in (`auth=None`: no token is asked)."""
    schema = Client().get("/api/v1/openapi.json").json()
    found = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method in WRITES:
                found.append((method, path, op.get("security") == [] or "security" not in op))
    return sorted(found)


def _filled(path: str, world: World) -> str:
    values = {"patient_id": world.alice.pk, "slug": "riverside", "code": "phq9", "name": "take_home"}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _send(method: str, path: str, secret: str, body: dict[str, Any] | None = None) -> Any:
    send = getattr(Client(), method)
    return send(path, data=json.dumps(body or {}), content_type="application/json", **_bearer(secret))


def _not_refused(world: World, secret: str) -> list[str]:
    found = []
    for method, path, open_route in _writes():
        if open_route or (method, path) in MARKED or OWN.match(path):
            continue
        answer = _send(method, _filled(path, world), secret)
        if answer.status_code != 403:
            found.append(f"{method.upper()} {path}: {answer.status_code}")
    return found


def test_the_schema_has_the_writes_this_walk_expects() -> None:
    writes = {(m, p) for m, p, _ in _writes()}
    assert writes >= MARKED
    assert len(writes) > 50


def test_the_marked_list_is_the_routes_marked_in_the_code() -> None:
    marked = set()
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                if getattr(operation.view_func, "_keel_token_use", None) == policy.TokenUse.WRITE:
                    full = "/api/v1/" + (prefix + path).lstrip("/").replace("//", "/")
                    marked |= {(m.lower(), full) for m in operation.methods}
    assert marked == MARKED


def test_every_marked_write_says_which_integration_it_serves() -> None:
    whys = [
        token_may_write_why(op.view_func)
        for _, router in api._routers
        for view in router.path_operations.values()
        for op in view.operations
        if getattr(op.view_func, "_keel_token_use", None) == policy.TokenUse.WRITE
    ]
    assert whys and all(len(w) > 20 for w in whys)


@pytest.mark.parametrize("role", ROLES)
def test_every_unmarked_write_refuses_a_staff_token(world: World, role: str) -> None:
    assert _not_refused(world, _token(world.staff[role])) == []


def test_every_unmarked_write_refuses_a_bound_token(world: World) -> None:
    assert _not_refused(world, _token(world.staff["nurse"], recipient="County ED")) == []


def test_the_refusal_is_audited_with_its_words(world: World) -> None:
    secret = _token(world.staff["nurse"])
    _send("post", f"/api/v1/patients/{world.alice.pk}/qtc", secret, {"qtc_ms": 430})
    denied = AuditEvent.objects.filter(action=Action.DENIED).order_by("-pk").first()
    assert denied is not None and denied.reason == STAFF_TOKEN_WRITE


def test_the_refusal_says_it_is_done_signed_in(world: World) -> None:
    answer = _send("post", f"/api/v1/patients/{world.alice.pk}/qtc", _token(world.staff["nurse"]), {})
    assert "signed in" in answer.json()["message"]


def test_a_refused_write_answers_the_same_whoever_the_person_is(world: World) -> None:
    """H2, H7: refused before the record or the body is read: the same answer for Alice and for no one."""
    secret = _token(world.staff["prescriber"])
    alice = _send("post", f"/api/v1/patients/{world.alice.pk}/take-homes", secret, {"criteria": {}})
    no_one = _send("post", "/api/v1/patients/999999/take-homes", secret, {"criteria": {}})
    assert (alice.status_code, alice.json()) == (no_one.status_code, no_one.json())


def test_a_paper_consents_signature_is_never_checked_for_a_token(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    body = {"expires_on": (today - timedelta(days=3)).isoformat(), "signature": "Maria Lopez"}
    answer = _send("post", f"/api/v1/patients/{world.alice.pk}/consents", _token(world.staff["nurse"]), body)
    assert answer.json()["errors"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/emergency-access",
        "/api/v1/emergency-access/{patient_id}/end",
        "/api/v1/emergency-reviews/1/attest",
        "/api/v1/patients/{patient_id}/consents/1/revoked-in-writing",
        "/api/v1/patients/{patient_id}/readmit",
        "/api/v1/patients/{patient_id}/discharge",
        "/api/v1/programs/riverside/invitations",
        "/api/v1/programs/riverside/staff/1/role",
        "/api/v1/programs/riverside/staff/1/deactivate",
    ],
)
def test_the_holes_writes_are_refused_to_a_program_admins_token(world: World, path: str) -> None:
    answer = _send("post", _filled(path, world), _token(world.staff["program_admin"]))
    assert answer.status_code == 403


def test_a_staff_token_still_records_a_dose(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    answer = _send("post", path, _token(world.staff["nurse"]), {"amount_mg": 80, "sequence": 1})
    assert answer.status_code == 201


def test_a_blocked_doses_409_to_a_token_names_no_decision(world: World) -> None:
    methadone_with_qtc(world, None)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    answer = _send("post", path, _token(world.staff["nurse"]), {"amount_mg": 120, "sequence": 1})
    assert "decision" not in answer.json()


def test_a_blocked_doses_409_to_a_token_says_not_recorded(world: World) -> None:
    methadone_with_qtc(world, None)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    answer = _send("post", path, _token(world.staff["nurse"]), {"amount_mg": 120, "sequence": 1})
    assert (answer.status_code, answer.json()["message"][:13]) == (409, "Not recorded:")


def test_a_slot_taken_409_to_a_token_says_the_same_as_a_blocked_dose(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    secret = _token(world.staff["nurse"])
    _send("post", path, secret, {"amount_mg": 80, "sequence": 1})
    again = _send("post", path, secret, {"amount_mg": 80, "sequence": 1})
    blocked = _send("post", path, secret, {"amount_mg": 120, "sequence": 2})
    assert (again.status_code, again.json()) == (blocked.status_code, blocked.json())


def test_a_blocked_doses_409_still_names_the_order_to_a_nurse_signed_in(world: World) -> None:
    methadone_with_qtc(world, None)
    client = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    answer = client.post(path, data={"amount_mg": 120, "sequence": 1}, content_type="application/json")
    assert "decision" in answer.json()


def test_a_staff_token_still_manages_its_own_tokens(world: World) -> None:
    secret = _token(world.staff["nurse"])
    answer = _send("post", "/api/v1/auth/tokens", secret, {"name": "second"})
    assert answer.status_code != 403


def test_a_patients_own_token_still_writes_their_own(world: World) -> None:
    answer = _send("post", "/api/v1/me/checkins", _token(world.alice.user), {"craving": 2})
    assert answer.status_code != 403


def test_raw_counts_are_refused_to_a_program_admins_token(world: World) -> None:
    secret = _token(world.staff["program_admin"])
    answer = Client().get("/api/v1/programs/riverside/measures", {"counts": "raw"}, **_bearer(secret))
    assert answer.status_code == 403


def test_suppressed_counts_still_answer_a_program_admins_token(world: World) -> None:
    secret = _token(world.staff["program_admin"])
    answer = Client().get("/api/v1/programs/riverside/measures", **_bearer(secret))
    assert answer.status_code == 200


def test_raw_counts_still_answer_a_program_admin_signed_in(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    answer = client.get("/api/v1/programs/riverside/measures", {"counts": "raw"})
    assert answer.json()["small_counts"] == "raw"


def test_the_staff_list_is_refused_to_a_program_admins_token(world: World) -> None:
    """Review 26a's suspected item: who works at the program and the addresses invited are no token's read."""
    secret = _token(world.staff["program_admin"])
    assert Client().get("/api/v1/programs/riverside/staff", **_bearer(secret)).status_code == 403


def test_the_staff_list_still_answers_a_program_admin_signed_in(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    assert client.get("/api/v1/programs/riverside/staff").status_code == 200
