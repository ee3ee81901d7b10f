"""Review 39c hole 1: the flowsheet ("See all results for this instrument", the only staff list of results)
hides a struck result without trace and shows a corrected score as if it had been entered so.

A nurse files a PHQ-9 of 15 (moderately severe) for Alice; a counselor corrects it to 5 with a reason. On
the PHQ-9 flowsheet the row says 5 and nothing more: no "corrected", no score as entered. A second PHQ-9
struck as entered in error is gone from the list, and no staff page links to it any more. A correction must
never silently rewrite history: the original stays, visible to staff (brief; AHIMA amendment guidance; FHIR
R4 `entered-in-error` / `amended` status keeps the resource readable)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keel.assessments import services
from tests.conftest import sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db

HIGH = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0}  # 16: moderately severe
LOW = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_1": 1, "phq9_2": 1, "phq9_3": 1, "phq9_9": 0}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _filed(world, answers, hours_ago):  # type: ignore[no-untyped-def]
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers=answers,
        filled_at=timezone.now() - timedelta(hours=hours_ago),
    )
    return a


def _flowsheet(world) -> str:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), world.staff["counselor"])
    response = client.get(reverse("assessments:flowsheet", args=[world.alice.pk, "phq9"]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_corrected_score_is_marked_corrected_on_the_flowsheet(world) -> None:  # type: ignore[no-untyped-def]
    a = _filed(world, HIGH, 3)
    services.correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        answers=LOW,
        reason="Items read from the wrong column of the paper form",
        read_version=0,
    )
    page = _flowsheet(world)
    row = page.split(reverse("assessments:result", args=[world.alice.pk, a.pk]), 1)[1].split("</tr>", 1)[0]
    assert ">3<" in row  # the corrected score is shown (held)
    assert "16" in row or "orrected" in row, "the row shows the corrected 3 as if it had been entered so"


def test_a_struck_result_stays_listed_for_staff(world) -> None:  # type: ignore[no-untyped-def]
    a = _filed(world, HIGH, 3)
    services.correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person: this was another patient's form",
        read_version=0,
    )
    page = _flowsheet(world)
    assert reverse("assessments:result", args=[world.alice.pk, a.pk]) in page, (
        "the struck result is gone from the only list of results: no staff page links to it any more"
    )
