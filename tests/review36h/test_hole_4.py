"""Review 36h hole 4: a late entry is not identified as one. A COWS scored at 07:00 and entered at the bedside
page at 12:00 (the time of scoring typed, as the page asks) is stored with `filled_at` 07:00 and `created_at`
12:00, but its result page says neither when it was scored nor when (or that) it was entered late: the
record cannot tell a contemporaneous score from one written in five hours later (AHIMA, late entries must be
identified as such with the date and time they were entered)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from tests.conftest import sign_in

NY = ZoneInfo("America/New_York")  # the world's program zone
COWS = {
    k: "1" for k in ("pulse", "sweating", "pupils", "aches", "nose_eyes", "gi_upset", "tremor", "yawning")
}
COWS |= {"restlessness": "1", "anxiety": "1", "gooseflesh": "0"}


def test_a_late_cows_says_when_it_was_entered(world: object) -> None:
    day = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    scored = datetime.combine(day, time(7, 0), tzinfo=NY)
    with time_machine.travel(datetime.combine(day, time(12, 0), tzinfo=NY), tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])  # type: ignore[attr-defined]
        sent = nurse.post(
            f"/patients/{world.alice.pk}/cows/",  # type: ignore[attr-defined]
            {**COWS, "filled_at": scored.strftime("%Y-%m-%dT%H:%M")},
        )
        row = Assessment.objects.get(patient=world.alice, instrument="cows")  # type: ignore[attr-defined]
        page = nurse.get(f"/patients/{world.alice.pk}/assessments/{row.pk}/").content.decode()  # type: ignore[attr-defined]
    assert sent.status_code in {200, 302}
    assert row.filled_at == scored
    assert "12:00" in page  # entered at noon: said on the result
