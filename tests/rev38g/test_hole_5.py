"""Hole 5: the care timeline says each event's time on the server's clock (KEEL_TIME_ZONE), under a day
heading on the program's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.services import submit_assessment
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_timeline_shows_an_events_time_on_the_programs_clock(world: Any, settings: Any) -> None:
    """What the clinic does: on day one `keel setup --time-zone America/Los_Angeles` (README's journey 0);
    the server keeps the default KEEL_TIME_ZONE (America/New_York), which README calls only "the deployment's
    default". A patient fills in a SOWS at 08:55 Pacific; a prescriber opens the patient's timeline
    (/patients/<id>/timeline/). What goes wrong: the event's time is written with Django's `time` filter
    outside any `{% timezone %}` block (careteam/timeline.html), so it is converted back to the server's zone
    and reads 11:55, while the day heading above it is the program's day: three hours off, and an evening
    event (after 21:00 Pacific) shows a time after midnight under the day before. Clinicians read the order
    and spacing of withdrawal scores and doses from this page. The flowsheet and the COWS page wrap their
    times in the program's zone; this page does not. Severity: medium (wrong clinical times on a clinician
    page whenever the program's zone is not the server's). What should hold: the timeline says each time on
    the program's clock, as its day headings do."""
    settings.TIME_ZONE = "America/New_York"
    program = world.riverside
    program.time_zone = "America/Los_Angeles"
    program.save(update_fields=["time_zone"])
    filled_at = timezone.now() - timedelta(minutes=5)
    submit_assessment(
        by=world.alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=filled_at,
    )
    client = sign_in(Client(), world.staff["prescriber"])
    page = client.get(f"/patients/{world.alice.pk}/timeline/").content.decode()
    assert filled_at.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%H:%M") in page
