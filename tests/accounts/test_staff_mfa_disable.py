"""Staff always use two-step sign-in: POST /accounts/mfa/disable/ by any staff role is refused out loud (422,
the words on the page, audited), with or without the right password, and nothing changes (review 16a)."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

STAFF = ["counselor", "nurse", "prescriber", "peer_specialist", "program_admin", "auditor"]


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("password", [PASSWORD, "wrong password", ""])
def test_staff_are_refused_out_loud(world: World, signed_in: Any, role: str, password: str) -> None:
    user = world.staff[role]
    before = TOTPDevice.objects.filter(user=user).count()
    r = signed_in(role).post("/accounts/mfa/disable/", {"password": password})
    assert r.status_code == 422
    assert "Staff always use two-step sign-in. Nothing was changed." in r.content.decode()
    assert TOTPDevice.objects.filter(user=user).count() == before >= 1
    assert AuditEvent.objects.filter(
        action="denied", target_type="mfa", target_id=str(user.pk), reason="staff always use two-step sign-in"
    ).exists()


def test_a_double_submit_is_refused_twice(world: World, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    assert nurse.post("/accounts/mfa/disable/", {"password": PASSWORD}).status_code == 422
    assert nurse.post("/accounts/mfa/disable/", {"password": PASSWORD}).status_code == 422
    assert TOTPDevice.objects.filter(user=world.staff["nurse"]).exists()
