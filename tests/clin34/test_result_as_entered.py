"""Lane clin34, 5: the result page shows the care team the score as entered beside the corrected one, with the
day in words and who corrected it (name and role), English and Spanish; the person's own page shows only
what counts now and that it was corrected."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World, sign_in

WHY = "Her answers were read from the wrong line of the paper form"
DAY = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
PHQ9 = [f"phq9_{n}" for n in range(1, 10)]


def _corrected(world: World, by_patient: bool = False) -> Assessment:
    """A PHQ-9 of 18 (every item 2) corrected to 9 (every item 1) by the nurse, Ana Ruiz."""
    nurse = world.staff["nurse"]
    nurse.first_name, nurse.last_name = "Ana", "Ruiz"
    nurse.save(update_fields=["first_name", "last_name"])
    filler = world.alice.user if by_patient else nurse
    with time_machine.travel(DAY, tick=False):
        assessment, _ = submit_assessment(
            by=filler,
            patient_id=None if by_patient else world.alice.pk,
            instrument="phq9",
            answers={**dict.fromkeys(PHQ9, 2), "phq9_9": 0},
        )
        correct_assessment(
            by=nurse,
            patient_id=world.alice.pk,
            assessment_id=assessment.pk,
            answers={**dict.fromkeys(PHQ9, 1), "phq9_9": 0},
            reason=WHY,
        )
    return assessment


def _page(world: World, path: str, user: object, language: str = "en") -> str:
    with time_machine.travel(DAY, tick=False):
        client = sign_in(Client(), user)
        client.cookies["django_language"] = language
        return client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_care_team_sees_the_score_as_entered_and_corrected(world: World) -> None:
    a = _corrected(world)
    page = _page(world, f"/patients/{world.alice.pk}/assessments/{a.pk}/", world.staff["counselor"])
    assert "Scored 16 as entered; corrected to 8 on Nov. 25, 2026 by Ana Ruiz (Nurse)." in page


def test_the_care_team_reads_it_in_spanish(world: World) -> None:
    a = _corrected(world)
    page = _page(world, f"/patients/{world.alice.pk}/assessments/{a.pk}/", world.staff["counselor"], "es")
    assert "Puntaje 16 como se registró; corregido a 8 el 25 de noviembre de 2026 por Ana Ruiz" in page


def test_an_uncorrected_result_says_nothing_of_it(world: World) -> None:
    with time_machine.travel(DAY, tick=False):
        a, _ = submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="phq9",
            answers=dict.fromkeys(PHQ9, 1),
        )
    page = _page(world, f"/patients/{world.alice.pk}/assessments/{a.pk}/", world.staff["counselor"])
    assert "as entered" not in page


def test_her_own_page_shows_what_counts_now_and_that_it_was_corrected(world: World) -> None:
    a = _corrected(world)  # the nurse's result on her record: her own filing is never rewritten (fix38d)
    page = _page(world, f"/me/assessments/{a.pk}/", world.alice.user)
    assert "Score: 8" in page and "Corrected" in page
    assert "as entered" not in page and "Score: 16" not in page and WHY not in page
