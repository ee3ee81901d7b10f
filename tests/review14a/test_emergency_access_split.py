"""Review 14a: emergency_access after its split into steps: who may ask, before the fields; another
program's record number; the password again; bad fields named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD, World, audit_count, sign_in


def _ask(c: Client, body: dict[str, Any]) -> Any:
    return c.post("/api/v1/emergency-access", data=json.dumps(body), content_type="application/json")


def _grants() -> int:
    from keel.patients.models import EmergencyAccess

    return EmergencyAccess.objects.count()


REASON = "unresponsive in the lobby, naloxone given"


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "patient", "program_admin"])
def test_refused_role_before_fields(world: World, role: str) -> None:
    n, audits = _grants(), audit_count()
    r = _ask(sign_in(Client(), world.user(role)), {"record_number": "", "reason": "", "password": ""})
    assert r.status_code in (403, 404), (role, r.status_code, r.content[:200])
    assert audit_count() > audits
    assert _grants() == n


def test_other_programs_record_number_refused(world: World) -> None:
    n = _grants()
    body = {"record_number": world.charlie.record_number, "reason": REASON, "password": PASSWORD}
    r = _ask(sign_in(Client(), world.staff["nurse"]), body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "record_number"
    assert _grants() == n


def test_wrong_password_refused(world: World) -> None:
    n = _grants()
    body = {"record_number": world.bob.record_number, "reason": REASON, "password": "wrong password 1234"}
    r = _ask(sign_in(Client(), world.staff["nurse"]), body)
    assert r.status_code in (401, 403, 422), r.status_code
    assert _grants() == n


@pytest.mark.parametrize(
    "body,field",
    [
        ({"record_number": "   ", "reason": REASON, "password": PASSWORD}, "record_number"),
        ({"record_number": "RR-0002", "reason": "help", "password": PASSWORD}, "reason"),
        ({"record_number": "RR-0002", "reason": "x" * 1001, "password": PASSWORD}, "reason"),
        ({"record_number": ["RR-0002"], "reason": REASON, "password": PASSWORD}, "record_number"),
    ],
)
def test_bad_fields_named(world: World, body: dict[str, Any], field: str) -> None:
    n = _grants()
    r = _ask(sign_in(Client(), world.staff["nurse"]), body)
    assert r.status_code == 422, (r.status_code, r.content[:200])
    assert field in json.dumps(r.json())
    assert _grants() == n
