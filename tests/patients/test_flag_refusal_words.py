"""The flag page says why a clinician's resolution was refused, one reason per rule (review 16a): the person
who used emergency access is told so (not "only a prescriber"), a nurse on a held dose's flag is told a
prescriber resolves it; the API's 403 keeps its message; each refusal is audited as before."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.flags import raise_flag
from keel.patients.models import PatientFlag
from keel.patients.services.flags import FlagNotAllowed
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def _held_flag(world: World) -> PatientFlag:
    return raise_flag(
        by=world.staff["nurse"],
        patient=world.alice,
        kind="dose_held",
        priority=1,
        reasons=["held"],
        sources=[],
        source_type="dose",
        source_id=1,
        now=timezone.now(),
        audit_reason="dose held",
    )


def _resolve_page(client: Any, patient: Any, flag: PatientFlag) -> str:
    r = client.post(f"/patients/{patient.pk}/flags/{flag.pk}/resolve/", {"note": "all fine now"}, follow=True)
    return r.content.decode()


def test_own_emergency_access_is_said_as_such(world: World, signed_in: Any) -> None:
    prescriber = signed_in("prescriber")
    r = prescriber.post(
        "/api/v1/emergency-access",
        data={"record_number": "RR-0002", "reason": "found unresponsive in the lobby", "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    flag = PatientFlag.objects.get(patient=world.bob, kind="emergency_access")
    page = _resolve_page(prescriber, world.bob, flag)
    assert "you used emergency access for this person, so another clinician resolves this flag" in page
    assert "only a prescriber" not in page
    assert PatientFlag.objects.get(pk=flag.pk).resolved_at is None


def test_a_nurse_on_a_held_dose_is_told_a_prescriber_resolves_it(world: World, signed_in: Any) -> None:
    flag = _held_flag(world)
    page = _resolve_page(signed_in("nurse"), world.alice, flag)
    assert "only a prescriber resolves this flag" in page
    assert PatientFlag.objects.get(pk=flag.pk).resolved_at is None
    assert AuditEvent.objects.filter(
        action="denied", target_id=str(flag.pk), reason="only a prescriber resolves this flag"
    ).exists()


def test_the_api_keeps_its_message(world: World, signed_in: Any) -> None:
    flag = _held_flag(world)
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve",
        data={"note": "all fine now"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert "Only a prescriber resolves this flag" in r.content.decode()


def test_every_refusal_carries_its_reason() -> None:
    reasons = {FlagNotAllowed.NOT_ON_TEAM, FlagNotAllowed.PRESCRIBER_ONLY, FlagNotAllowed.OWN_EMERGENCY}
    assert len(reasons) == 3
    assert FlagNotAllowed("x", FlagNotAllowed.OWN_EMERGENCY).reason == "own_emergency"
