"""Issue #14: the audit page shows its times in the zone its heading names (UTC), whatever the deployment's
or the program's zone, and each event's reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings

from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 25, 23, 30, 5, tzinfo=UTC)  # already the 26th in UTC, still the 25th in New York


def _event(world: World) -> None:
    with time_machine.travel(AT, tick=False):
        audit.record_for_patient(
            world.staff["nurse"],
            world.alice,
            Action.DENIED,
            "disclosure",
            outcome=Outcome.DENIED,
            reason="re-authentication failed",
        )


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Honolulu", "Asia/Tokyo"])
def test_times_are_in_utc_as_the_heading_says(world: World, zone: str) -> None:
    _event(world)
    with override_settings(TIME_ZONE=zone):
        page = sign_in(Client(), world.staff["auditor"]).get("/audit/").content.decode()
    assert "When (UTC)" in page
    assert "2026-11-25 23:30:05" in page


def test_each_event_shows_its_reason(world: World) -> None:
    _event(world)
    page = sign_in(Client(), world.staff["auditor"]).get("/audit/").content.decode()
    assert '<th scope="col">Reason</th>' in page
    assert "re-authentication failed" in page
