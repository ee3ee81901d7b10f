"""Review 36h hole 1: the person's own list of results ("My check-ups", /me/instruments/) says the day of a
result in the server's time zone (settings.TIME_ZONE), not her program's: a PHQ-9 she filled at 22:30 in Los
Angeles is listed on the next day, while her record (the care team's timeline) files it on her day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.utils import formats

from keel.accounts.models import Program
from keel.assessments import services
from tests.conftest import sign_in

LA = ZoneInfo("America/Los_Angeles")
PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def _program_in_los_angeles(world: object) -> tuple[datetime, object]:
    Program.objects.filter(pk=world.riverside.pk).update(time_zone="America/Los_Angeles")  # type: ignore[attr-defined]
    her_yesterday = datetime.now(UTC).astimezone(LA).date() - timedelta(days=2)
    filled_at = datetime.combine(her_yesterday, time(22, 30), tzinfo=LA)
    return filled_at, her_yesterday


def test_my_checkups_list_says_the_day_she_filled_it_in_her_zone(world: object) -> None:
    filled_at, her_day = _program_in_los_angeles(world)
    with time_machine.travel(filled_at + timedelta(hours=1), tick=False):
        alice_user = world.alice.user  # type: ignore[attr-defined]
        services.submit_assessment(by=alice_user, patient_id=None, instrument="phq9", answers=PHQ9)
        client = sign_in(Client(), alice_user)
        page = client.get("/me/instruments/").content.decode()
    her_day_words = formats.date_format(her_day, "DATE_FORMAT")
    next_day_words = formats.date_format(her_day + timedelta(days=1), "DATE_FORMAT")
    assert "My recent results" in page
    assert next_day_words not in page  # the next day: the server zone (New York), not hers
    assert her_day_words in page
