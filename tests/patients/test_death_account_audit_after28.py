"""Lane after28: the audit row of a person's own account turned off by her death (lane dead27's
`accounts.deactivate_user` from a death's discharge) names her and her program, through the one audit helper
(`audit.record_for_patient`): the privacy officer finds it in her audit trail (the audit API, the rows of
her patient id), in her program's chain, which still verifies. A staff member's account turned off names no
patient, as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.accounts import services as accounts
from keel.audit import chain
from keel.audit.models import AuditEvent
from keel.audit.services import verify_chain
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _record_death(world: World, route: str) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    path = f"/patients/{world.alice.pk}/discharge/"
    if route == "page":
        answer = nurse.post(path, {"reason": "deceased"})
        assert answer.status_code == 302, answer.content
    else:
        answer = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/discharge",
            json.dumps({"reason": "deceased"}),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content


def _her_trail(world: World, role: str) -> list[dict[str, Any]]:
    """The program's audit trail as its auditor (the privacy officer) reads it, then her rows of it."""
    events = sign_in(Client(), world.staff[role]).get("/api/v1/audit/events?limit=500")
    assert events.status_code == 200, events.content
    return [e for e in events.json() if e["patient_id"] == world.alice.pk]


@pytest.mark.parametrize("route", ["page", "api"])
@pytest.mark.parametrize("role", ["auditor", "program_admin"])
def test_her_account_turned_off_is_in_her_audit_trail(world: World, route: str, role: str) -> None:
    _record_death(world, route)
    turned_off = [
        e for e in _her_trail(world, role) if e["target_type"] == "user" and e["reason"] == "deactivated"
    ]
    assert len(turned_off) == 1, turned_off
    row = turned_off[0]
    assert row["target_id"] == str(world.alice.user.pk)
    assert row["actor_id"] == world.staff["nurse"].pk
    assert row["program_id"] == world.alice.program_id
    assert row["action"] == "update"
    stored = AuditEvent.objects.get(pk=row["id"])
    assert stored.chain == chain.chain_of(world.alice.program_id)
    assert verify_chain().ok


def test_a_staff_account_turned_off_names_no_patient(world: World) -> None:
    accounts.deactivate_user(user=world.staff["counselor"], by=world.staff["program_admin"])
    row = AuditEvent.objects.get(
        target_type="user", target_id=str(world.staff["counselor"].pk), reason="deactivated"
    )
    assert (row.reason, row.patient_id, row.program_id) == ("deactivated", None, None)
