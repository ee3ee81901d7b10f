"""Hole 4: a PHQ-9 from another system answered on a day after the person's recorded death is filed (201).

Alice's death is recorded two days ago; the EHR then sends a response authored yesterday, naming her by her
record number. `services.import_response` checks `authored` only against the future; answers given after a
death are the plainest sign the feed matched the wrong person (or the death is wrong), and Keel files them
into her record (and her measures) without a word.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from keel.patients.models import local_today
from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_response_answered_after_the_recorded_death_is_refused(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    died = local_today(world.alice) - timedelta(days=2)
    death = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        {"reason": "deceased", "ended_on": died.isoformat()},
        content_type="application/json",
    )
    assert death.status_code == 200  # set-up: the death is recorded
    sent = post_qr(nurse, world, qr(world, authored=(died + timedelta(days=1)).isoformat()))
    assert sent.status_code == 422
