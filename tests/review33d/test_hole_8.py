"""Hole 8: the result page of an imported PHQ-9 shows "Answered on" as the sender's raw ISO text, in the
sender's offset: another day than the person's, in no reader's words.

The EHR's clock is at +14:00: a response answered at noon yesterday on the program's clock is sent as
`<today>T..+14:00`. `assessments.views._imported` passes `ImportedResponse.authored` (kept as sent, right for
FHIR) straight to the page, where "Answered on" reads today's date, while the flowsheet and Keel's FHIR say
yesterday (`filled_at` in the program's zone); the page skips `web.dates.shown_datetime` and Spanish.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from django.test import Client

from keel.patients.models import local_today, zone_of
from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_the_result_page_says_when_it_was_answered_in_the_readers_words(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    noon = datetime.combine(
        local_today(world.alice) - timedelta(days=1), time(12), tzinfo=zone_of(world.alice)
    )
    authored = noon.astimezone(timezone(timedelta(hours=14))).isoformat()
    filed = post_qr(nurse, world, qr(world, authored=authored)).json()
    page = nurse.get(f"/patients/{world.alice.pk}/assessments/{filed['id']}/").content.decode()
    assert authored not in page
