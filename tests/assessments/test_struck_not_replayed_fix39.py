"""Lane fixrec39 (the lead review 39c did not prove): a result sent without a typed time or form token, with
the same answers by the same hand as a result struck as entered in error minutes earlier, is a new filing:
the struck result no longer stands, so it is no first copy to answer with (`services._repeat_of`). Before
the fix the new result was never written and the client was answered with the struck one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client

from keel.assessments import services
from keel.assessments.models import Assessment
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db

PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _strike(world: World, assessment_id: int) -> None:
    services.correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=assessment_id,
        entered_in_error=True,
        reason="Typed against the wrong visit",
        read_version=0,
    )


def test_the_same_answers_after_a_strike_file_a_new_result(world: World) -> None:
    sent = {"by": world.staff["nurse"], "patient_id": world.alice.pk, "instrument": "phq9", "answers": PHQ9}
    first, _ = services.submit_assessment(**sent)
    _strike(world, first.pk)
    again, _ = services.submit_assessment(**sent)
    assert again.pk != first.pk, "the new result was answered with the struck one and never filed"
    assert Assessment.objects.filter(patient=world.alice, instrument="phq9").count() == 2


def test_the_api_answers_the_new_result_not_the_struck_one(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    body = json.dumps({"instrument": "phq9", "answers": PHQ9})
    first = client.post(path, body, content_type="application/json").json()
    _strike(world, first["id"])
    again = client.post(path, body, content_type="application/json").json()
    assert again["id"] != first["id"]
    assert again["status"] == "final"


def test_a_double_press_still_files_once(world: World) -> None:
    sent = {"by": world.staff["nurse"], "patient_id": world.alice.pk, "instrument": "phq9", "answers": PHQ9}
    first, _ = services.submit_assessment(**sent)
    again, _ = services.submit_assessment(**sent)
    assert again.pk == first.pk  # held: the replay rule stands for a result that stands
