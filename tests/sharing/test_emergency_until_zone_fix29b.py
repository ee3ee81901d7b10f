"""Review 29b (observation): the emergency access page says when the access ends on the program's clock (its
time zone), not the server's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from keel.patients.models import EmergencyAccess
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
FAR = "Pacific/Kiritimati"  # UTC+14: never the server's hour


def test_the_end_of_emergency_access_is_said_on_the_programs_clock(world: World) -> None:
    world.riverside.time_zone = FAR
    world.riverside.save(update_fields=["time_zone"])
    nurse = sign_in(Client(), world.staff["nurse"])
    page = nurse.post(
        "/emergency-access/",
        {
            "record_number": "RR-0002",
            "reason": "overdose in the waiting room right now",
            "password": PASSWORD,
        },
    )
    grant = EmergencyAccess.objects.get(patient=world.bob)
    said = " ".join(str(m) for m in get_messages(page.wsgi_request))
    assert grant.expires_at.astimezone(ZoneInfo(FAR)).strftime("%H:%M") in said
